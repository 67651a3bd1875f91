// Pre-renders TeX to MathJax 4 CommonHTML at build time (issue 15), for _ext/prerender_math.py.
//
// stdin:  {"items": [{"tex": "...", "display": true}, ...], "widths": [660, 330], "scale": 1.18,
//          "fontURL": "..."}
// stdout: {"results": [{"html": ["<mjx-container ...>", ...one per width], "error": null}, ...],
//          "css": "the CHTML stylesheet for every character and font variant"}
//
// Inline math is rendered once (html has one entry); display math once per width in `widths` (px),
// so that MathJax's own line breaking (displayOverflow: linebreak) is done for a phone's column
// and for a desktop's. The TeX packages and the CHTML output (MathJax TeX font, line breaking) are
// read from mathjax_tex.json beside this file, which the decks (press/slides.py) read too; this
// script adds node's adaptor, the font's location and assistive MathML for screen readers. The data-latex attributes are dropped (MathJax repeats
// the TeX on every node, tripling the markup); the assistive MathML carries the meaning. The
// stylesheet covers exactly the characters of this request, so the caller sends all of a site's math.
"use strict";

const path = require("path");
const NODE_MODULES = path.resolve(__dirname, "..", "node_modules");
const TEX = require("./mathjax_tex.json"); // the site's and the decks' TeX packages and output

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

async function main() {
  const request = JSON.parse(await readStdin());
  const config = {
    loader: {
      // TeX's core and one component per package, as a deck loads them in the browser
      load: ["input/tex-base", ...TEX.tex.packages.filter((p) => p !== "base").map((p) => `[tex]/${p}`),
             "output/chtml", "adaptors/liteDOM", "a11y/assistive-mml"],
      paths: { "mathjax-tex": path.join(NODE_MODULES, "@mathjax", "mathjax-tex-font") },
    },
    // No noundefined: an unknown macro is an error (the build fails), not red text on the page.
    tex: { ...TEX.tex },
    output: { ...TEX.output, fontURL: request.fontURL },
    startup: { typeset: false },
  };
  const MathJax = await require(path.join(NODE_MODULES, "mathjax", "node-main.cjs")).init(config);
  const adaptor = MathJax.startup.adaptor;
  const strip = (html) => html.replace(/ data-latex="[^"]*"/g, "");
  const results = [];
  for (const item of request.items) {
    const widths = item.display ? request.widths : [request.widths[0]];
    const html = [];
    let error = null;
    for (const width of widths) {
      // The promise form: a macro may autoload its TeX package, a character its font data.
      // scale: the size MathJax would pick in a browser to match the text's x-height; the
      // breaking width is divided by it, so a broken equation still fits at that size.
      const node = await MathJax.tex2chtmlPromise(item.tex, {
        display: Boolean(item.display),
        em: 16,
        ex: 8,
        scale: request.scale,
        containerWidth: width / request.scale,
      });
      const out = adaptor.outerHTML(node);
      const merror = adaptor.tags(node, "mjx-merror");
      if (merror.length && error === null) {
        error = merror.map((n) => adaptor.getAttribute(n, "data-mjx-error") || adaptor.textContent(n)).join("; ");
      }
      html.push(strip(out));
    }
    results.push({ html, error });
  }
  const css = adaptor.textContent(MathJax.chtmlStylesheet());
  process.stdout.write(JSON.stringify({ results, css }));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
