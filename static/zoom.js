// Zoom and pan on the Gantt charts, down to a millisecond: the bars are drawn in ms under one
// scaling transform (server/render/svg.py), so a zoomed window is just another transform.
//
// A timeline is a run's view (or a stack of compared runs): its charts zoom together, on their
// shared time axis. Mouse: drag across the time axis to zoom to a range, wheel to zoom around the
// pointer, drag a chart to pan, double-click to reset. Keyboard, on a focused chart: + and -
// zoom, the arrows pan, Esc or 0 resets. While a run is live a zoomed window stays put: after
// each frame (lab.js sends "lab:frame") the window is drawn again. Labels are HTML outside the
// SVGs, so they keep their size; the patterns of waiting get a transform that undoes the zoom.
(() => {
  const VIEW_W = 1000, MIN_S = 0.001, STEP = 1.25;
  const windows = new WeakMap();  // timeline -> [t0, t1] in seconds, while zoomed

  const timelineOf = el => el.closest(".cmp-stack") || el.closest(".run-view");
  const spanOf = tl => {
    const g = tl.querySelector("g.timescale[data-span]");
    return g ? parseFloat(g.dataset.span) : 0;
  };

  function niceStep(width) {
    const raw = width / 6, mag = 10 ** Math.floor(Math.log10(raw));
    for (const m of [1, 2, 5, 10]) if (raw <= m * mag * (1 + 1e-9)) return m * mag;
    return 10 * mag;
  }

  function ticks(axis, t0, t1) {
    const width = t1 - t0, step = niceStep(width);
    const [unit, factor] = width < 1 ? ["ms", 1000] : ["s", 1];
    const decimals = Math.max(0, -Math.floor(Math.log10(step * factor) + 1e-9));
    const spans = [];
    for (let t = Math.ceil(t0 / step - 1e-9) * step; t <= t1 + 1e-9; t += step) {
      const span = document.createElement("span");
      const at = (t - t0) / width;
      span.style.left = (100 * at).toFixed(3) + "%";
      if (at > 0.97) span.className = "end";
      span.textContent = (t * factor).toFixed(decimals) + " " + unit;
      spans.push(span);
    }
    axis.replaceChildren(...spans);
  }

  function draw(tl) {
    const win = windows.get(tl), span = spanOf(tl);
    if (!win || !span) return;
    const [t0, t1] = win, k = VIEW_W / ((t1 - t0) * 1000);
    for (const g of tl.querySelectorAll("g.timescale")) {
      zoomAttr(g, "transform", `scale(${k.toPrecision(6)},1) translate(${(-t0 * 1000).toFixed(3)},0)`);
    }
    for (const p of tl.querySelectorAll("pattern[data-rotate]")) {
      if (p.id.endsWith("-page")) continue;
      const turn = +p.dataset.rotate ? ` rotate(${p.dataset.rotate})` : "";
      zoomAttr(p, "patternTransform", `scale(${(1 / k).toPrecision(6)},1)${turn}`);
    }
    for (const axis of tl.querySelectorAll(".axis")) ticks(axis, t0, t1);
    for (const kill of tl.querySelectorAll(".kill-marks .kill[data-t]")) {
      const at = (parseFloat(kill.dataset.t) - t0) / (t1 - t0);
      kill.style.left = (100 * at).toFixed(3) + "%";
      kill.hidden = at < 0 || at > 1;
    }
    note(tl, label(t0, t1));
  }

  // Set a zoomed attribute, keeping what the server gave it (also when a live frame has given
  // it anew since) for the way back.
  function zoomAttr(el, name, value) {
    const now = el.getAttribute(name);
    if (now !== el.dataset.zoomed) el.dataset.base = now ?? "";
    el.dataset.zoomed = value;
    el.setAttribute(name, value);
  }

  function unzoomAttr(el, name) {
    if (el.dataset.zoomed === undefined) return;
    if (el.getAttribute(name) === el.dataset.zoomed) el.setAttribute(name, el.dataset.base);
    delete el.dataset.zoomed;
    delete el.dataset.base;
  }

  function label(t0, t1) {
    const ms = (t1 - t0) < 2;
    const f = t => ms ? (t * 1000).toFixed(1) : t.toFixed(2);
    return `${f(t0)}–${f(t1)} ${ms ? "ms" : "s"}`;
  }

  function note(tl, text) {  // beside the first chart's axis, under its labels: nothing moves
    let el = tl.querySelector(".zoom-note");
    if (!text) { if (el) el.remove(); return; }
    if (!el) {
      el = document.createElement("p");
      el.className = "zoom-note";
      el.setAttribute("role", "status");
      el.title = "Esc, 0 or a double-click: the whole run";
      tl.querySelector(".gantt")?.append(el);
    }
    el.textContent = text;
  }

  function zoomTo(tl, t0, t1) {
    const span = spanOf(tl);
    if (!span) return;
    let width = Math.min(Math.max(t1 - t0, MIN_S), span);
    if (width >= span * 0.999) return reset(tl);
    t0 = Math.min(Math.max(t0, 0), span - width);
    windows.set(tl, [t0, t0 + width]);
    draw(tl);
  }

  function reset(tl) {
    if (!windows.has(tl)) return;
    windows.delete(tl);
    const span = spanOf(tl);
    for (const g of tl.querySelectorAll("g.timescale")) unzoomAttr(g, "transform");
    for (const p of tl.querySelectorAll("pattern[data-rotate]")) unzoomAttr(p, "patternTransform");
    for (const axis of tl.querySelectorAll(".axis")) ticks(axis, 0, span);
    for (const kill of tl.querySelectorAll(".kill-marks .kill[data-t]")) {
      kill.style.left = (100 * parseFloat(kill.dataset.t) / span).toFixed(3) + "%";
      kill.hidden = false;
    }
    note(tl, "");
  }

  const windowOf = tl => windows.get(tl) || [0, spanOf(tl)];
  const fractionAt = (el, x) => {
    const r = el.getBoundingClientRect();
    return Math.min(Math.max((x - r.left) / r.width, 0), 1);
  };

  function zoomAround(tl, f, factor) {
    const [t0, t1] = windowOf(tl), t = t0 + f * (t1 - t0), width = (t1 - t0) * factor;
    zoomTo(tl, t - f * width, t - f * width + width);
  }

  document.addEventListener("wheel", e => {
    const svg = e.target.closest?.(".gantt-svg"), tl = svg && timelineOf(svg);
    if (!tl || !spanOf(tl)) return;
    e.preventDefault();
    zoomAround(tl, fractionAt(svg, e.clientX), e.deltaY < 0 ? 1 / STEP : STEP);
  }, {passive: false});

  // Drag: across an axis, a range to zoom to; on a chart, a pan.
  let drag = null;
  document.addEventListener("mousedown", e => {
    if (e.button !== 0) return;
    const axis = e.target.closest?.(".axis"), svg = e.target.closest?.(".gantt-svg");
    const el = axis || svg, tl = el && timelineOf(el);
    if (!tl || !spanOf(tl)) return;
    e.preventDefault();
    drag = {tl, el, axis: !!axis, x: e.clientX, win: windowOf(tl), band: null};
  });
  document.addEventListener("mousemove", e => {
    if (!drag) return;
    const r = drag.el.getBoundingClientRect(), [t0, t1] = drag.win;
    if (drag.axis) {
      if (!drag.band) {
        drag.band = document.createElement("div");
        drag.band.className = "zoom-band";
        drag.el.append(drag.band);
      }
      const a = Math.max(Math.min(drag.x, e.clientX), r.left), b = Math.min(Math.max(drag.x, e.clientX), r.right);
      drag.band.style.left = (a - r.left) + "px";
      drag.band.style.width = Math.max(b - a, 1) + "px";
    } else if (Math.abs(e.clientX - drag.x) > 2) {
      const dt = -(e.clientX - drag.x) / r.width * (t1 - t0);
      zoomTo(drag.tl, t0 + dt, t1 + dt);
    }
  });
  document.addEventListener("mouseup", e => {
    if (!drag) return;
    const {tl, el, axis, x, win, band} = drag;
    drag = null;
    if (band) band.remove();
    if (axis && Math.abs(e.clientX - x) > 3) {
      const [t0, t1] = win, fa = fractionAt(el, Math.min(x, e.clientX)), fb = fractionAt(el, Math.max(x, e.clientX));
      zoomTo(tl, t0 + fa * (t1 - t0), t0 + fb * (t1 - t0));
    }
  });
  document.addEventListener("dblclick", e => {
    const el = e.target.closest?.(".gantt-svg, .axis"), tl = el && timelineOf(el);
    if (tl) reset(tl);
  });

  document.addEventListener("keydown", e => {
    const chart = document.activeElement?.closest?.(".gantt"), tl = chart && timelineOf(chart);
    if (e.key === "Escape") {
      for (const t of tl ? [tl] : document.querySelectorAll(".run-view, .cmp-stack")) reset(t);
      return;
    }
    if (!tl || !spanOf(tl) || e.altKey || e.ctrlKey || e.metaKey) return;
    const [t0, t1] = windowOf(tl), pan = (t1 - t0) * 0.2;
    const act = {
      "+": () => zoomAround(tl, 0.5, 1 / 2), "=": () => zoomAround(tl, 0.5, 1 / 2),
      "-": () => zoomAround(tl, 0.5, 2), "_": () => zoomAround(tl, 0.5, 2),
      "ArrowLeft": () => zoomTo(tl, t0 - pan, t1 - pan), "ArrowRight": () => zoomTo(tl, t0 + pan, t1 + pan),
      "0": () => reset(tl), "Home": () => reset(tl),
    }[e.key];
    if (act) { e.preventDefault(); act(); }
  });

  // A live frame may have set the server's scale or axis again: draw the zoomed window anew.
  document.addEventListener("lab:frame", e => {
    const tl = e.target.closest?.(".cmp-stack") || e.target;
    if (windows.has(tl)) draw(tl);
  });
})();
