"""Build one reveal.js deck per chapter from the slide markers in the chapter's source.

Usage (from the repository root; ``make slides`` runs it after ``make book``)::

    .venv/bin/python press/slides.py [--out _build/slides] [--site _build/html] [CHAPTER ...]

A chapter gets a deck when its ``book/NN_name.md`` carries markers. They are tiny, so that nothing
is restructured and nothing is maintained twice:

* ``% slide: TITLE`` -- a MyST comment line (Sphinx drops it; ``press/render_notebooks.py`` drops
  it from the notebooks). The markdown block right after it (a paragraph or list up to the next
  blank line, a whole ``$$ ... $$`` equation, or a whole directive fence) goes on the slide TITLE;
  blocks marked with the same TITLE share one slide, slides keep the order of first mention.
* ``% slide`` -- the next block goes on the current (last named) slide.
* ``% slide-demo: ptcourse demo ...`` -- a slide with the live demo's command and what it prints,
  read from the book's run of that command (``book/workshop/live_demos.md``).
* the cell tag ``slide`` on a code cell -- the cell's figure, taken from the executed book
  (``_build/jupyter_execute/book/NN_name.ipynb``), goes on the current slide, sized to the room the
  slide's other content leaves (so one figure a slide).

Text goes through the same MyST -> CommonMark rendering as the learners' notebooks (glued numbers
from the executed book, equation numbers as on the site), then markdown-it with its dollar-math
plugin; math is typeset in the browser by the site's own vendored MathJax 4 with the site's
configuration (``_config.yml``), and reveal.js is vendored from ``node_modules`` (package.json), so
a deck needs no network. Each deck is one HTML file whose figures are inlined; ``index.html`` lists
the decks. Why this and not nbconvert's SlidesExporter: nbconvert is not in the lock (it would add
nine packages), its reveal template loads require.js and MathJax 2 from a CDN, and it would still
need the MyST rendering and the executed figures this tool already gets from the book build.
"""

from __future__ import annotations

import argparse
import ast
import base64
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import render_notebooks as rn  # noqa: E402  (press/render_notebooks.py, beside this file)
from chapter import MARK_RE, chapters, read  # noqa: E402  (the one reader of the chapter format)

BOOK = ROOT / "book"
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
DEMOS_DOC = "workshop/live_demos"  # the page that runs every live demo at build time
REVEAL = ROOT / "node_modules" / "reveal.js"
MATHJAX = ROOT / "_static" / "vendor" / "mathjax"  # filled by `make vendor` (mk/site.mk)
SLIDE_TAG = "slide"
# A figure fills the room its slide's other content leaves, keeping its aspect ratio: reveal.js sizes
# a slide's one ``r-stretch`` element (a child of the section) so, growing it beyond its own size too.
FIGURE_CLASS = "figure r-stretch"
REVEAL_FILES = ("dist/reveal.css", "dist/reveal.js", "dist/theme/white.css",
                "dist/plugin/notes.js", "LICENSE")  # fmt: skip


class SlideError(ValueError):
    """A marker this tool cannot honour: no block after it, a figure-less cell, an unknown demo."""


@dataclass
class Slide:
    title: str
    parts: list[str] = field(default_factory=list)  # HTML fragments, in order


@dataclass
class Deck:
    doc: str
    title: str
    slides: list[Slide] = field(default_factory=list)

    def slide(self, title: str | None) -> Slide:
        """The slide named ``title`` (created on first mention), or the last one for None."""
        if title is None:
            if not self.slides:
                raise SlideError(f"{self.doc}: '% slide' before any '% slide: TITLE'")
            return self.slides[-1]
        for s in self.slides:
            if s.title == title:
                self.slides.remove(s)
                self.slides.append(s)  # it becomes the current slide again
                return s
        self.slides.append(Slide(title))
        return self.slides[-1]


def has_markers(md: Path) -> bool:
    """True when ``md`` carries a ``% slide`` line or a code cell tagged ``slide``."""
    ch = read(md)
    return bool(ch.marks or ch.slide_cells)


def marked_chapters(book: Path = BOOK) -> list[Path]:
    """The chapters (book/*.md notebooks) that carry slide markers: each gets a deck."""
    return [p for p in chapters(book) if has_markers(p)]


def take_block(lines: list[str], i: int) -> tuple[list[str], int]:
    """The markdown block starting at ``lines[i]`` (blank lines before it skipped) and the index
    after it: a ``$$`` equation to its closing ``$$``, a fence to its close, else to a blank line.

    >>> take_block(["", "$$", "a", "", "b", "$$ (eq-x)", "after"], 0)
    (['$$', 'a', '', 'b', '$$ (eq-x)'], 6)
    >>> take_block(["one", "two", "", "three"], 0)
    (['one', 'two'], 2)
    """
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines):
        return [], i
    first = lines[i]
    if first.strip() == "$$":
        j = i + 1
        while j < len(lines) and not lines[j].startswith("$$"):
            j += 1
        return lines[i : j + 1], j + 1
    if m := re.match(r"^(`{3,}|:{3,})", first):
        fence = m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            j += 1
        return lines[i : j + 1], j + 1
    j = i
    while j < len(lines) and lines[j].strip():
        j += 1
    return lines[i:j], j


def markdown_to_html(md: str) -> str:
    """CommonMark + ``$``/``$$`` math to HTML; math is left as ``\\(..\\)`` / ``\\[..\\]`` for MathJax,
    inside the ``math inline`` / ``math block`` element that mdit-py-plugins wraps around it.

    >>> markdown_to_html("KL $\\\\ge 0$")
    '<p>KL <span class="math inline">\\\\(\\\\ge 0\\\\)</span></p>\\n'
    """
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    def math(content: str, opts: dict) -> str:
        body = html.escape(content)
        return f"\\[{body}\\]" if opts.get("display_mode") else f"\\({body}\\)"

    md_it = MarkdownIt("commonmark", {"html": True}).enable("table")
    dollarmath_plugin(md_it, renderer=math, allow_labels=False)
    return md_it.render(md)


def figure_html(cell: dict, doc: str, alt: str = "") -> str:
    """The figure of an executed code cell as an inline ``<img>`` (PNG or SVG), with the cell's
    alt text (its ``mystnb.image.alt``, as on the site)."""
    alt = html.escape(" ".join(alt.split()) or "figure of the chapter")
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/svg+xml" in data:
            svg = "".join(data["image/svg+xml"])
            src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
            return f'<img class="{FIGURE_CLASS}" src="{src}" alt="{alt}">'
        if "image/png" in data:
            png = "".join(data["image/png"]).replace("\n", "")
            return f'<img class="{FIGURE_CLASS}" src="data:image/png;base64,{png}" alt="{alt}">'
    raise SlideError(f"{doc}: a cell tagged '{SLIDE_TAG}' has no figure in the executed book")


def load_glue(doc: str, executed: Path = EXECUTED) -> dict[str, str]:
    """name -> text/plain of every glued value of ``doc``, from the book build's glue file."""
    path = executed / f"{doc}.glue.json"
    if not path.exists():
        raise SlideError(f"{path.relative_to(ROOT)} is missing: run `make book` first")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        k: "".join(v["data"]["text/plain"]) for k, v in raw.items() if "text/plain" in v["data"]
    }


def demo_outputs(executed: Path = EXECUTED) -> dict[str, dict]:
    """command -> {"command", "rows", "sample"}: what each live demo printed in the book's run."""
    out = {}
    for key, text in load_glue(DEMOS_DOC, executed).items():
        if key.endswith("_summary"):
            summary = json.loads(ast.literal_eval(text))
            out[summary["command"]] = summary
    return out


def demo_html(command: str, demos: dict[str, dict], doc: str) -> str:
    """The demo slide's body: the command, then the start/final table and one sample it prints."""
    if command not in demos:
        raise SlideError(
            f"{doc}: '% slide-demo: {command}' is not run by book/{DEMOS_DOC}.md; known: "
            + ", ".join(demos)
        )
    d = demos[command]
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>"
        for label, a, b in d["rows"]
    )
    return (
        f'<pre class="command"><code>$ {html.escape(command)}</code></pre>'
        '<p class="expect">It prints (seed 0, from the book\'s own run):</p>'
        f'<table class="demo"><tr><th>metric</th><th>start</th><th>final</th></tr>{rows}</table>'
        f'<p class="sample">sample: <code>{html.escape(d["sample"])}</code></p>'
    )


def executed_notebook(doc: str, executed: Path = EXECUTED):
    """The book build's executed copy of a chapter (``_ext/executed_copies.py`` keeps it complete
    for chapters served from the execution cache), or None before the first build."""
    import nbformat

    path = executed / f"{doc}.ipynb"
    return nbformat.read(path, as_version=4) if path.exists() else None


def build_deck(md: Path, *, index: rn.Index, executed: Path = EXECUTED, demos=None) -> Deck:
    """The deck of one chapter: its title slide, then every marked block, figure and demo."""
    doc = md.stem
    glue = load_glue(doc, executed)
    executed_nb = executed_notebook(doc, executed)
    ch = rn.Chapter(doc=doc, index=index, glue=glue, kind="instructor")
    deck = Deck(doc=doc, title=index.titles.get(doc, doc))
    code_i = -1
    for cell in read(md).cells:
        if cell.kind == "code":
            code_i += 1
            if SLIDE_TAG in cell.tags:
                if executed_nb is None:
                    raise SlideError(
                        f"{(executed / doc).relative_to(ROOT)}.ipynb is missing: run `make book`"
                    )
                ex = [c for c in executed_nb.cells if c.cell_type == "code"]
                match = [c for c in ex if c.source.strip() == cell.source.strip()]
                alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
                slide = deck.slide(None)
                if any(FIGURE_CLASS in part for part in slide.parts):
                    raise SlideError(
                        f"{doc}: a second figure on the slide '{slide.title}' (a slide stretches "
                        "one figure to its room): put '% slide: TITLE' before it"
                    )
                slide.parts.append(figure_html((match or [ex[code_i]])[0], doc, alt))
            continue
        lines = cell.source.splitlines()
        i = 0
        while i < len(lines):
            m = MARK_RE.match(lines[i])
            i += 1
            if not m:
                continue
            if m.group("demo"):
                if demos is None:
                    demos = demo_outputs(executed)
                command = m.group("arg") or ""
                deck.slide(f"Live: {command}").parts.append(demo_html(command, demos, doc))
                continue
            title = m.group("arg") or None
            if i < len(lines) and MARK_RE.match(lines[i]) or not "".join(lines[i:]).strip():
                if title is None:  # '% slide: TITLE' alone starts a slide for the figure below
                    raise SlideError(f"{doc}: a '% slide' marker with no block after it")
                deck.slide(title)
                continue
            block, i = take_block(lines, i)
            text = rn.render_markdown("\n".join(block), ch, {}) or ""
            deck.slide(title).parts.append(markdown_to_html(text))
    return deck


# The decks typeset their math in the browser with the vendored MathJax 4, with the TeX packages and
# CHTML output the site pre-renders its math with (_ext/prerender_math.cjs): both read them from
# _ext/mathjax_tex.json, and load TeX's core plus one component per package. A deck adds
# noundefined: in the browser an unknown macro can only be shown (in red), it cannot fail a build.
with (ROOT / "_ext" / "mathjax_tex.json").open(encoding="utf-8") as f:
    MATHJAX_TEX = json.load(f)
_PACKAGES = [*MATHJAX_TEX["tex"]["packages"], "noundefined"]
MATHJAX_CONFIG = {
    "loader": {
        "load": ["core", "input/tex-base", *(f"[tex]/{p}" for p in _PACKAGES if p != "base"),
                 "output/chtml", "a11y/assistive-mml"],
        "paths": {"fonts": "[mathjax]/fonts"},
    },
    "tex": {**MATHJAX_TEX["tex"], "packages": _PACKAGES},
    "output": MATHJAX_TEX["output"],
}  # fmt: skip


def mathjax_config() -> dict:
    """The decks' MathJax configuration: the site's packages and output, typeset on load."""
    return {**MATHJAX_CONFIG, "startup": {"typeset": True}}


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="vendor/reveal/reveal.css">
<link rel="stylesheet" href="vendor/reveal/white.css">
<style>
.reveal h1, .reveal h2 {{ text-transform: none; }}
.reveal h2 {{ font-size: 1.3em; }}
.reveal section p, .reveal section li, .reveal table {{ font-size: 0.75em; }}
.reveal img.figure {{ margin: 0.3em auto; display: block; }}
.reveal table.demo {{ font-size: 0.55em; }}
.reveal table.demo td, .reveal table.demo th {{ padding: 0.05em 0.6em; }}
.reveal pre.command {{ width: 100%; font-size: 0.6em; box-shadow: none; }}
.reveal .sample code {{ font-size: 0.9em; }}
.reveal .from {{ font-size: 0.5em; color: #666; }}
</style>
</head>
<body>
<div class="reveal"><div class="slides">
{sections}
</div></div>
<script src="vendor/reveal/reveal.js"></script>
<script src="vendor/reveal/notes.js"></script>
<script>
// Home and End: reveal.js's own keys call Reveal.slide(0) and Reveal.slide(number of horizontal
// slides - 1), which its scroll view (on by itself in a window under 435 px, a phone) cannot follow:
// there it finds no slide without a vertical index and counts no horizontal slides. So scroll there.
function goToEnd(last) {{
  if (Reveal.isScrollView()) {{
    const view = Reveal.getViewportElement();
    view.scrollTop = last ? view.scrollHeight : 0;
  }} else Reveal.slide(last ? Reveal.getTotalSlides() - 1 : 0, 0);
}}
// Display math wider than its slide (MathJax's line breaking leaves some too wide, such as a numbered
// equation, whose number sits beside it) is scaled down to the slide's width: its CHTML is sized in
// em, so a smaller font scales it exactly.
// Only a shown slide can be measured, so this runs when the math is typeset and on each slide change.
function fitMath() {{
  let changed = false;
  for (const math of document.querySelectorAll(".reveal mjx-container[display='true']")) {{
    const room = math.parentElement.clientWidth, wide = math.scrollWidth;
    if (!room || wide <= room) continue;
    const size = parseFloat(math.style.fontSize) || 100;  // MathJax sets it to match the text
    math.style.fontSize = size * 0.99 * room / wide + "%";  // 1 % spare for rounding
    changed = true;
  }}
  if (changed) Reveal.layout();  // the slide is re-centred on its new height
}}
Reveal.initialize({{hash: false, slideNumber: false, plugins: [RevealNotes],  // no "#/" links
                   keyboard: {{36: () => goToEnd(false), 35: () => goToEnd(true)}}}});
Reveal.on("slidechanged", fitMath);
window.MathJax = {mathjax};
window.MathJax.startup.pageReady = () =>
  MathJax.startup.defaultPageReady().then(() => {{ fitMath(); Reveal.layout(); document.body.dataset.mathReady = "1"; }});
</script>
<script src="vendor/mathjax/startup.js" async></script>
</body>
</html>
"""


def render_deck(deck: Deck, site_page: str) -> str:
    """The deck as one HTML page (reveal.js and MathJax from ``vendor/`` beside it)."""
    sections = [
        f"<section><h1>{html.escape(deck.title)}</h1>"
        f'<p class="from">Slides built from book/{deck.doc}.md by press/slides.py '
        f'&middot; <a href="{html.escape(site_page)}">the chapter</a></p></section>'
    ]
    for s in deck.slides:
        sections.append(f"<section><h2>{html.escape(s.title)}</h2>{''.join(s.parts)}</section>")
    return PAGE.format(
        title=html.escape(deck.title),
        sections="\n".join(sections),
        mathjax=json.dumps(mathjax_config()),
    )


def vendor(out: Path) -> None:
    """Copy reveal.js (node_modules, package.json) and the site's MathJax 4 into ``out/vendor``."""
    if not REVEAL.is_dir():
        raise SlideError("node_modules/reveal.js is missing: run `make vendor` (npm ci)")
    if not (MATHJAX / "startup.js").exists():
        raise SlideError("_static/vendor/mathjax is missing: run `make vendor`")
    dest = out / "vendor" / "reveal"
    dest.mkdir(parents=True, exist_ok=True)
    for rel in REVEAL_FILES:
        shutil.copy2(REVEAL / rel, dest / Path(rel).name)
    shutil.copytree(MATHJAX, out / "vendor" / "mathjax", dirs_exist_ok=True)


def build(out: Path, chapters: list[Path], *, executed: Path = EXECUTED) -> list[Path]:
    """Write one deck per chapter, ``index.html`` and the vendored assets into ``out``."""
    index = rn.build_index(BOOK, rn.site_url(rn.load_config()))
    out.mkdir(parents=True, exist_ok=True)
    vendor(out)
    written, demos = [], None
    for md in chapters:
        if demos is None and any(m.demo for m in read(md).marks):
            demos = demo_outputs(executed)
        deck = build_deck(md, index=index, executed=executed, demos=demos)
        path = out / f"{deck.doc}.html"
        path.write_text(render_deck(deck, f"../book/{deck.doc}.html"), encoding="utf-8")
        written.append(path)
    items = "".join(
        f'<li><a href="{p.name}">{html.escape(index.titles.get(p.stem, p.stem))}</a></li>'
        for p in written
    )
    (out / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Slides</title></head>'
        f"<body><h1>Slides, one deck per chapter</h1><ul>{items}</ul>"
        "<p>Arrow keys move; <kbd>S</kbd> opens the speaker view; <kbd>F</kbd> full screen. "
        "The decks work offline.</p></body></html>\n",
        encoding="utf-8",
    )
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("chapters", nargs="*", help="chapter names (default: every marked chapter)")
    ap.add_argument("--out", default=str(ROOT / "_build" / "slides"))
    ap.add_argument("--site", default=None, help="also copy the decks into SITE/slides")
    args = ap.parse_args(argv)
    chapters = marked_chapters()
    if args.chapters:
        chapters = [p for p in chapters if p.stem in args.chapters or p.name in args.chapters]
        if not chapters:
            ap.error(f"no marked chapter named {args.chapters}")
    try:
        written = build(Path(args.out), chapters)
    except (SlideError, rn.RenderError) as exc:
        print(f"slides: {exc}", file=sys.stderr)
        return 1
    if args.site:
        shutil.copytree(args.out, Path(args.site) / "slides", dirs_exist_ok=True)
    for p in written:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
