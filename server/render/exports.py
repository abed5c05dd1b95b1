"""The export formats of a run (CONTRACT.md, "Exports"), declared once: the routes
(``server.web.api_exports``) and the CLI's ``export`` read them from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from experiments.document import RunDocument
from server.render.standalone import chart_svg
from server.render.table import tasks_csv
from server.render.trace import trace_json


@dataclass(frozen=True, slots=True)
class Export:
    id: str  # as the CLI's --format names it
    media_type: str
    suffix: str  # of the file name: run-ID.SUFFIX
    build: Callable[[RunDocument], bytes]

    def filename(self, run_id: str) -> str:
        return f"run-{run_id}.{self.suffix}"


TRACE = Export("trace", "application/json", "trace.json", trace_json)
CSV = Export("csv", "text/csv; charset=utf-8", "tasks.csv", lambda d: tasks_csv(d).encode())
SVG = Export("svg", "image/svg+xml", "chart.svg", lambda d: chart_svg(d).encode())
EXPORTS = {e.id: e for e in (TRACE, CSV, SVG)}
