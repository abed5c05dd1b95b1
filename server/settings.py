"""Every setting in one place: a default, a help text, and an environment variable (``CLAB_NAME``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.lab.executors import Processes, Threads
from server.spec import Limits


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
    still_frame_s: float = Field(
        0.25, ge=0.02, le=2.0, description="how often pages get a frame while only time passes"
    )
    assets_dir: Path = Field(
        Path(__file__).resolve().parent.parent / "node_modules",
        description="where npm installed the front-end libraries (htmx)",
    )

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
