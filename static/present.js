// Presentation mode (/present): the keys a presenter and a presenter's remote send. The next
// slide is fetched and put in place without leaving the page, so fullscreen stays on; the
// address bar follows the deck, so a reload keeps the place.
(() => {
  const slide = () => document.getElementById("slide");
  const keys = () => document.getElementById("keys");
  let turning = false;

  function go(url, push = true) {
    if (!url || turning) return;
    turning = true;
    if (push) history.pushState({}, "", url);
    const done = () => { turning = false; };
    htmx.ajax("GET", url, {target: "#slide", swap: "outerHTML"}).finally(done);
    setTimeout(done, 1500);  // a slow answer must not hold the deck
  }

  function run() {
    const form = slide()?.querySelector(".slide-run");
    if (form) form.requestSubmit();
  }

  function fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.().catch(() => {});
  }

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target.closest?.("input, select, textarea")) return;
    const s = slide();
    if (!s) return;
    switch (e.key) {
      case "ArrowRight": case "PageDown": e.preventDefault(); go(s.dataset.next); break;
      case "ArrowLeft": case "PageUp": e.preventDefault(); go(s.dataset.prev); break;
      case "Enter": case " ":
        if (e.target.closest?.("a, button")) return;  // Enter on a focused link or button: its own
        e.preventDefault(); run(); break;
      case "f": case "F": fullscreen(); break;
      case "?": keys().hidden = !keys().hidden; break;
      case "Escape":  // browsers leave fullscreen on Esc themselves; this covers the rest
        keys().hidden = true;
        if (document.fullscreenElement) document.exitFullscreen();
        break;
    }
  });
  addEventListener("popstate", () => go(location.pathname, false));
  document.addEventListener("htmx:after:swap", () => {
    const s = slide();
    if (s?.dataset.title) document.title = s.dataset.title;
  });
})();
