// Tooltips for chart bars: the text of the bar's data-tip, under the pointer.
(() => {
  const tip = () => document.getElementById("tip");
  function show(el, x, y) {
    const t = tip(); if (!t) return;
    t.textContent = el.dataset.tip; t.hidden = false;
    t.style.left = Math.min(x + 12, innerWidth - t.offsetWidth - 8) + "px";
    t.style.top = (y + 14) + "px";
  }
  function hide() { const t = tip(); if (t && !t.hidden) t.hidden = true; }
  document.addEventListener("mouseover", e => {
    const el = e.target.closest?.("[data-tip]"); el ? show(el, e.clientX, e.clientY) : hide();
  });
})();

// Live runs: one EventSource per run view, applying each frame's out-of-band swaps directly
// (server/render/frames.py writes them). A frame is a list of elements in htmx's hx-swap-oob
// notation: "true" replaces the element with the same id; "innerHTML:#id", "beforeend:#id" and
// "outerHTML:#id" fill, extend or replace a target with the children of a wrapper (an <svg> for
// SVG children, so that they are parsed as SVG); "attrs:#id" copies the wrapper's attributes
// onto the target. On a small machine every millisecond the page spends is taken from the run it
// shows, so frames are made to change as little as they can (bench/observer.py measures it).
// The stream ends with an "end" event; a dropped stream is resumed, with Last-Event-ID.
(() => {
  const template = document.createElement("template");
  function apply(html) {
    template.innerHTML = html;
    for (const el of [...template.content.children]) {
      const spec = el.getAttribute("hx-swap-oob") || "true";
      el.removeAttribute("hx-swap-oob");
      const colon = spec.indexOf(":");
      if (colon < 0) {
        const target = document.getElementById(el.id);
        if (!target) continue;
        target.replaceWith(el);
        if (el.matches("[hx-post],[hx-get]") || el.querySelector("[hx-post],[hx-get]")) htmx.process(el);
        continue;
      }
      const style = spec.slice(0, colon);
      const target = document.getElementById(spec.slice(colon + 2));  // "#id"
      if (!target) continue;
      if (style === "attrs") {
        for (const a of el.attributes) target.setAttribute(a.name, a.value);
      } else if (style === "innerHTML") {
        target.replaceChildren(...el.childNodes);
      } else if (style === "beforeend") {
        target.append(...el.childNodes);
      } else if (style === "outerHTML") {
        target.replaceWith(...el.childNodes);
      }
    }
  }
  // The same applier for bench/frame_cost.py, which replays a recorded run's frames into its page.
  window.ConcurrencyLab = {applyFrame: apply};
  // A run started from this page waits (half a second at most) for its stream to open before
  // its clock starts, so the stream opens once the new view has been drawn: that first drawing
  // then costs the run nothing (pages.WATCHER_WAIT_S). The first animation frame paints the view;
  // raster and the compositor draw it while the next ones begin (traced: the display
  // compositor's 10 ms came after the second), so the stream waits for the third.
  function afterPaint(f) {
    let done = false;
    const once = () => { if (!done) { done = true; f(); } };
    requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(once, 0))));
    setTimeout(once, 200);  // a hidden tab paints nothing
  }
  function connect(view) {
    view.dataset.streaming = "1";
    afterPaint(() => listen(view));
  }
  function listen(view) {
    if (!view.isConnected) return;
    const source = new EventSource(view.dataset.stream);
    source.onmessage = (e) => {
      if (!view.isConnected) { source.close(); return; }
      if (e.data) {
        apply(e.data);
        view.dispatchEvent(new CustomEvent("lab:frame", {bubbles: true}));
      }
    };
    source.addEventListener("end", () => { source.close(); view.removeAttribute("data-stream"); });
  }
  function connectAll() {
    for (const view of document.querySelectorAll("[data-stream]:not([data-streaming])")) connect(view);
  }
  document.addEventListener("DOMContentLoaded", connectAll);
  document.addEventListener("htmx:after:swap", connectAll);
})();
