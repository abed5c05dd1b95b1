// Concurrency Lab embeds, the host page's side. Put the lab's iframes in your page and load this
// script from the lab itself:
//
//   <iframe src="http://LAB/embed/runs/RUN_ID" title="A run in Concurrency Lab"
//           style="width: 100%; border: 0" loading="lazy"></iframe>
//   <script src="http://LAB/static/embed.js" defer></script>
//
// Each embed posts {"type": "concurrency-lab:resize", "height": N} when its height changes; this
// script sets that height on the iframe that sent it. It only listens to messages from the lab's
// own origin (where this script came from), and only from the window of one of the page's iframes.
(() => {
  const script = document.currentScript;
  const lab = new URL(script ? script.src : location.href).origin;
  addEventListener("message", (e) => {
    if (e.origin !== lab) return;
    const data = e.data;
    if (!data || data.type !== "concurrency-lab:resize" || !Number.isFinite(data.height)) return;
    for (const frame of document.querySelectorAll("iframe")) {
      if (frame.contentWindow === e.source) {
        frame.style.height = Math.max(0, Math.min(data.height, 20000)) + "px";
        frame.dataset.labHeight = String(data.height);
      }
    }
  });
})();
