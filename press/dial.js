// The kernel-free dials' script: draws one precomputed frame into the SVG when the slider moves.
// press/dial_page.py's html_dial inlines it as `(function (rootId, S) {...})(ID, SPEC);`, where
// SPEC holds every frame. Generic over the two figure types: "bars" (one horizontal bar per row and
// series, probabilities on a fixed 0..1 axis) and "boxes" (one box plot per row).
(function (rootId, S) {
  var root = document.getElementById(rootId);
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var slider = root.querySelector("input.ptc-dial-slider");
  var out = root.querySelector("output.ptc-dial-value");
  var svg = root.querySelector("svg.ptc-dial-figure");
  // Ink is the dial's text colour (currentColor), so the figure follows the theme, light or dark.
  var NS = "http://www.w3.org/2000/svg", INK = "currentColor", GRID = "currentColor";
  var W = S.width, H = S.height, M = S.margin, m = M;
  // Text is never under MIN_PX CSS pixels: the viewBox shrinks with a phone's width, so the font
  // sizes (in viewBox units) grow by K = MIN_PX / (smallest size x scale) when the scale is small.
  var MIN_PX = 9.5, K = 1;
  function fs(size) { return Math.round(size * K * 10) / 10; }
  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    svg.appendChild(e);
    return e;
  }
  function X(v) {
    v = Math.max(S.xmin, Math.min(S.xmax, v));
    return m.l + (v - S.xmin) / (S.xmax - S.xmin) * (W - m.l - m.r);
  }
  function draw(f) {
    var shown = svg.getBoundingClientRect().width;
    K = shown > 0 ? Math.max(1, MIN_PX / (10 * shown / W)) : 1;
    // room for the larger labels (and, on a phone, for an x label on two lines)
    m = {l: M.l * K, r: M.r * K, t: M.t * K, b: M.b * K + (K > 1.05 ? 12 * K : 0)};
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    el("title", {}, f.alt);
    svg.setAttribute("aria-label", f.alt);
    var rowH = (H - m.t - m.b) / S.rows.length, ns = S.series.length;
    S.xticks.forEach(function (t) {
      el("line", {x1: X(t), x2: X(t), y1: m.t, y2: H - m.b, stroke: GRID, "stroke-opacity": 0.2});
      el("text", {x: X(t), y: H - m.b + 4 + fs(10), "text-anchor": "middle", "font-size": fs(11), fill: INK},
         String(t));
    });
    // The x label, on two lines when the larger phone text would run past the figure's edges.
    var xl = el("text", {x: W / 2, y: H - 4, "text-anchor": "middle", "font-size": fs(11), fill: INK},
                S.xlabel);
    if (xl.getComputedTextLength && xl.getComputedTextLength() > W - 8) {
      var words = S.xlabel.split(" "), half = Math.ceil(words.length / 2);
      xl.textContent = "";
      xl.setAttribute("y", H - 4 - fs(12));
      [words.slice(0, half).join(" "), words.slice(half).join(" ")].forEach(function (line, i) {
        var t = document.createElementNS(NS, "tspan");
        t.setAttribute("x", W / 2);
        if (i) { t.setAttribute("dy", fs(12)); }
        t.textContent = line;
        xl.appendChild(t);
      });
    }
    // Legend entries side by side, starting a new row when the next would run past the edge.
    var lx = m.l, ly = 8;
    (S.legend ? S.series : []).forEach(function (s) {
      var t = el("text", {x: lx + 14, y: ly + 9, "font-size": fs(11), fill: INK}, s.name);
      var w = t.getComputedTextLength ? t.getComputedTextLength() : 6.2 * K * s.name.length;
      if (lx > m.l && lx + 14 + w > W - 2) {
        lx = m.l;
        ly += fs(13);
        t.setAttribute("x", lx + 14);
        t.setAttribute("y", ly + 9);
      }
      el("rect", {x: lx, y: ly, width: 10, height: 10, fill: s.color});
      lx += 24 + w;
    });
    S.rows.forEach(function (label, r) {
      var y0 = m.t + r * rowH, yc = y0 + rowH / 2, v;
      el("text", {x: m.l - 6, y: yc + 4, "text-anchor": "end", "font-size": fs(11), fill: INK}, label);
      if (S.type === "bars") {
        var bh = rowH * 0.8 / ns;
        for (var s = 0; s < ns; s++) {
          v = f.values[s][r];
          el("rect", {x: X(0), y: y0 + rowH * 0.1 + s * bh, width: Math.max(X(v) - X(0), 0.5),
                      height: bh, fill: S.series[s].color});
        }
        el("text", {x: X(v) + 4, y: y0 + rowH * 0.1 + (ns - 0.5) * bh + 4, "font-size": fs(10),
                    fill: INK}, f.notes[r]);
      } else {
        var q = f.values[r], c = S.series[r].color, bh2 = rowH * 0.5;
        el("line", {x1: X(q[0]), x2: X(q[4]), y1: yc, y2: yc, stroke: c, "stroke-width": 2});
        el("rect", {x: X(q[1]), y: yc - bh2 / 2, width: Math.max(X(q[3]) - X(q[1]), 1),
                    height: bh2, fill: c, "fill-opacity": 0.35, stroke: c, "stroke-width": 2});
        el("line", {x1: X(q[2]), x2: X(q[2]), y1: yc - bh2 / 2, y2: yc + bh2 / 2, stroke: c,
                    "stroke-width": 3});
        el("circle", {cx: X(q[5]), cy: yc, r: 3.5, style: "fill:var(--ptc-dial-bg,#fff)", stroke: INK});
        el("text", {x: W - m.r + 6, y: yc + 4, "font-size": fs(11), fill: INK}, f.notes[r]);
      }
    });
    if (S.ref) {
      el("line", {x1: X(S.ref.value), x2: X(S.ref.value), y1: m.t - 4, y2: H - m.b,
                  stroke: INK, "stroke-dasharray": "4 3", "stroke-width": 1.5});
      var rt = el("text", {x: X(S.ref.value) + 3, y: m.t - 6, "font-size": fs(10), fill: INK}, S.ref.label);
      if (rt.getComputedTextLength && X(S.ref.value) + 3 + rt.getComputedTextLength() > W - 2) {
        rt.setAttribute("text-anchor", "end");  // it would run past the right edge: put it on the left
        rt.setAttribute("x", X(S.ref.value) - 3);
      }
    }
    el("line", {x1: m.l, x2: m.l, y1: m.t, y2: H - m.b, stroke: INK});
  }
  function update() {
    var i = Math.round((parseFloat(slider.value) - S.min) / S.step);
    var f = S.frames[Math.max(0, Math.min(S.frames.length - 1, i))];
    draw(f);
    out.textContent = f.readout;
    slider.setAttribute("aria-valuetext", f.valuetext);
  }
  slider.addEventListener("input", update);
  slider.addEventListener("change", update);
  if (window.ResizeObserver) { new ResizeObserver(update).observe(svg); }
  update();
})
