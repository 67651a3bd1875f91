/* Font Awesome Free icons (https://fontawesome.com, icons CC BY 4.0), only those this site uses.
   Written by _ext/site_ui.py from pydata-sphinx-theme's fontawesome.js; replaces that 1.5 MB script:
   each <i class="fa-solid fa-NAME"> (or <span>) becomes the inline <svg> Font Awesome itself would draw. */
(() => {
  "use strict";
  const ICONS = /*ICONS*/{};
  const STYLES = ["fa-solid", "fa-regular", "fa-brands"];
  const SHORT = { fab: "fa-brands", far: "fa-regular", fas: "fa-solid" }; // Font Awesome 5 spellings
  const NS = "http://www.w3.org/2000/svg";
  function draw(el) {
    const classes = Array.from(el.classList).map((c) => SHORT[c] || c);
    const style = classes.find((c) => STYLES.includes(c)) || "fa-solid";
    const name = classes.find((c) => c.startsWith("fa-") && !STYLES.includes(c) && c !== "fa-lg" && c !== "fa-fw");
    const icon = name && ICONS[style + " " + name.slice(3)];
    if (!icon) return;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", ["svg-inline--fa", ...classes.filter((c) => !STYLES.includes(c))].join(" "));
    svg.setAttribute("viewBox", `0 0 ${icon[0]} ${icon[1]}`);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    // Keep what the theme's CSS and scripts select on (data-mode of the colour switch, title).
    for (const attr of Array.from(el.attributes)) {
      if (attr.name !== "class") svg.setAttribute(attr.name, attr.value);
    }
    svg.setAttribute("aria-hidden", "true");
    svg.dataset.icon = name.slice(3);
    const path = document.createElementNS(NS, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", icon[2]);
    svg.appendChild(path);
    el.replaceWith(svg);
  }
  const SELECTOR = STYLES.concat(Object.keys(SHORT)).flatMap((c) => [`i.${c}`, `span.${c}`]).join(", ");
  const drawAll = (root) => root.querySelectorAll(SELECTOR).forEach(draw);
  const start = () => {
    drawAll(document);
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach((n) => {
      if (n.nodeType !== 1) return;
      if (n.matches(SELECTOR)) draw(n); else drawAll(n);
    }))).observe(document.body, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
