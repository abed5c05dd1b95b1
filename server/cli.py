"""The command line: ``concurrency-lab serve | list | run | export``.

Bad input prints one line naming the parameter and what is allowed, and exits with status 2; so
does a run id the store does not hold (it is input too).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, NoReturn

import experiments
from experiments.document import RunDocument
from experiments.registry import InvalidParameter
from server.executors import EXECUTORS
from server.lab.executors import Sequential
from server.render.exports import EXPORTS
from server.types import RunStatus


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parse_params(
    items: Sequence[str], option: str = "--param", example: str = "ms=200"
) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidParameter(option, f"{item!r} is not NAME=VALUE (for example {example})")
        params[name.strip()] = value
    return params


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="concurrency-lab", description="Watch Python concurrency, truthfully.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="start the dashboard")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--data-dir", default=None, help="where run history is kept")
    serve.add_argument("--read-only", action="store_true", help="show stored runs; start none")

    lst = sub.add_parser("list", help="list the workloads and executors")
    lst.add_argument("--json", action="store_true", help="print JSON")

    run = sub.add_parser("run", help="run a workload and show its timeline")
    run.add_argument("workload", help="workload id (see `list`)")
    run.add_argument("--executor", default=Sequential.id, help=f"one of: {', '.join(EXECUTORS)}")
    run.add_argument("--tasks", default="8", help="how many tasks (default 8)")
    run.add_argument("--workers", default=None, help="pool size (default: the executor's own)")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a workload parameter; repeat for more",
    )
    run.add_argument("--start-method", default=None, help="processes only: fork, forkserver, spawn")
    run.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="--executor server only: setup, endpoint, concurrency, threads, kill_at_ms, http2;"
        " repeat for more (see `list`)",
    )
    run.add_argument("--json", action="store_true", help="print the run document as JSON")
    run.add_argument("--width", type=int, default=60, help="chart width in columns")
    run.add_argument(
        "--trace", default=None, metavar="FILE", help="also write the run's trace here"
    )

    export = sub.add_parser("export", help="write a stored run's trace, tasks or charts")
    export.add_argument("run_id", metavar="RUN_ID", help="the run's id (see /api/runs)")
    export.add_argument(
        "--format",
        required=True,
        choices=list(EXPORTS),
        help="trace: Chrome Trace Event JSON (Perfetto); csv: one row per task; svg: the charts",
    )
    export.add_argument("--data-dir", default=None, help="where run history is kept, as for serve")
    export.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="write here (default: standard output)"
    )
    return parser


def cmd_list(as_json: bool) -> int:
    from server.serverlab.options import describe

    workloads = [w.describe() for w in experiments.visible()]
    server = describe()
    if as_json:
        doc = {"workloads": workloads, "executors": list(EXECUTORS), "server_options": server}
        print(json.dumps(doc, indent=2))
        return 0
    for w in workloads:
        params = ", ".join(
            f"{p['name']}={p['default']} ({p['min']}..{p['max']}{' ' + p['unit'] if p['unit'] else ''})"
            for p in w["params"]
        )
        print(f"{w['id']:<8} {w['title']}: {w['summary']}\n{'':<8} params: {params or 'none'}")
    print(f"executors: {', '.join(EXECUTORS)}")
    print("server options (--executor server --server NAME=VALUE):")
    for o in server["options"]:
        if "min" in o:
            allowed = f"{o['min']}..{o['max']}{' ' + o['unit'] if o['unit'] else ''}"
        elif "allowed" in o:
            allowed = " | ".join(o["allowed"])
        else:
            allowed = f"true | false; {', '.join(o['allowed_with'])} only"
        default = "" if o["default"] is None else f"={str(o['default']).lower()}"
        print(f"  {o['name']}{default} ({allowed}): {o['help']}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from server.lab.run import Run
    from server.render.text import render
    from server.spec import make_spec

    spec = make_spec(
        args.workload,
        args.executor,
        args.tasks,
        args.workers,
        _parse_params(args.param),
        args.start_method,
        server=_parse_params(args.server, "--server", "setup=gunicorn") or None,
    )
    run = Run(spec)
    # Opened before the run, so that a path that cannot be written is said at once.
    trace = _open(args.trace, "--trace") if args.trace else None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, run.cancel, "interrupted (Ctrl-C)")
        await run.execute()

    asyncio.run(main())
    doc = run.document()
    if trace is not None:
        with trace:
            trace.write(EXPORTS["trace"].build(doc))
    if args.json:
        print(json.dumps(doc))
    else:
        print(render(doc, max(20, args.width)))
    return 0 if run.status is RunStatus.DONE else 1


def cmd_export(args: argparse.Namespace) -> int:
    data = EXPORTS[args.format].build(stored_run(args.data_dir, args.run_id))
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with _open(args.output, "-o") as out:
            out.write(data)
    return 0


def stored_run(data_dir: str | None, run_id: str) -> RunDocument:
    """A run from the store in ``data_dir`` (default: serve's), read without writing to it: a
    dashboard may be using it (opening a ``Store`` would mark its live runs failed)."""
    from server.settings import Settings
    from server.store import unpack

    settings = Settings(data_dir=Path(data_dir)) if data_dir else Settings()
    path = settings.db_path
    if not path.is_file():
        raise InvalidParameter(
            "--data-dir", f"no run history in {settings.data_dir}/ (no {path.name})"
        )
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            row = db.execute("SELECT document FROM runs WHERE id = ?", (run_id,)).fetchone()
    except sqlite3.Error as exc:
        raise InvalidParameter("--data-dir", f"cannot read {path}: {exc}") from None
    if row is None:
        raise InvalidParameter("RUN_ID", f"no run {run_id!r} in {path}")
    return unpack(row[0])


def _open(path: str, option: str) -> BinaryIO:
    try:
        return open(path, "wb")  # the caller closes it, once the run has ended
    except OSError as exc:
        raise InvalidParameter(option, f"cannot write {path}: {exc.strerror}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    from server.settings import Settings
    from server.web.app import serve

    overrides = {
        k: v
        for k, v in {
            "host": args.host,
            "port": args.port,
            "data_dir": args.data_dir,
            "read_only": args.read_only or None,
        }.items()
        if v is not None
    }
    serve(Settings(**overrides))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list(args.json)
        if args.command == "run":
            return cmd_run(args)
        if args.command == "export":
            return cmd_export(args)
        return cmd_serve(args)
    except InvalidParameter as exc:
        print(f"concurrency-lab: error: {exc.name}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
