"""Embeds and oEmbed over HTTP: chrome-less pages of the same views, and their discovery."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from server.web.pages_embed import embeddable
from tests.support import LabClient


@pytest.fixture(scope="module")
def finished(client: LabClient) -> dict[str, Any]:
    doc = client.start(workload="io", executor="threads", tasks=3, workers=3, params={"ms": 20})
    return client.wait_until_finished(doc["id"])


def html(client: LabClient, path: str, status: int = 200) -> BeautifulSoup:
    r = client.get(path)
    assert r.status_code == status, r.text
    return BeautifulSoup(r.text, "html.parser")


def test_a_run_embed_is_the_run_view_without_the_sites_navigation(
    client: LabClient, finished: dict[str, Any]
) -> None:
    page = html(client, f"/embed/runs/{finished['id']}?theme=dark")
    assert page.select_one("header.top") is None and not page.select("nav a[href='/lessons']")
    assert page.html is not None and page.html["data-theme"] == "dark"
    assert len(page.select(f"#lanes-{finished['id']} g.bar")) == 3
    assert page.select_one("script[src='/static/frame.js']") is not None  # it posts its height
    assert page.select_one("base")["target"] == "_blank"  # type: ignore[index]
    assert html(client, "/embed/runs/nope", 404) is not None
    assert client.get(f"/embed/runs/{finished['id']}?theme=pink").status_code == 422


def test_a_lesson_embed_has_its_run_button_and_a_comparison_embed_its_runs(
    client: LabClient, finished: dict[str, Any]
) -> None:
    lesson = html(client, "/embed/lessons/io-bound")
    form = lesson.select_one("form[hx-post='/lessons/io-bound/run']")
    assert form is not None and form["target"] == "_self"  # the run stays in the frame
    compare = html(client, f"/embed/compare?runs={finished['id']}")
    assert len(compare.select(".cmp-run")) == 1
    assert html(client, "/embed/compare?runs=nope", 404).select_one(".field-error") is not None


def test_oembed_answers_rich_for_this_labs_pages_only(
    client: LabClient, finished: dict[str, Any]
) -> None:
    lab = str(client.base_url).rstrip("/")
    for path, embed in (
        (f"/runs/{finished['id']}", f"/embed/runs/{finished['id']}"),
        (f"/embed/runs/{finished['id']}", f"/embed/runs/{finished['id']}"),
        ("/lessons/gil", "/embed/lessons/gil"),
        (f"/compare?runs={finished['id']}", f"/embed/compare?runs={finished['id']}"),
    ):
        r = client.get("/oembed", params={"url": lab + path, "format": "json"})
        assert r.status_code == 200, (path, r.text)
        o = r.json()
        assert (o["version"], o["type"], o["provider_name"]) == ("1.0", "rich", "Concurrency Lab")
        frame = BeautifulSoup(o["html"], "html.parser").iframe
        assert frame is not None and frame["src"] == lab + embed
        assert o["width"] and o["height"] and o["title"]
    capped = client.get("/oembed", params={"url": lab + "/lessons/gil", "maxwidth": 500}).json()
    assert capped["width"] == 500
    for url in ("http://evil.example/runs/x", lab + "/runs/nope", lab + "/lessons/nope", lab + "/"):
        assert client.get("/oembed", params={"url": url}).status_code == 404, url
    xml = client.get("/oembed", params={"url": lab + "/lessons/gil", "format": "xml"})
    assert xml.status_code == 501


def test_run_and_lesson_pages_carry_the_oembed_discovery_link(
    client: LabClient, finished: dict[str, Any]
) -> None:
    for path in (f"/runs/{finished['id']}", "/lessons/gil"):
        link = html(client, path).select_one("link[rel=alternate][type='application/json+oembed']")
        assert link is not None and link["href"].startswith("/oembed?url=http")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8000/runs/abc", "run"),
        ("http://localhost:8000/embed/lessons/gil", "lesson"),
        ("http://[::1]:8000/compare?run=a&run=b", "compare"),
        ("http://127.0.0.1:9999/runs/abc", None),  # another port: another lab
        ("ftp://127.0.0.1:8000/runs/abc", None),
        ("http://127.0.0.1:8000/runs", None),
        ("http://127.0.0.1:bad/runs/abc", None),
    ],
)
def test_which_urls_are_this_labs(url: str, kind: str | None) -> None:
    found = embeddable(url, 8000)
    assert (found[0] if found else None) == kind
