"""Presentation mode in Chromium at a projector's 1280 x 720, driven by the keys alone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from experiments.lessons import LESSONS
from server.liveserver import LiveServer


def test_the_deck_turns_with_the_keys_and_a_slide_runs_its_lesson(
    browser: Browser, server: LiveServer, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/present")
    order = list(LESSONS)
    slide = page.locator("#slide")
    expect(slide).to_have_attribute("data-lesson", order[0])
    for key, at in (("ArrowRight", 1), ("ArrowRight", 2), ("PageDown", 3), ("PageUp", 2)):
        page.keyboard.press(key)
        expect(slide).to_have_attribute("data-lesson", order[at])
        expect(page).to_have_url(f"{server.url}/present/{order[at]}")  # a reload keeps the place
    page.keyboard.press("f")
    page.wait_for_function("document.fullscreenElement !== null")
    page.keyboard.press("Escape")
    page.wait_for_function("document.fullscreenElement === null")
    page.keyboard.press("?")
    expect(page.locator("#keys")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys")).to_be_hidden()
    page.keyboard.press("Enter")
    comparison = page.locator("#comparison")
    expect(comparison).to_have_attribute("data-status", "running", timeout=10_000)
    expect(comparison).to_have_attribute("data-status", "done", timeout=60_000)
    verdict = page.locator("#comparison .verdict p")
    expect(verdict).to_be_visible()
    page.screenshot(path=str(artifacts / "present-1280x720.png"))
    # Readable on a projector: body text 24 px or more, the charts 60% of the slide or more,
    # and the verdict on the screen below them.
    sizes = page.evaluate(
        "[...document.querySelectorAll('.idea, .verdict p')].map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 24, sizes
    stack = page.locator("#comparison .cmp-stack").bounding_box()
    assert stack is not None and stack["height"] >= 0.6 * 720, stack
    said = verdict.bounding_box()
    assert said is not None and said["y"] + 40 < 720, said
    page.reload()
    expect(slide).to_have_attribute("data-lesson", order[2])
    assert not errors, errors
    context.close()
