"""The charts as one standalone SVG: well-formed XML with nothing outside it (styles, patterns and
text of its own), drawing what the page draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from server.render import geometry
from server.render.standalone import chart_svg
from server.render.standalone_css import css_values, page_css, plot_css, resolve
from tests.render.handmade import HandDoc, slices_of
from tests.support import Execute

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[2]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode())


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def classed(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if cls in (e.get("class") or "").split()]


def slices(root: ET.Element, cls: str) -> list[tuple[str, str]]:
    """The slices of the bars' paths of one class (``run``, ``wait``), as (x, width)."""
    return [s for p in classed(root, "path", cls) for s in slices_of(p.get("d") or "")]


def assert_standalone(svg: str) -> ET.Element:
    """Parses alone, is SVG throughout, and refers to nothing outside itself."""
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("width") and root.get("height")
    assert {e.tag for e in root.iter() if not e.tag.startswith(SVG)} == set()
    assert [e.tag for e in root.iter(f"{SVG}foreignObject")] == []
    assert not [a for e in root.iter() for a in e.attrib if a.endswith("href")]
    style = "".join(s.text or "" for s in root.iter(f"{SVG}style"))
    assert "var(" not in style and "@import" not in style
    ids = {e.get("id") for e in root.iter()}
    refs = re.findall(r"url\(([^)]*)\)", svg)
    assert refs and all(r.startswith("#") and r[1:] in ids for r in refs), set(refs)
    return root


def threads_doc(handdoc: HandDoc) -> HandDoc:
    a, b = handdoc.lane("t11", tid=11), handdoc.lane("t12", tid=12)
    handdoc.task(a, 0.0, 0.4, [(0.0, 0.1), (0.2, 0.4)], [(0.1, 0.2, "gil")])
    handdoc.task(b, 0.0, 0.3, [(0.1, 0.2)], [(0.0, 0.1, "gil"), (0.2, 0.3, "core")])
    handdoc.task(b, 0.3, 0.5, [(0.3, 0.5)], [], submitted=0.0, status="error", error="boom")
    handdoc.sample(0.25, [80.0, 40.0])
    handdoc.sample(0.5, [90.0, 20.0])
    return handdoc


def test_the_chart_is_one_svg_document_with_nothing_outside_it(handdoc: HandDoc) -> None:
    root = assert_standalone(chart_svg(threads_doc(handdoc).doc()))
    assert root.find(f"{SVG}title") is not None
    # Its patterns of waiting: the run's (for the bars) and the chart-unit copy (legends).
    patterns = {e.get("id") for e in root.iter(f"{SVG}pattern")}
    assert {"wgil-r1", "wcore-r1", "wgil-page", "wother-page"} <= patterns


def test_it_draws_the_pages_charts_with_their_labels_axis_and_legends_as_text(
    handdoc: HandDoc,
) -> None:
    doc = threads_doc(handdoc).doc()
    root = parse(chart_svg(doc))
    words = texts(root)
    assert "cpu(ms=100) × 3 · threads · 2 workers" in words  # the title
    assert {"thread 1", "thread 2", "task 0 … task 2", "one row per task"} <= set(words)
    ticks = [t.label for t in geometry.axis_ticks(0.5)]
    assert ticks == ["0 ms", "100 ms", "200 ms", "300 ms", "400 ms", "500 ms"]
    assert all(words.count(label) == 3 for label in ticks)  # under lanes, tasks, CPU
    assert {"executing", "waiting for the GIL", "waiting for a core", "failed"} <= set(words)
    assert {"queued for a worker", "tasks in flight", "tasks running", "core 0", "core 1"} <= set(
        words
    )
    # Each running interval is a bar in the lane chart and in the task chart.
    assert len(slices(root, "run")) == 2 * 4
    assert len(slices(root, "wait")) == 2 * 3
    plots = root.findall(f"{SVG}g/{SVG}svg")
    assert len([e for p in plots for e in classed(p, "polyline", "line-cpu")]) == 2
    assert any(w.startswith("3 tasks in 500 ms") for w in words)  # the summary


def test_its_styles_are_the_pages_rules_for_plots_with_values_resolved() -> None:
    css = page_css()
    values = css_values(css, "r1")
    rules = plot_css(css, values)
    run = re.search(r"--run:\s*(#[0-9a-fA-F]{6})", css)
    assert run and f"path.run {{ fill: {run.group(1)}; }}" in rules
    assert "path.wait.gil { fill: url(#wgil-r1); }" in rules  # the run's own pattern
    assert ".key" not in rules and ".dashboard" not in rules  # the page's layout stays out
    assert resolve("a: var(--x, var(--y, 2px))", {"y": "var(--z)", "z": "#fff"}) == "a: #fff"
    assert resolve("a: var(--x, 1px 2px)", {}) == "a: 1px 2px"


def test_a_run_still_going_is_drawn_as_far_as_it_has_got(handdoc: HandDoc) -> None:
    t = handdoc.lane("t11", tid=11)
    handdoc.task(t, 0.0, 0.1, [(0.0, 0.1)])
    handdoc.task(t, 0.1, None, [(0.1, 0.15)])
    svg = chart_svg(handdoc.doc(status="running"))
    root = assert_standalone(svg)
    assert any("running, 150 ms so far" in w for w in texts(root))
    clip = root.find(f".//{SVG}rect[@id='nowclip-r1']")
    assert clip is not None and clip.get("width") == "151"  # in flight, clipped past "now"
    assert "not reported yet" in texts(root)  # its pale end, named like the page names it
    assert "rect.flight.live { fill: #f4dcae; }" in svg


def test_thousands_of_tasks_are_density_strips_and_still_one_document(handdoc: HandDoc) -> None:
    lanes = [handdoc.lane(f"t{i}", tid=i) for i in range(20, 30)]
    for i in range(2_500):
        start = 0.0004 * i
        handdoc.task(lanes[i % 10], start, start + 0.004, [(start, start + 0.004)])
    root = assert_standalone(chart_svg(handdoc.doc()))
    assert classed(root, "path", "run-area") and not classed(root, "path", "run")
    assert "21 tasks per row" in texts(root)


def test_a_real_processes_run_is_one_standalone_svg(execute: Execute) -> None:
    doc = execute("cpu", "processes", tasks=4, workers=2, ms=30)
    root = assert_standalone(chart_svg(doc))
    assert {"worker 1", "worker 2"} <= set(texts(root))
    assert len(slices(root, "run")) == 2 * sum(len(t["running"]) for t in doc["tasks"])
