"""Every setting in one place: a default, a help text, and an environment variable (``CLAB_NAME``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from server.lab.executors import Processes, Threads
from server.spec import Limits

#: A host name as the Host header carries it, without the port: a name, an IPv4 or a bracketed IPv6
#: address; ``*.example.org`` for any subdomain, ``*`` for any host at all.
HOST_NAME = re.compile(r"\*|(\*\.)?[a-z0-9_.-]+|\[[0-9a-f:.]+\]", re.IGNORECASE)
#: One CSP source expression as ``frame-ancestors`` takes it; nothing that could end the
#: directive (``;``) or the header.
FRAME_SOURCE = re.compile(
    r"'self'|'none'|\*|[a-z][a-z0-9+.-]*:(//(\*\.)?[a-z0-9.-]+(:(\d{1,5}|\*))?)?/?",
    re.IGNORECASE,
)


def _split(value: object, separators: str) -> object:
    """A JSON list as it is; a string split at any of ``separators``, blanks dropped."""
    if not isinstance(value, str):
        return value
    if value.lstrip().startswith("["):
        return json.loads(value)
    return [part for part in re.split(f"[{re.escape(separators)}]+", value.strip()) if part]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAB_", frozen=True)

    host: str = Field("127.0.0.1", description="address the dashboard binds to")
    port: int = Field(8000, ge=0, le=65535, description="port the dashboard listens on")
    data_dir: Path = Field(Path("data"), description="folder for the run history (SQLite)")
    read_only: bool = Field(False, description="serve stored runs only; start no new ones")
    max_tasks: int = Field(100_000, ge=1, description="most tasks one run may have")
    max_thread_workers: int = Field(Threads.max_workers, ge=1, description="largest thread pool")
    max_process_workers: int = Field(
        Processes.max_workers, ge=1, description="largest process pool"
    )
    time_limit_s: float = Field(
        120.0, gt=0, description="a run still going after this is cancelled"
    )
    max_concurrent_runs: int = Field(2, ge=1, description="runs executing at the same time")
    queue_size: int = Field(8, ge=0, description="runs that may wait for a free slot")
    keep_live_runs: int = Field(16, ge=1, description="finished runs kept in memory for replay")
    runner_process: bool = Field(
        True,
        description="run sequential, thread and asyncio runs in a process of their own, so that"
        " the dashboard's own work never holds the GIL their tasks need",
    )
    frame_interval_s: float = Field(
        0.1, ge=0.02, le=1.0, description="how soon pages see a task start or end, at most"
    )
    frame_gather_s: float = Field(
        0.06,
        ge=0,
        le=0.5,
        description="how long a frame waits for what happens together with a task's start or"
        " end (tasks ending at once are drawn in one frame)",
    )
    still_frame_s: float = Field(
        0.25, ge=0.02, le=2.0, description="how often pages get a frame while only time passes"
    )
    busy_frame_core_s: float = Field(
        2.0,
        ge=0,
        le=16.0,
        description="while a run keeps every core of its machine busy, pages get at most one"
        " frame per this many seconds of the machine's cores (2: every 1 s on 2 cores, every"
        " 0.25 s on 8), since each frame then takes from the run the time a browser there spends"
        " drawing it; 0 turns this off",
    )
    assets_dir: Path = Field(
        Path(__file__).resolve().parent.parent / "node_modules",
        description="where npm installed the front-end libraries (htmx)",
    )

    # NoDecode: pydantic-settings would read a list from the environment as JSON only; these take
    # the plain ``a.example, b.example`` people write (a JSON list works too).
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="host names answered besides 127.0.0.1, localhost and [::1] (any port),"
        " comma-separated, e.g. lab.example.org; a request for any other Host gets 400",
    )
    embed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        ("'self'",),
        description="who may frame the /embed/* pages: CSP frame-ancestors sources, space- or"
        " comma-separated, e.g. 'self' https://slides.example.org; every other page: 'none'",
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        hosts = _split(value, ", ")
        if not isinstance(hosts, list | tuple):
            return hosts
        out = []
        for host in map(str, hosts):
            host = f"[{host}]" if host.count(":") > 1 and not host.startswith("[") else host
            if not HOST_NAME.fullmatch(host):
                raise ValueError(
                    f"{host!r} is not a host name: give names without scheme or port,"
                    " e.g. lab.example.org, *.example.org, 10.0.0.5 or [fd00::5]"
                )
            out.append(host.lower())
        return tuple(out)

    @field_validator("embed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        sources = _split(value, ", ")
        if not isinstance(sources, list | tuple):
            return sources
        for source in map(str, sources):
            if not FRAME_SOURCE.fullmatch(source):
                raise ValueError(
                    f"{source!r} is not a frame-ancestors source: 'self', 'none', *,"
                    " a scheme (https:) or an origin (https://host[:port], *.host allowed)"
                )
        return tuple(sources)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_tasks=self.max_tasks,
            max_workers={
                Threads.id: self.max_thread_workers,
                Processes.id: self.max_process_workers,
            },
            time_limit_s=self.time_limit_s,
        )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "runs.sqlite3"
