"""Live frames: the out-of-band swaps that bring a watching page from one moment to the next.

A frame is HTML in htmx's ``hx-swap-oob`` notation, applied by ``static/lab.js``: ``true``
replaces the element with the same id; ``innerHTML:#id``, ``beforeend:#id`` and
``outerHTML:#id`` fill, extend or replace a target with the children of a wrapper (an ``<svg>``
for SVG children, so that they are parsed as SVG); ``attrs:#id`` copies the wrapper's attributes
onto the target. Every piece comes from the panels (``server.render.panels``), so a frame draws
exactly what a page rendered at that moment would: element for element, except the lines over
time, whose points are the same in more polylines until the run's end redraws them, and the
averages among the counters, which follow every ``LINES_EVERY_S``.

What a page watching the run has drawn so far is a :class:`Shown`, passed in and returned:
functions here have no state of their own. A browser's cost is what a frame makes it redo, so a
frame changes as little as it can: "now" is one attribute (the width of the clip rectangle that
ends the bars in flight), a longer time axis is one more (the scale of the bars, drawn in ms),
new running slices are appended, a line over time gets a segment and a new tail
(``server.render.lines``), and a chart is redrawn only when a lane appears or its density strips
are due.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape

from server.render import charts, lines, panels, svg
from server.render.model import Changes
from server.render.patterns import PATTERNS, pattern_id
from server.render.scene import Scene
from server.render.templates import macro

#: Density strips cost rows x columns to draw: redraw them at most this often (and at the end).
DENSITY_EVERY_S = 0.5
#: The lines over time move a few pixels a frame: extend them at most this often (and at the
#: end, or when the scale changes). Replayed in Chromium, line updates were a fifth to a third
#: of what a watching tab spent; twice a second still reads as a line that grows.
LINES_EVERY_S = 0.5


#: The counters as drawn: (label, value, key) each.
Counters = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Shown:
    """What the pages watching a run have drawn (as of the last frame)."""

    now: float
    span: float
    lane_rows: int  # rows of the lane chart (room kept for lanes to come, while live)
    cores: int
    lines_top: str
    reasons: tuple[str, ...]  # the reasons of waiting that have a line
    #: Settled columns drawn: of the lines over time, of the CPU lines (``server.render.lines``).
    lines_cols: int
    cpu_cols: int
    #: status, queue position, queue reason, the frame period while every core is busy
    status: tuple[str, int | None, str | None, float | None]
    head: tuple[object, ...]  # what the head's parts show (``panels.head_key``)
    density_at: float
    lines_at: float
    counters: Counters
    legends: tuple[tuple[tuple[str, str], ...], ...]


def shown(s: Scene) -> Shown:
    """What a page rendered (or sent a snapshot) at scene ``s`` has."""
    cores = lines.n_cores(s)
    cells = tuple(panels.counter_cells(s))
    legends = (charts.legend_keys(s, "L"), charts.legend_keys(s, "T"))
    lines_cols = lines.settled_columns(s)
    cpu_cols = lines.cpu_columns(s)[1] if cores else 0
    return Shown(
        now=s.now,
        span=s.span,
        lane_rows=s.lane_rows.n,
        cores=cores,
        lines_top=f"{lines.scale_top(s):g}",
        reasons=lines.reasons(s),
        lines_cols=lines_cols,
        cpu_cols=cpu_cols,
        status=_status_key(s),
        head=panels.head_key(s),
        density_at=s.now,
        lines_at=s.now,
        counters=cells,
        legends=legends,
    )


def _status_key(s: Scene) -> tuple[str, int | None, str | None, float | None]:
    return (s.model.status, s.queue.position, s.queue.reason, s.paced_s)


def wrap(style: str, target: str, children: str, tag: str = "svg") -> str:
    """Children swapped into ``target`` (an element id) in the given style."""
    return f'<{tag} hx-swap-oob="{style}:#{target}">{children}</{tag}>'


def attrs(target: str, **values: str) -> str:
    """Attributes set on ``target`` (an element id). The wrapper is an ``<svg>``: HTML parsing
    lowercases attribute names, except SVG's own on SVG elements (``patternTransform``)."""
    pairs = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in values.items())
    return f'<svg hx-swap-oob="attrs:#{target}"{pairs}></svg>'


def oob(html: str) -> str:
    """A panel marked to replace its namesake (a panel is one element: its tag ends at the
    first ``>``)."""
    html = str(html)  # not Markup, which would escape the attribute's quotes
    i = html.index(">")
    return html[:i] + ' hx-swap-oob="true"' + html[i:]


def snapshot(s: Scene) -> tuple[str, Shown]:
    """Every panel whole: for a page that joined late or fell behind."""
    run = s.run_id
    out = [
        _clock(s, rescaled=True),
        str(panels.status_parts(s)),
        str(panels.counters(s, oob=True)),
        wrap("innerHTML", f"lanes-{run}", charts.lane_chart_body(s), "div"),
        wrap("innerHTML", f"tasks-{run}", charts.task_chart_body(s), "div"),
        str(charts.axis(s, oob=True)),
        oob(lines.lines(s)),
        oob(charts.legend(s, "L")),
        oob(charts.legend(s, "T")),
        oob(lines.cpu(s)),
        oob(panels.summary(s)),
        wrap("innerHTML", f"tablebody-{run}", panels.task_table_body(s), "div"),
    ]
    return "".join(out), shown(s)


def _clock(s: Scene, rescaled: bool) -> str:
    """Time moving on: the clip at "now"; with a new span, the bars' scale and the hatching's."""
    run = s.run_id
    out = attrs(f"nowclip-{run}", width=s.clip_ms)
    if rescaled:
        out += attrs(f"lscale-{run}", transform=s.timescale, data_span=f"{s.span:g}")
        for p in PATTERNS:
            out += attrs(pattern_id(p.reason, run), patternTransform=s.pattern_transform(p.rotate))
        if not s.model.info.task_density:
            out += attrs(f"tscale-{run}", transform=s.timescale, data_span=f"{s.span:g}")
    return out


def delta(s: Scene, ch: Changes, before: Shown) -> tuple[str, Shown]:
    """The swaps from ``before`` (what pages have) to scene ``s``, which folded in ``ch``."""
    run, m = s.run_id, s.model
    now_shown = shown(s)
    rescaled = s.span != before.span
    lines_due = rescaled or ch.status or s.now - before.lines_at >= LINES_EVERY_S
    # A new axis, a new scale, a new reason or the end: the lines anew (the end leaves what a
    # page rendered then has); else, when due, each line extended.
    redraw = (
        rescaled
        or m.finished
        or now_shown.reasons != before.reasons  # a reason appeared: a line too
        or now_shown.lines_top != before.lines_top
    )
    out = [_clock(s, rescaled)]
    if not (lines_due or redraw):  # the averages move a little every frame: with the lines
        now_shown = replace(now_shown, counters=_held(now_shown.counters, before.counters))
    out += [  # each number that changed, in place (a new panel would be laid out anew)
        wrap("innerHTML", f"c{key}-{run}", macro("counter_value", value), "span")
        for (_, value, key), (_, was, _) in zip(now_shown.counters, before.counters, strict=True)
        if value != was
    ]
    density_due = m.info.task_density and (
        ch.status or ch.new_lanes or s.now - before.density_at >= DENSITY_EVERY_S
    )
    # Kill labels are HTML placed in percent of the span: a new span moves them.
    relabel = rescaled and bool(m.kills)
    regrown = now_shown.lane_rows != before.lane_rows
    if ch.new_lanes or ch.kills or relabel or regrown or (density_due and m.info.lane_density):
        out.append(wrap("innerHTML", f"lanes-{run}", charts.lane_chart_body(s), "div"))
    else:
        out += _bar_swaps(s, ch, "L")
    if density_due:
        out.append(wrap("innerHTML", f"tasks-{run}", charts.task_chart_body(s), "div"))
    elif not m.info.task_density:
        out += _bar_swaps(s, ch, "T")
    if rescaled:
        out.append(str(charts.axis(s, oob=True)))
    for chart, keys, had in zip("LT", now_shown.legends, before.legends, strict=True):
        if keys != had:
            out.append(oob(charts.legend(s, chart)))
    if not density_due and m.info.task_density:  # strips not redrawn: keep the older time
        now_shown = replace(now_shown, density_at=before.density_at)
    swaps, now_shown = _lines(s, before, now_shown, redraw, lines_due)
    out += swaps
    # The head's parts that changed (the live region only when its words do, so that a screen
    # reader is not told "Running" again when only the pace changes).
    changed = frozenset(
        part
        for part, now, was in zip(panels.HEAD_PARTS, now_shown.head, before.head, strict=True)
        if now != was
    )
    if changed:
        out.append(str(panels.status_parts(s, changed)))
    if now_shown.status[0] != before.status[0] or (ch.status and m.finished):
        out.append(str(panels.history_cells(s)))
        if m.finished:
            out.append(oob(panels.summary(s)))
            out.append(wrap("innerHTML", f"tablebody-{run}", panels.task_table_body(s), "div"))
    return "".join(out), now_shown


#: The counters that average the run so far: drawn every LINES_EVERY_S, not every frame.
AVERAGES = frozenset({"concurrency", "parallelism", "rss"})


def _held(now: Counters, was: Counters) -> Counters:
    """``now``, with the averages as they were."""
    return tuple(
        was_cell if cell[2] in AVERAGES else cell for cell, was_cell in zip(now, was, strict=True)
    )


def _lines(
    s: Scene, before: Shown, now_shown: Shown, redraw: bool, due: bool
) -> tuple[list[str], Shown]:
    """The lines over time and the CPU lines: anew if ``redraw``; when ``due``, each line's
    settled part extended and its tail redrawn. The CPU lines are drawn anew only for a new
    axis, new cores or the end."""
    run, m, out = s.run_id, s.model, []
    if redraw:
        out.append(oob(lines.lines(s)))
    elif due:
        out += [_extend(line, run, before.lines_cols) for line in lines.series(s)[1]]
    else:
        now_shown = replace(
            now_shown,
            lines_at=before.lines_at,
            lines_top=before.lines_top,
            lines_cols=before.lines_cols,
        )
    if s.span != before.span or m.finished or now_shown.cores != before.cores:
        out.append(oob(lines.cpu(s)))
    elif due:
        out += [_extend(line, run, before.cpu_cols) for line in lines.cores(s)]
    else:
        now_shown = replace(now_shown, cpu_cols=before.cpu_cols)
    return out, now_shown


def _extend(line: lines.Line, run: str, drawn: int) -> str:
    """A line's settled part extended from the ``drawn`` columns a page has, and its tail."""
    out = ""
    if line.settled > drawn:
        segment = f'<polyline class="{line.css}" points="{line.points(drawn, line.settled)}"/>'
        out += wrap("beforeend", f"{line.key}-{run}", segment)
    return out + attrs(f"{line.key}t-{run}", points=line.tail_points)


def _bar_swaps(s: Scene, ch: Changes, prefix: str) -> list[str]:
    """New bars appended to their row group, an ended bar replaced whole, and a grown bar's paths
    that gained slices given their new outlines (a reason of waiting new to the bar is a path
    appended to it)."""
    m, run = s.model, s.run_id
    rows = s.lane_rows if prefix == "L" else s.task_rows
    out: list[str] = []
    by_parent: dict[str, list[str]] = {}
    for tid in ch.new:
        t = m.tasks[tid]
        parent = f"Llane-{run}-{t['lane']}" if prefix == "L" else f"Trows-{run}"
        y = 0.0 if prefix == "L" else rows.y(tid)
        by_parent.setdefault(parent, []).append(
            svg.bar(prefix, t, run, y, rows.bar_h, charts.tip(s, t))
        )
    out += [wrap("beforeend", parent, "".join(bars)) for parent, bars in by_parent.items()]
    for tid in ch.ended:
        if tid not in ch.new:
            t = m.tasks[tid]
            y = 0.0 if prefix == "L" else rows.y(tid)
            whole = svg.bar(prefix, t, run, y, rows.bar_h, charts.tip(s, t))
            out.append(wrap("outerHTML", svg.bar_id(prefix, run, tid), whole))
    for tid, (runs, waits) in ch.grown.items():
        if tid in ch.new or tid in ch.ended:
            continue
        t = m.tasks[tid]
        y, bar = (0.0 if prefix == "L" else rows.y(tid)), svg.bar_id(prefix, run, tid)
        all_waits = t.get("waits") or []
        had = {"run", *(reason for _, _, reason in all_waits[:waits])}  # the page's paths
        grew = {reason for _, _, reason in all_waits[waits:]}
        if len(t["running"]) > runs:
            grew.add("run")
        added = ""
        for kind, spans in svg.slice_kinds(t).items():
            if kind not in grew:
                continue
            d, path = svg.outline(spans, y, rows.bar_h), svg.slice_id(bar, kind)
            if kind in had:
                out.append(attrs(path, d=d))
            else:
                added += svg.slice_path(kind, d, path)
        if added:
            out.append(wrap("beforeend", bar, added))
    return out
