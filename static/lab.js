// Tooltips for chart bars: the same text as their <title>, also shown on keyboard focus.
(() => {
  const tip = () => document.getElementById("tip");
  function show(el, x, y) {
    const t = tip(); if (!t) return;
    t.textContent = el.dataset.tip; t.hidden = false;
    t.style.left = Math.min(x + 12, innerWidth - t.offsetWidth - 8) + "px";
    t.style.top = (y + 14) + "px";
  }
  function hide() { const t = tip(); if (t) t.hidden = true; }
  document.addEventListener("mouseover", e => { const el = e.target.closest?.("[data-tip]"); el ? show(el, e.clientX, e.clientY) : hide(); });
  document.addEventListener("focusin", e => {
    const el = e.target.closest?.("[data-tip]"); if (!el) return;
    const r = el.getBoundingClientRect(); show(el, r.left, r.bottom);
  });
  document.addEventListener("focusout", hide);
})();

// Live runs: one EventSource per run view, applying each frame's out-of-band swaps directly.
// A frame is a list of elements in htmx's hx-swap-oob notation: "true" replaces the element with
// the same id; "innerHTML:#id" and "beforeend:#id" fill or extend a target with the children of an
// <svg> wrapper (so that they are parsed as SVG). htmx's SSE extension applied them before; doing
// it here cut Chromium's CPU for a watched 2-process run from 0.54 to 0.42 s (bench/observer.py),
// and on a small machine every millisecond the page spends is taken from the run it shows. The
// stream ends with an "end" event; a dropped stream is resumed by the browser, with Last-Event-ID.
(() => {
  const template = document.createElement("template");
  function apply(html) {
    template.innerHTML = html;
    for (const el of [...template.content.children]) {
      const spec = el.getAttribute("hx-swap-oob") || "true";
      el.removeAttribute("hx-swap-oob");
      const colon = spec.indexOf(":");
      const style = colon < 0 ? "outerHTML" : spec.slice(0, colon);
      const target = colon < 0 ? document.getElementById(el.id) : document.querySelector(spec.slice(colon + 1));
      if (!target) continue;
      if (style === "outerHTML") {
        target.replaceWith(el);
        if (el.querySelector("[hx-post],[hx-get]")) htmx.process(el);
      } else if (style === "innerHTML") {
        target.replaceChildren(...el.childNodes);
      } else if (style === "beforeend") {
        target.append(...el.childNodes);
      }
    }
  }
  function connect(view) {
    view.dataset.streaming = "1";
    const source = new EventSource(view.dataset.stream);
    source.onmessage = (e) => {
      if (!view.isConnected) { source.close(); return; }
      if (e.data) apply(e.data);
    };
    source.addEventListener("end", () => source.close());
  }
  function connectAll() {
    for (const view of document.querySelectorAll("[data-stream]:not([data-streaming])")) connect(view);
  }
  document.addEventListener("DOMContentLoaded", connectAll);
  document.addEventListener("htmx:after:swap", connectAll);
})();
