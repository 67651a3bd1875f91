"""press/notebook_links.py: its resolver on a small fixture site (the real check runs on the built
site in ``make site-test``, tests/site/test_notebook_links.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "press"))

import notebook_links as nl  # noqa: E402

pytest.importorskip("markdown_it")
SITE = "https://o.github.io/r/"
REPO = "https://github.com/o/r"


@pytest.fixture()
def site(tmp_path) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text("<html></html>")
    (tmp_path / "book" / "glossary.html").write_text(
        '<dl><dt id="term-KL-coefficient">KL coefficient</dt><dt id="term-0">β</dt></dl>'
    )
    (tmp_path / "book" / "01_next_token.html").write_text('<h1 id="next-token">x</h1>')
    return tmp_path


def _resolve(url: str, site: Path) -> str:
    return nl.resolve(url, site=SITE, site_dir=site, repository=REPO, root=ROOT)


@pytest.mark.parametrize(
    "url",
    [
        SITE,
        SITE + "book/01_next_token.html",
        SITE + "book/01_next_token.html#next-token",
        SITE + "book/glossary.html#term-KL-coefficient",
        REPO + "/blob/v0.1.0/notebooks/student/03_kl_divergence.ipynb",
        "https://colab.research.google.com/github/o/r/blob/v0.1.0/notebooks/student/03_kl_divergence.ipynb",
        "https://pytorch.org/docs/stable/index.html",
    ],
)
def test_links_that_land_resolve(url, site):
    assert _resolve(url, site) == ""


@pytest.mark.parametrize(
    "url, why",
    [
        ("01_next_token.md", "relative link"),
        ("glossary.md#term-entropy", "relative link"),
        ("#sec-x", "relative link"),
        ("", "empty link"),
        (SITE + "book/05_entropy.html", "has no book/05_entropy.html"),
        (SITE + "book/glossary.html#term", "has no id 'term'"),
        (SITE + "book/glossary.html#term-KL-divergence", "has no id"),
        (REPO + "/blob/v0.1.0/notebooks/student/99_gone.ipynb", "repository has no"),
    ],
)
def test_links_that_go_nowhere_are_named(url, why, site):
    assert why in _resolve(url, site)


def test_links_are_read_as_commonmark_with_their_text():
    """Link text, images and raw HTML anchors count; code spans do not."""
    md = '[a](x.md) ![p](i.png) `[c](d.md)` <a href="h.md">h</a> [](e.md)'
    assert nl.links(md) == [("a", "x.md"), ("p", "i.png"), ("(html)", "h.md"), ("", "e.md")]


def test_problems_name_the_notebook_and_cell_and_an_empty_text(site, tmp_path):
    nb = tmp_path / "00_welcome.ipynb"
    cells = [
        {"cell_type": "code", "source": "[x](nowhere.md)", "outputs": [], "metadata": {}},
        {"cell_type": "markdown", "source": f"[]({SITE}book/01_next_token.html)", "metadata": {}},
        {"cell_type": "markdown", "source": ["[glossary](glossary.md) ", "[ok](", SITE, ")"]},
    ]
    nb.write_text(json.dumps({"cells": cells}))
    found = nl.problems([nb], site=SITE, site_dir=site, repository=REPO, root=ROOT)
    assert found == [
        f"00_welcome.ipynb cell 1: the link to {SITE}book/01_next_token.html shows no text",
        "00_welcome.ipynb cell 2: glossary.md: a relative link goes nowhere in a notebook opened "
        "alone (Colab)",
    ]
