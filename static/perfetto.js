// "Open in Perfetto" (templates/partials/_run.html): opens the Perfetto UI in a new window and
// hands it the run's trace by the UI's documented handshake. The window's message channel is not
// buffered, so "PING" goes to it every PING_MS until it answers "PONG" (its listener is up and its
// page loaded); then {perfetto: {buffer, title, fileName, url}} goes to it, the trace as an
// ArrayBuffer. Both to the UI's origin only (the link's href). Where the UI cannot be reached (no
// network, blocked), no PONG comes: after data-timeout-ms the link's status says so and points to
// the download beside it. Without JavaScript the link just opens the UI, to drop the file on.
(() => {
  const PING_MS = 200, TIMEOUT_MS = 20000;

  function say(link, text) {
    const status = link.parentElement.querySelector(".perfetto-status");
    if (status) status.textContent = text;
  }

  // Resolves once `win` answers PONG; rejects with "closed" or "timeout".
  function handshake(win, origin, timeout) {
    return new Promise((resolve, reject) => {
      const end = (error) => {
        clearInterval(ping); clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        error ? reject(new Error(error)) : resolve();
      };
      const onMessage = (e) => { if (e.source === win && e.data === "PONG") end(); };
      const ping = setInterval(() => {
        if (win.closed) end("closed");
        // Dropped, with a console note, while the window still shows another origin's page.
        else win.postMessage("PING", origin);
      }, PING_MS);
      const timer = setTimeout(() => end("timeout"), timeout);
      window.addEventListener("message", onMessage);
    });
  }

  async function open(link) {
    const ui = new URL(link.href), host = ui.host;
    const timeout = Number(link.dataset.timeoutMs) || TIMEOUT_MS;
    const traceUrl = new URL(link.dataset.trace, location.href);
    // Opened in the click itself: a window opened later (after a fetch) is a blocked pop-up.
    const win = window.open(ui.href, "_blank");
    if (!win) {
      say(link, `The browser blocked the new window: allow pop-ups, or download the trace and open it in ${host}.`);
      return;
    }
    say(link, `Opening ${host}…`);
    const trace = fetch(traceUrl).then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      // The name the server gives the download (run-ID.trace.json).
      const named = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "");
      return {buffer: await r.arrayBuffer(), fileName: named ? named[1] : "trace.json"};
    });
    trace.catch(() => {});  // its failure is said below, once the window is ready
    try {
      await handshake(win, ui.origin, timeout);
    } catch (error) {
      say(link, error.message === "closed"
        ? `The ${host} window was closed before it was ready.`
        : `${host} could not be reached (no answer in ${timeout / 1000} s): download the trace and open it there.`);
      return;
    }
    let got;
    try {
      got = await trace;
    } catch (error) {
      say(link, `The trace could not be fetched (${error.message}).`);
      return;
    }
    const message = {buffer: got.buffer, title: link.dataset.title, fileName: got.fileName, url: traceUrl.href};
    win.postMessage({perfetto: message}, ui.origin);
    say(link, `Sent to ${host}.`);
  }

  document.addEventListener("click", (e) => {
    const link = e.target.closest?.("a.open-perfetto");
    if (!link || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    open(link);
  });
})();
