// PurgeCSS (npm `purgecss`, pinned in package.json) over the built site: _ext/trim_css.py runs it.
//
// stdin: {"css": [paths], "content": [paths], "variables": [names]}; stdout: {path: trimmed css}.
// A rule stays when every class, id, tag and attribute its selector names occurs as a word in some
// page or script of the site (PurgeCSS's default extractor: any [A-Za-z0-9_-]+ run of any content
// file, inline scripts and string literals included), or when the selector matches the safelist
// below. The safelist is for what JavaScript builds at run time from pieces (so no content file
// holds the whole name) or injects from outside the content files: everything else the scripts add
// (bootstrap's "show"/"collapsing", togglebutton's "toggle-hidden", copybutton's "success", the
// theme's dark mode, html[data-theme=dark]) is a word of a script that is itself content.
"use strict";
const fs = require("fs");
const { PurgeCSS } = require("purgecss");

const SAFELIST = {
  standard: [
    /^ptc-/, // this site's own classes (_static/ptc-*.js builds some of them)
    /^mjx-/, // MathJax's CommonHTML elements and classes (pre-rendered, and in tooltips)
    "highlighted", // sphinx_highlight.js's search-term highlight
    // Bootstrap (bootstrap.js is not content: it names every Bootstrap component, and the pages
    // use two, data-bs-toggle="tooltip" and "dropdown"): the tooltip it builds and the states.
    "tooltip",
    "tooltip-inner",
    "tooltip-arrow",
    "fade",
    "show",
    // PurgeCSS drops a selector made only of a pseudo-class: the theme's site-wide focus ring,
    // `:focus-visible{outline:var(--pst-color-accent) solid .1875rem}`, went with it (the links,
    // summaries, quiz options and dial sliders fell back to the browser's thin ring).
    /^:focus-visible$/,
  ],
  // A selector is kept whole when any part of it matches.
  greedy: [
    /^bs-tooltip-/, // bootstrap's tooltip placement class, built from pieces (bs-tooltip-auto)
    /tippy/, // tippy.js boxes and themes (the bundle injects its own CSS; sheets may add to it)
    /^sd-tab/, // sphinx-design tabs (design-tabs.js)
    /^copybtn/, // copybutton.js
    /^o-tooltip/, // copybutton.js's "Copied!" tooltip
    /^toggle/, // togglebutton.js's buttons and hidden state
    /^search/, // the search page and the search dialog (searchtools.js, the theme's search button)
  ],
  keyframes: [],
};

// One PurgeCSS pass over all the sheets joined into one (with a marker comment before each), so
// that a custom property defined in one sheet and used in another (the theme's --pst-color-*, in
// every sheet) counts as used: PurgeCSS drops unused custom properties sheet by sheet otherwise.
// input.variables: custom properties to keep whatever the sheets say (trim_css.py: those this
// site's own sheets, which are not trimmed, and the scripts name).
const MARK = "/*! ptc-trim-css ";

async function main() {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const files = input.css;
  const raw = files
    .map((f, i) => `${MARK}${i} */\n${fs.readFileSync(f, "utf8")}\n`)
    .join("");
  const [result] = await new PurgeCSS().purge({
    css: [{ raw }],
    content: input.content,
    safelist: { ...SAFELIST, variables: input.variables.map((v) => new RegExp(`^${v}$`)) },
    // The colour mode and the sidebar and dropdown states are attributes the scripts set.
    dynamicAttributes: [
      "data-theme",
      "data-mode",
      "data-bs-theme",
      "data-bs-popper",
      "data-popper-placement",
    ],
    // Unused @font-face and @keyframes stay (small; a script may name them); unused custom
    // properties go (the theme defines hundreds of Bootstrap's that no rule reads).
    fontFace: false,
    keyframes: false,
    variables: true,
  });
  const parts = result.css.split(MARK).slice(1);
  if (parts.length !== files.length) throw new Error(`${parts.length} sheets back, ${files.length} sent`);
  const out = {};
  for (const part of parts) {
    const at = part.indexOf(" */");
    const i = Number(part.slice(0, at));
    out[files[i]] = part.slice(at + 3).replace(/^\n/, "");
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + "\n");
  process.exit(1);
});
