"""press/slides.py: one offline reveal.js deck per chapter, built from tiny markers in the chapters.

The builder is tested on a small synthetic chapter with a fake executed book (fast, no book build),
and on one real chapter when the book has been built (``make book``). The browser checks of the
built decks are in tests/site/test_site_workshop.py.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from chapter_source import DECK_CHAPTERS, chapter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "press"))

import render_notebooks as rn  # noqa: E402
import slides  # noqa: E402

CHAPTER = chapter(
    """# A small chapter

The KL is never negative, here {glue:text}`kl_value:.2f` nats.

% slide: The KL
$$
\\mathrm{KL}(p \\,\\|\\, q) \\ge 0
$$ (eq-small-kl)

Not on a slide.

% slide
A line that joins the current slide, with $x^2$ inline.

% slide: The picture

```{code-cell} ipython3
---
tags: [hide-input, slide]
mystnb:
  image:
    alt: A rising line.
---
plot()
```

% slide-demo: ptcourse demo rl
"""
)
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _glue_file(values: dict[str, str]) -> str:
    return json.dumps({k: {"data": {"text/plain": v}} for k, v in values.items()})


@pytest.fixture()
def small(tmp_path):
    """A marked chapter, its executed copy and glue, and the live-demos page's glue."""
    md = tmp_path / "book" / "99_small.md"
    md.parent.mkdir()
    md.write_text(CHAPTER, encoding="utf-8")
    executed = tmp_path / "executed"
    (executed / "workshop").mkdir(parents=True)
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# A small chapter"},
            {"cell_type": "code", "id": "b", "metadata": {}, "source": "plot()",
             "execution_count": 1,
             "outputs": [{"output_type": "display_data", "metadata": {},
                          "data": {"image/png": PNG, "text/plain": "<Figure>"}}]},
        ],
    }  # fmt: skip
    (executed / "99_small.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (executed / "99_small.glue.json").write_text(_glue_file({"kl_value": "0.5455"}))
    summary = {
        "command": "ptcourse demo rl",
        "rows": [["reward", "0.643", "1.271"], ["hack rate ('great great great')", "0%", "0%"]],
        "sample": "the dog is great .",
    }
    (executed / "workshop" / "live_demos.glue.json").write_text(
        _glue_file({"rl_summary": repr(json.dumps(summary))})
    )
    index = rn.build_index(ROOT / "book", "https://example.org/")
    index.equations["eq-small-kl"] = ("99_small", 1)
    index.titles["99_small"] = "A small chapter"
    return md, executed, index


def test_a_deck_holds_the_marked_blocks_figure_and_demo(small):
    """Each '% slide: TITLE' starts a slide with the block after it; '% slide' adds to it; the tagged
    cell's executed figure and the demo's command, table and sample land on their slides."""
    md, executed, index = small
    deck = slides.build_deck(md, index=index, executed=executed)
    titles = [s.title for s in deck.slides]
    assert titles == ["The KL", "The picture", "Live: ptcourse demo rl"]
    kl, picture, demo = ("".join(s.parts) for s in deck.slides)
    assert "\\mathrm{KL}" in kl and "\\tag{1}" in kl, "the equation, numbered as on the site"
    assert "\\(x^2\\)" in kl and "joins the current slide" in kl
    assert "Not on a slide" not in kl + picture + demo
    assert f"data:image/png;base64,{PNG}" in picture and 'alt="A rising line."' in picture
    assert 'class="figure r-stretch"' in picture, "sized by reveal.js to the slide's room"
    assert "$ ptcourse demo rl" in demo and "1.271" in demo and "the dog is great ." in demo


def test_glued_numbers_are_substituted(small, tmp_path):
    """A {glue:text} role on a slide shows the executed book's number, formatted as on the site."""
    md, executed, index = small
    text = md.read_text().replace(
        "% slide: The KL\n$$", "% slide: The KL\nHere {glue:text}`kl_value:.2f` nats.\n\n$$"
    )
    md.write_text(text)
    deck = slides.build_deck(md, index=index, executed=executed)
    assert "Here 0.55 nats." in "".join(deck.slides[0].parts)


def test_the_deck_page_needs_no_network(small, tmp_path, monkeypatch):
    """The written page loads reveal.js and MathJax from vendor/ beside it, never from another host,
    and the vendored files are there."""
    md, executed, index = small
    out = tmp_path / "out"
    monkeypatch.setattr(slides, "BOOK", md.parent)
    monkeypatch.setattr(slides.rn, "build_index", lambda book, site: index)
    if not (slides.MATHJAX / "startup.js").exists():
        pytest.skip("_static/vendor/mathjax is missing: run make vendor")
    written = slides.build(out, [md], executed=executed)
    page = written[0].read_text()
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assets = [r for r in refs if not r.startswith(("data:", "../book/", "https://example.org/"))]
    assert assets and all(not re.match(r"^[a-z]+://", r) for r in assets), assets
    assert all((out / r).is_file() for r in assets), "every script and stylesheet is vendored"
    assert (out / "vendor" / "mathjax" / "startup.js").is_file()
    assert '<a href="99_small.html">' in (out / "index.html").read_text()


def test_the_decks_typeset_with_the_sites_tex_packages():
    """A deck's MathJax has the site's TeX packages and output (_ext/mathjax_tex.json, which
    _ext/prerender_math.cjs reads), plus noundefined, and loads a vendored component for each."""
    shared = json.loads((ROOT / "_ext" / "mathjax_tex.json").read_text(encoding="utf-8"))
    config = slides.mathjax_config()
    assert config["tex"]["packages"] == [*shared["tex"]["packages"], "noundefined"]
    assert config["output"] == shared["output"]
    components = [c for c in config["loader"]["load"] if c.startswith("[tex]/")]
    assert components == [f"[tex]/{p}" for p in config["tex"]["packages"] if p != "base"]
    if not (slides.MATHJAX / "startup.js").exists():
        pytest.skip("_static/vendor/mathjax is missing: run make vendor")
    extensions = slides.MATHJAX / "input" / "tex" / "extensions"
    missing = [c for c in components if not (extensions / f"{c[6:]}.js").is_file()]
    assert missing == [], "a package without its component in the vendored MathJax"


def test_a_marker_without_a_block_is_an_error(small):
    """'% slide' with nothing after it and no slide to join is refused with the chapter's name."""
    md, executed, index = small
    md.write_text(CHAPTER.replace("% slide: The KL\n", "% slide\n"))
    with pytest.raises(slides.SlideError, match="99_small"):
        slides.build_deck(md, index=index, executed=executed)


def test_a_second_figure_on_a_slide_is_an_error(small):
    """A slide stretches its one figure to the room left, so a second figure tagged onto the same
    slide is refused with the slide's title (a '% slide: TITLE' before it gives it its own)."""
    md, executed, index = small
    cell = CHAPTER[CHAPTER.index("```{code-cell}") : CHAPTER.index("plot()\n```") + 10]
    md.write_text(CHAPTER.replace(cell, cell + "\n" + cell))
    with pytest.raises(slides.SlideError, match="second figure on the slide 'The picture'"):
        slides.build_deck(md, index=index, executed=executed)
    md.write_text(CHAPTER.replace(cell, cell + "\n% slide: Another picture\n\n" + cell))
    deck = slides.build_deck(md, index=index, executed=executed)
    assert [s.title for s in deck.slides][1:3] == ["The picture", "Another picture"]


def test_an_unknown_demo_is_an_error(small):
    """A '% slide-demo' command that book/workshop/live_demos.md does not run is refused."""
    md, executed, index = small
    md.write_text(CHAPTER.replace("demo rl\n", "demo nope\n"))
    with pytest.raises(slides.SlideError, match="ptcourse demo nope"):
        slides.build_deck(md, index=index, executed=executed)


def test_markers_never_reach_the_rendered_notebooks():
    """render_notebooks drops MyST comment lines, so a slide marker is invisible to learners."""
    index = rn.build_index(ROOT / "book", "https://example.org/")
    ch = rn.Chapter(doc="01_next_token", index=index, glue={}, kind="student")
    out = rn.render_markdown("Before.\n\n% slide: A title\nAfter.", ch, {})
    assert "%" not in out and "slide" not in out and "Before." in out and "After." in out


@pytest.mark.parametrize("doc", DECK_CHAPTERS)
def test_each_chapter_marks_equations_a_figure_and_a_demo(doc):
    """Chapters 01-08 each mark key equations, one figure cell and at least one live demo that the
    live-demos page runs, and the markers are only '%' comment lines or a 'slide' tag."""
    ch = slides.read(ROOT / "book" / f"{doc}.md")
    demos = (ROOT / "book" / "workshop" / "live_demos.md").read_text()
    assert sum(1 for m in ch.marks if not m.demo and m.arg) >= 3
    assert len(ch.slide_cells) == 1
    commands = [m.arg for m in ch.marks if m.demo]
    assert commands and all(f'("{c}"' in demos or f'"{c}",' in demos for c in commands), commands
    assert doc in {p.stem for p in slides.marked_chapters()}


def test_unmarked_chapters_get_no_deck(tmp_path):
    """Only chapters with markers get a deck (a new chapter joins by adding markers)."""
    book = tmp_path / "book"
    book.mkdir()
    (book / "01_plain.md").write_text(CHAPTER.split("% slide")[0])
    (book / "02_marked.md").write_text(CHAPTER)
    assert [p.stem for p in slides.marked_chapters(book)] == ["02_marked"]


@pytest.mark.skipif(
    not (slides.EXECUTED / "workshop" / "live_demos.glue.json").exists(),
    reason="the book is not built (make book)",
)
def test_the_kl_chapter_decks_from_the_built_book(tmp_path):
    """On the built book, chapter 03's deck has the estimators' equation and figure and the sft demo
    (how far SFT moved the model), and chapter 04's deck pi*, its frontier figure and three demos, with the demo numbers the
    book's run printed."""
    index = rn.build_index(ROOT / "book", rn.site_url(rn.load_config()))
    demos = slides.demo_outputs()
    for doc, needle, commands in (
        ("03_kl_divergence", "k_3", ("ptcourse demo sft",)),
        (
            "04_kl_leash",
            "\\pi^*",
            ("ptcourse demo rl", "ptcourse demo rl --beta 0", "ptcourse demo bandit"),
        ),
    ):
        deck = slides.build_deck(ROOT / "book" / f"{doc}.md", index=index)
        body = "".join(p for s in deck.slides for p in s.parts)
        assert needle in body and body.count("<img") == 1, doc
        for command in commands:
            assert f"$ {command}</code>" in body
            assert demos[command]["sample"].replace("'", "&#x27;") in body
