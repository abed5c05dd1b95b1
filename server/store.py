"""The run history: one SQLite table of run documents, summary columns beside a compressed copy.

Saves come from the event loop (a run is queued) and from worker threads (a run ended, via
``asyncio.to_thread``), so one connection is shared under a lock; WAL mode lets readers of the same
file (another process, the CLI) read while it writes.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import zlib
from pathlib import Path
from typing import Any

from experiments.document import RunDocument
from server.types import RunStatus

#: The error given to runs that were still pending or running when the server last stopped.
INTERRUPTED = "the server stopped before this run finished"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    workload TEXT NOT NULL,
    executor TEXT NOT NULL,
    tasks_requested INTEGER NOT NULL,
    workers INTEGER,
    status TEXT NOT NULL,
    wall_s REAL,
    label TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    document BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_newest_first ON runs (created_at DESC);
CREATE TABLE IF NOT EXISTS comparisons (
    id TEXT PRIMARY KEY,
    lesson TEXT,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS comparisons_by_lesson ON comparisons (lesson, created_at DESC);
"""

SUMMARY_COLUMNS = (
    "id",
    "created_at",
    "workload",
    "executor",
    "tasks_requested",
    "workers",
    "status",
    "wall_s",
    "label",
    "params",
    "metrics",
)
JSON_COLUMNS = frozenset({"params", "metrics"})


def pack(document: RunDocument) -> bytes:
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> RunDocument:
    document: RunDocument = json.loads(zlib.decompress(blob))
    return document


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # Autocommit: every statement is its own transaction, and each write is one statement.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._fail_interrupted()

    def save(self, document: RunDocument) -> None:
        """Insert or replace one run document."""
        row = (
            document["id"],
            document["created_at"],
            document["workload"],
            document["executor"],
            document["tasks_requested"],
            document.get("workers"),
            document["status"],
            document.get("wall_s"),
            document.get("label"),
            json.dumps(document.get("params") or {}),
            json.dumps(document.get("metrics") or {}),
            pack(document),
        )
        with self._lock:
            self._db.execute(
                "INSERT INTO runs (id, created_at, workload, executor, tasks_requested, workers,"
                " status, wall_s, label, params, metrics, document)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at,"
                " workload = excluded.workload, executor = excluded.executor,"
                " tasks_requested = excluded.tasks_requested, workers = excluded.workers,"
                " status = excluded.status, wall_s = excluded.wall_s, label = excluded.label,"
                " params = excluded.params, metrics = excluded.metrics,"
                " document = excluded.document",
                row,
            )

    def get(self, run_id: str) -> RunDocument | None:
        """The full run document, or None."""
        with self._lock:
            row = self._db.execute("SELECT document FROM runs WHERE id = ?", (run_id,)).fetchone()
        return unpack(row[0]) if row else None

    def list(self, limit: int = 100, offset: int = 0) -> builtins.list[dict[str, Any]]:
        """Run summaries (no tasks, lanes or samples), newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM runs"
                " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [
            {
                k: json.loads(v) if k in JSON_COLUMNS else v
                for k, v in zip(SUMMARY_COLUMNS, row, strict=True)
            }
            for row in rows
        ]

    def save_comparison(self, document: dict[str, Any]) -> None:
        """Insert or replace one comparison (a lesson's runs and its verdict)."""
        row = (
            document["id"],
            document.get("lesson"),
            document["created_at"],
            document["status"],
            json.dumps(document, separators=(",", ":")),
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO comparisons VALUES (?, ?, ?, ?, ?)", row)

    def get_comparison(self, comparison_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT document FROM comparisons WHERE id = ?", (comparison_id,)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def latest_comparison(self, lesson: str) -> dict[str, Any] | None:
        """The newest comparison run for ``lesson``."""
        with self._lock:
            row = self._db.execute(
                "SELECT document FROM comparisons WHERE lesson = ?"
                " ORDER BY created_at DESC, rowid DESC LIMIT 1",
                (lesson,),
            ).fetchone()
        return json.loads(row[0]) if row else None

    def count(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM runs").fetchone()
        return int(n)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _fail_interrupted(self) -> None:
        """Runs left pending or running belong to a server that died: mark them failed."""
        unfinished = (RunStatus.PENDING.value, RunStatus.RUNNING.value)
        with self._lock:
            rows = self._db.execute(
                "SELECT document FROM runs WHERE status IN (?, ?)", unfinished
            ).fetchall()
        for (blob,) in rows:
            document = unpack(blob)
            document["status"], document["error"] = RunStatus.FAILED.value, INTERRUPTED
            self.save(document)
