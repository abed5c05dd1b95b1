"""Embedding in Chromium: a docs page on another origin (a second loopback port) frames a live
run; the frame shows its bars growing and takes its content's height through embed.js."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from server.liveserver import LiveServer


class HostPage(BaseHTTPRequestHandler):
    """Someone's docs page: ``/?src=URL&lab=ORIGIN`` frames URL, with the lab's embed.js."""

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        src, lab = query["src"][0], query["lab"][0]
        body = (
            "<!doctype html><title>Docs</title><h1>Our docs</h1>"
            f'<iframe id="lab" src="{src}" title="a run" style="width:640px;height:100px;border:0"></iframe>'
            f'<script src="{lab}/static/embed.js"></script>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def docs() -> Iterator[str]:
    host = ThreadingHTTPServer(("127.0.0.1", 0), HostPage)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{host.server_address[1]}"
    host.shutdown()
    host.server_close()


@pytest.fixture(scope="module")
def lab_for_docs(docs: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A lab whose embeds the docs site may frame (CLAB_EMBED_ORIGINS)."""
    env = {"CLAB_EMBED_ORIGINS": f"'self' {docs}"}
    with LiveServer(tmp_path_factory.mktemp("embeds"), env=env) as lab:
        yield lab


def framed(page: Page, docs: str, src: str, lab: str) -> str:
    """The URL the framed document ended up with: a refused frame shows Chromium's error page."""
    page.goto(f"{docs}/?src={src}&lab={lab}")
    page.wait_for_timeout(500)
    child = [f for f in page.frames if f != page.main_frame]
    assert len(child) == 1
    return child[0].url


def test_only_the_embeds_and_only_for_the_allowed_origins_can_be_framed(
    page: Page, server: LiveServer, lab_for_docs: LiveServer, docs: str
) -> None:
    allowed = f"{lab_for_docs.url}/embed/lessons/gil"
    assert framed(page, docs, allowed, lab_for_docs.url) == allowed
    # The same embed of a lab that lets only itself frame them (the default): refused.
    refused = framed(page, docs, f"{server.url}/embed/lessons/gil", server.url)
    assert refused.startswith("chrome-error://"), refused
    # A page that is not an embed refuses every frame, an allowed origin's too.
    assert framed(page, docs, f"{lab_for_docs.url}/", lab_for_docs.url).startswith(
        "chrome-error://"
    )


def test_a_docs_page_frames_a_live_run_that_grows_and_fits_its_frame(
    page: Page, lab_for_docs: LiveServer, docs: str
) -> None:
    server = lab_for_docs
    body = {
        "workload": "cpu",
        "executor": "processes",
        "tasks": 6,
        "workers": 2,
        "params": {"ms": 500},
    }
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    page.goto(f"{docs}/?src={server.url}/embed/runs/{run_id}&lab={server.url}")
    frame = page.frame_locator("#lab")
    expect(frame.locator(f"#lanes-{run_id} g.bar").first).to_be_attached(timeout=10_000)
    clip = frame.locator(f"#nowclip-{run_id}")
    drawn = clip.get_attribute("width") or "0"
    # The next frame: within a second, the frame period of a run that keeps 2 cores busy.
    expect(clip).not_to_have_attribute("width", drawn, timeout=5_000)
    assert float(clip.get_attribute("width") or 0) > float(drawn)  # live: the bars grow
    iframe = page.locator("#lab")
    expect(iframe).to_have_attribute("data-lab-height", re.compile(r"\d+"), timeout=5_000)
    content = int(iframe.get_attribute("data-lab-height") or 0)
    assert content > 600  # the run's view, not the 100 px the page gave it
    assert iframe.evaluate("f => f.getBoundingClientRect().height") == pytest.approx(content, abs=2)
    expect(frame.locator(f"#badge-{run_id}")).to_have_attribute(
        "data-status", "done", timeout=30_000
    )


@pytest.mark.parametrize(
    "path", ["/embed/runs/{id}", "/embed/lessons/gil", "/embed/compare?runs={id}"]
)
def test_embeds_read_from_480_px_wide_without_scrolling_sideways(
    page: Page, server: LiveServer, path: str
) -> None:
    body = {"workload": "io", "executor": "threads", "tasks": 4, "workers": 2, "params": {"ms": 20}}
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    page.set_viewport_size({"width": 480, "height": 800})
    page.goto(server.url + path.format(id=run_id))
    assert page.evaluate("document.documentElement.scrollWidth") <= 480
    for text in page.locator(".counter dd, .label, figcaption").all():
        box = text.bounding_box()
        assert box is None or box["x"] + box["width"] <= 481, text.inner_text()
