// Inside an embed: tell the page that frames it how tall the content is, whenever that changes,
// as {"type": "concurrency-lab:resize", "height": N} (static/embed.js is the host's side). The
// height is all it says, so any parent may hear it.
(() => {
  if (window.parent === window) return;
  let last = 0;
  function post() {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({type: "concurrency-lab:resize", height}, "*");
  }
  new ResizeObserver(post).observe(document.documentElement);
  addEventListener("load", post);
})();
