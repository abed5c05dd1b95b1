"""A run's charts as one standalone SVG document (CONTRACT.md, "Exports"): for a slide, a paper or
an issue, readable with no server, no script and no stylesheet of the lab's.

The plots are the page's own: the same bars, density strips, lines and patterns from
``server.render.charts`` and ``server.render.svg``, each inside a nested ``<svg>`` with the page's
viewBox (1000 units across, drawn 1000 px wide here). What the page draws in HTML (labels, axis,
legends, captions, kill marks) becomes SVG ``<text>`` and swatches. The styles are the page's
rules for what the plots draw, with every ``var()`` resolved (``server.render.standalone_css``):
renderers without custom properties show the same colours.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from markupsafe import escape

from experiments.document import RunDocument
from server.render import charts, geometry, lines
from server.render.geometry import VIEW_W, Rows
from server.render.model import elapsed_s, from_document
from server.render.patterns import PATTERNS, pattern_id
from server.render.prose import duration, run_info, summary_text
from server.render.scene import Scene, scene
from server.render.standalone_css import css_values, page_css, plot_css, text_css
from server.render.templates import macro

#: The label column, the plots (one chart unit a pixel) and the margin right of them, in px.
LEFT, RIGHT, MARGIN = 160, 8, 16
WIDTH = LEFT + VIEW_W + RIGHT
LINE_H = 16  # a line of 12 px text
SWATCH_W = 14


def chart_svg(doc: RunDocument) -> str:
    """The run's charts (by worker, by task, over time, CPU) as far as it has got."""
    info = run_info(doc)
    s = scene(from_document(info, doc), elapsed_s(doc))
    sheet = _Sheet(s)
    sheet.header(doc)
    sheet.figure("By worker", f"what each {info.lane_noun} was doing.", charts.legend_keys(s, "L"))
    sheet.lanes()
    sheet.axis()
    sheet.figure(
        "By task", "when each task was in flight, and why it waited.", charts.legend_keys(s, "T")
    )
    sheet.tasks()
    sheet.axis()
    sheet.figure(
        "Over time",
        "tasks in flight (concurrency) and tasks executing (parallelism); CPU per core below.",
        (),
    )
    sheet.lines()
    sheet.cpu()
    sheet.axis()
    sheet.summary()
    return sheet.document(doc)


# --- the sheet --------------------------------------------------------------------------------


def text(x: float, y: float, content: object, cls: str = "", anchor: str = "") -> str:
    attrs = f' class="{cls}"' if cls else ""
    attrs += f' text-anchor="{anchor}"' if anchor else ""
    return f'<text x="{x:g}" y="{y:g}"{attrs}>{escape(content)}</text>'


def legend_width(label: str) -> float:
    """About how wide a 12 px label is (no font metrics here: a generous average)."""
    return SWATCH_W + 6 + 6.8 * len(label) + 16


class _Sheet:
    """The document being drawn, top to bottom: its parts and how far down it has got."""

    def __init__(self, s: Scene) -> None:
        self.s = s
        self.values = css_values(page_css(), s.run_id)
        self.parts: list[str] = []
        self.y = 0.0

    def header(self, doc: RunDocument) -> None:
        m = self.s.model
        host = doc.get("host") or {}
        state = m.status if m.finished else f"{m.status}, {duration(self.s.now)} so far"
        meta = [
            f"run {doc['id']}",
            state,
            str(doc.get("created_at") or "")[:19].replace("T", " ") + " UTC",
            f"Python {host.get('python', '?')} on {host.get('cpus', '?')} cores"
            + (" (GIL)" if host.get("gil_enabled") else ""),
        ]
        self.parts += [
            text(0, 24, m.info.title, "title"),
            text(0, 44, " · ".join(meta), "muted"),
        ]
        self.y = 56

    def figure(self, name: str, caption: str, keys: Sequence[tuple[str, str]]) -> None:
        self.y += 18
        self.parts.append(
            f'<text x="0" y="{self.y:g}" class="caption"><tspan class="name">{escape(name)}'
            f"</tspan>: {escape(caption)}</text>"
        )
        x = 0.0
        if keys:
            self.y += LINE_H + 2
        for key, label in keys:
            w = legend_width(label)
            if x and x + w > WIDTH - RIGHT:
                x, self.y = 0.0, self.y + LINE_H + 2
            self.parts.append(
                self._swatch(key, x, self.y - 9) + text(x + SWATCH_W + 5, self.y, label)
            )
            x += w
        self.y += 8

    def _swatch(self, key: str, x: float, y: float) -> str:
        """A legend key drawn like the bars it names, in chart units (the page's patterns)."""
        v, w, h = self.values, SWATCH_W, 10
        box = f'x="{x:g}" y="{y:g}" width="{w}" height="{h}"'
        if key == "run":
            return f'<rect {box} fill="{v["run"]}"/>'
        if key == "error":
            return f'<rect {box} fill="{v["error"]}"/>'
        if key == "live":
            return f'<rect {box} fill="{v["unreported"]}" stroke="{v["inflight-line"]}"/>'
        if key == "cancelled":
            return f'<rect {box} fill="#fff" stroke="{v["cancelled"]}" stroke-dasharray="3 2"/>'
        if key == "queued":
            return f'<rect x="{x:g}" y="{y + h / 2 - 1:g}" width="{w}" height="2" fill="{v["queued"]}"/>'
        if key == "kill":
            return f'<line class="kill" x1="{x + w / 2:g}" x2="{x + w / 2:g}" y1="{y:g}" y2="{y + h:g}"/>'
        reason = "other" if key == "flight" else key
        return f'<rect {box} fill="url(#{pattern_id(reason)})" stroke="#999" stroke-width="0.5"/>'

    def _plot(self, inner: str, height: float) -> None:
        """A plot at the current height: the page's SVG content in its own viewBox, framed."""
        y, h = self.y, height
        # Bars carry their tooltip twice on the page (data-tip for the script, <title>).
        inner = re.sub(r' data-tip="[^"]*"', "", inner)
        self.parts.append(
            f'<svg x="{LEFT}" y="{y:g}" width="{VIEW_W}" height="{h:g}"'
            f' viewBox="0 0 {VIEW_W} {h:g}" preserveAspectRatio="none">'
            f'<rect width="{VIEW_W}" height="{h:g}" fill="{self.values.get("chart-bg", "#fff")}"/>'
            f"{inner}</svg>"
            f'<path class="frame" fill="none" d="M{LEFT - 0.5:g},{y:g}V{y + h - 0.5:g}'
            f'H{LEFT + VIEW_W:g}"/>'
        )

    def _labels(self, labels: Sequence[str]) -> None:
        self.parts.append(f'<g clip-path="url(#labels-{self.s.run_id})">{"".join(labels)}</g>')

    def lanes(self) -> None:
        s, rows = self.s, self.s.lane_rows
        lanes = list(s.model.lanes.values())
        self._plot(charts.lane_plot(s), rows.height)
        self._labels(_row_labels([lane["label"] for lane in lanes], rows, self.y))
        for k in s.model.kills:
            x = LEFT + geometry.x(max(float(k["t_s"]), 0.0), s.span)
            self.parts.append(text(x + 3, self.y + 11, f"kill -9 pid {k['pid']}", "kill-mark"))
        self.y += rows.height

    def tasks(self) -> None:
        s, rows = self.s, self.s.task_rows
        inner, label = charts.task_plot(s)
        self._plot(inner, rows.height)
        n = s.model.info.tasks_requested
        self._labels(
            [
                text(0, self.y + 12, f"task 0 … task {n - 1:,}"),
                text(0, self.y + 12 + LINE_H, label, "muted"),
            ]
        )
        self.y += rows.height

    def axis(self) -> None:
        ticks = geometry.axis_ticks(self.s.span)
        y = self.y + 14
        for i, t in enumerate(ticks):
            anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"
            self.parts.append(text(LEFT + VIEW_W * t.at, y, t.label, "muted", anchor))
        self.y = y + 4

    def _series(self, inner: str, height: float, legend: Sequence[tuple[str, str]]) -> None:
        """A plot of lines with its legend in the label column: ``(line class, label)``, or
        ``("", text)`` for a note."""
        self._plot(inner, height)
        keys = []
        for i, (cls, label) in enumerate(legend):
            y = self.y + 12 + i * LINE_H
            if cls:
                keys.append(
                    f'<polyline class="{cls}" points="0,{y - 4:g} {SWATCH_W},{y - 4:g}"/>'
                    + text(SWATCH_W + 5, y, label)
                )
            else:
                keys.append(text(0, y, label, "muted"))
        self._labels(keys)
        self.y += max(height, LINE_H * len(legend) + 4) + 6

    def lines(self) -> None:
        s, h = self.s, lines.LINES_H
        top, flight, running = lines.lines_points(s)
        waiting = lines.waiting_points(s)
        grid = "".join(
            f'<line class="grid" x1="0" x2="{VIEW_W}" y1="{h - h * f:g}" y2="{h - h * f:g}"/>'
            for f in (0.25, 0.5, 0.75)
        )
        inner = grid + "".join(
            f'<polyline class="line-wait {reason}" points="{points}"/>'
            for reason, points in waiting
        )
        inner += f'<polyline class="line-flight" points="{flight}"/>'
        inner += f'<polyline class="line-run" points="{running}"/>'
        legend = [("line-flight", "tasks in flight"), ("line-run", "tasks running")]
        legend += [(f"line-wait {reason}", f"waiting: {reason}") for reason, _ in waiting]
        self._series(inner, h, [*legend, ("", lines.scale_label(top))])

    def cpu(self) -> None:
        cores = lines.cpu_points(self.s)
        inner = "".join(
            f'<polyline class="line-cpu core{i % 4}" points="{points}"/>'
            for i, points in enumerate(cores)
        )
        legend = [(f"line-cpu core{i % 4}", f"core {i}") for i in range(min(len(cores), 4))]
        if len(cores) > 4:
            legend.append(("", f"… {len(cores)} cores"))
        self._series(inner, lines.CPU_H, [*legend, ("", "CPU 0–100%")])

    def summary(self) -> None:
        if not self.s.model.finished:
            return
        lines = textwrap.wrap(summary_text(self.s.model), 150)
        self.y += 14
        top = self.y
        for line in lines:
            self.y += LINE_H + 2
            self.parts.append(text(12, self.y, line))
        self.parts.append(
            f'<rect x="0" y="{top:g}" width="4" height="{self.y - top + 6:g}"'
            f' fill="{self.values["run"]}"/>'
        )
        self.y += 6

    def document(self, doc: RunDocument) -> str:
        s = self.s
        height = round(self.y)
        page_patterns = macro("patterns", PATTERNS, "page")
        css = plot_css(page_css(), self.values) + "\n" + text_css(page_css(), self.values)
        title = s.model.info.title
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 2 * MARGIN}"'
            f' height="{height + 2 * MARGIN}" viewBox="0 0 {WIDTH + 2 * MARGIN}'
            f' {height + 2 * MARGIN}" role="img" aria-labelledby="title-{s.run_id}">'
            f'<title id="title-{s.run_id}">{escape(title)}</title>'
            f"<desc>Concurrency Lab, run {escape(doc['id'])}: tasks by worker, by task and over"
            " time, and CPU per core.</desc>"
            f"<style>\n{css}\n</style>"
            f'<defs><clipPath id="labels-{s.run_id}"><rect width="{LEFT - 8}"'
            f' height="{height}"/></clipPath>{page_patterns}</defs>'
            f"{charts.clip(s)}"
            '<rect width="100%" height="100%" fill="#fff"/>'
            f'<g transform="translate({MARGIN},{MARGIN})">{"".join(self.parts)}</g></svg>\n'
        )


def _row_labels(labels: Sequence[str], rows: Rows, top: float) -> list[str]:
    """The lane chart's labels: one per row, or (rows too thin) the first, the count, the last."""
    if not labels:
        return []
    if rows.labelled:
        return [
            f'<text x="0" y="{top + rows.y(i) + rows.bar_h / 2:g}" dy=".35em">{escape(label)}</text>'
            for i, label in enumerate(labels)
        ]
    return [
        text(0, top + 11, labels[0]),
        text(0, top + rows.height / 2 + 4, f"{len(labels):,} workers", "muted"),
        text(0, top + rows.height - 3, labels[-1]),
    ]
