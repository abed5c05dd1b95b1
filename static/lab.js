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
