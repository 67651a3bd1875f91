// The kernel-free dials' script: draws one precomputed frame into the SVG when the slider moves.
// ptcourse.course.dials.page.html_dial inlines it as `(function (rootId, S) {...})(ID, SPEC);`, where
// SPEC holds every frame. Generic over the two figure types: "bars" (one horizontal bar per row and
// series, probabilities on a fixed 0..1 axis) and "boxes" (one box plot per row).
(function (rootId, S) {
  var root = document.getElementById(rootId);
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var slider = root.querySelector("input.ptc-dial-slider");
  var out = root.querySelector("output.ptc-dial-value");
  var svg = root.querySelector("svg.ptc-dial-figure");
  var NS = "http://www.w3.org/2000/svg", INK = "#1b1b1b", GRID = "#d0d7de";
  var W = S.width, H = S.height, M = S.margin;
  function el(tag, attrs, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    svg.appendChild(e);
    return e;
  }
  function X(v) {
    v = Math.max(S.xmin, Math.min(S.xmax, v));
    return M.l + (v - S.xmin) / (S.xmax - S.xmin) * (W - M.l - M.r);
  }
  function draw(f) {
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    el("title", {}, f.alt);
    svg.setAttribute("aria-label", f.alt);
    var rowH = (H - M.t - M.b) / S.rows.length, ns = S.series.length;
    S.xticks.forEach(function (t) {
      el("line", {x1: X(t), x2: X(t), y1: M.t, y2: H - M.b, stroke: GRID});
      el("text", {x: X(t), y: H - M.b + 14, "text-anchor": "middle", "font-size": 11, fill: INK},
         String(t));
    });
    el("text", {x: (M.l + W - M.r) / 2, y: H - 8, "text-anchor": "middle", "font-size": 11,
                fill: INK}, S.xlabel);
    var lx = M.l;
    (S.legend ? S.series : []).forEach(function (s) {
      el("rect", {x: lx, y: 8, width: 10, height: 10, fill: s.color});
      el("text", {x: lx + 14, y: 17, "font-size": 11, fill: INK}, s.name);
      lx += 24 + 6.2 * s.name.length;
    });
    S.rows.forEach(function (label, r) {
      var y0 = M.t + r * rowH, yc = y0 + rowH / 2, v;
      el("text", {x: M.l - 6, y: yc + 4, "text-anchor": "end", "font-size": 11, fill: INK}, label);
      if (S.type === "bars") {
        var bh = rowH * 0.8 / ns;
        for (var s = 0; s < ns; s++) {
          v = f.values[s][r];
          el("rect", {x: X(0), y: y0 + rowH * 0.1 + s * bh, width: Math.max(X(v) - X(0), 0.5),
                      height: bh, fill: S.series[s].color});
        }
        el("text", {x: X(v) + 4, y: y0 + rowH * 0.1 + (ns - 0.5) * bh + 4, "font-size": 10,
                    fill: INK}, f.notes[r]);
      } else {
        var q = f.values[r], c = S.series[r].color, bh2 = rowH * 0.5;
        el("line", {x1: X(q[0]), x2: X(q[4]), y1: yc, y2: yc, stroke: c, "stroke-width": 2});
        el("rect", {x: X(q[1]), y: yc - bh2 / 2, width: Math.max(X(q[3]) - X(q[1]), 1),
                    height: bh2, fill: c, "fill-opacity": 0.35, stroke: c, "stroke-width": 2});
        el("line", {x1: X(q[2]), x2: X(q[2]), y1: yc - bh2 / 2, y2: yc + bh2 / 2, stroke: c,
                    "stroke-width": 3});
        el("circle", {cx: X(q[5]), cy: yc, r: 3.5, fill: "#fff", stroke: INK});
        el("text", {x: W - M.r + 6, y: yc + 4, "font-size": 11, fill: INK}, f.notes[r]);
      }
    });
    if (S.ref) {
      el("line", {x1: X(S.ref.value), x2: X(S.ref.value), y1: M.t - 4, y2: H - M.b,
                  stroke: INK, "stroke-dasharray": "4 3", "stroke-width": 1.5});
      el("text", {x: X(S.ref.value) + 3, y: M.t - 6, "font-size": 10, fill: INK}, S.ref.label);
    }
    el("line", {x1: M.l, x2: M.l, y1: M.t, y2: H - M.b, stroke: INK});
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
  update();
})
