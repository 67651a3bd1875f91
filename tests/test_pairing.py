"""Every chapter in book/ is paired with its notebook twin in notebooks/, which holds the same cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

import chapter as chapter_format  # noqa: E402  (press/chapter.py, the one reader of the chapter format)

ROOT = Path(__file__).resolve().parents[1]
FIX = "make sync   (runs: .venv/bin/jupytext --sync book/<name>.md)"


def chapters() -> list[Path]:
    """Chapters are the book/*.md files that are notebooks (they carry a kernelspec)."""
    return chapter_format.chapters(ROOT / "book")


def cells(nb) -> list[tuple]:
    return [
        (c.cell_type, c.source.strip(), json.dumps(c.metadata, sort_keys=True)) for c in nb.cells
    ]


def out_of_sync(md: Path, ipynb: Path) -> str | None:
    """Why ``ipynb`` is not the twin of ``md``, or None when they hold the same cells."""
    if not ipynb.exists():
        return f"{ipynb.relative_to(ROOT)} is missing"
    a, b = cells(jupytext.read(md)), cells(jupytext.read(ipynb))
    if a != b:
        first = next(
            (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
        )
        return f"cell {first} differs ({len(a)} cells in the .md, {len(b)} in the .ipynb)"
    raw = json.loads(ipynb.read_text())
    if any(c.get("outputs") for c in raw["cells"] if c["cell_type"] == "code"):
        return f"{ipynb.relative_to(ROOT)} is committed with outputs"
    return None


def test_there_is_at_least_one_chapter():
    """The book has at least one executable chapter, so pairing is exercised."""
    assert chapters(), "no book/*.md chapter with a kernelspec"


@pytest.mark.parametrize("md", chapters(), ids=lambda p: p.stem)
def test_chapter_and_notebook_are_in_sync(md):
    """The chapter's notebook twin has exactly the chapter's cells and no outputs."""
    problem = out_of_sync(md, ROOT / "notebooks" / f"{md.stem}.ipynb")
    assert problem is None, (
        f"{md.relative_to(ROOT)} and its notebook are out of sync: {problem}. Fix: {FIX}"
    )


def test_no_orphan_notebooks():
    """Every notebooks/*.ipynb is the twin of a chapter (no notebook without its source)."""
    names = {p.stem for p in chapters()}
    orphans = [p.name for p in (ROOT / "notebooks").glob("*.ipynb") if p.stem not in names]
    assert not orphans, (
        f"notebooks without a book/*.md source: {orphans}. Delete them or add the chapter."
    )


def test_sync_check_detects_an_edit(tmp_path):
    """The sync check reports a chapter whose code changed after its notebook was written."""
    md = tmp_path / "ch.md"
    md.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n"
        "# T\n\n```{code-cell} ipython3\nx = 1\n```\n"
    )
    ipynb = tmp_path / "ch.ipynb"
    jupytext.write(jupytext.read(md), ipynb)
    assert out_of_sync(md, ipynb) is None
    md.write_text(md.read_text().replace("x = 1", "x = 2"))
    assert "differs" in out_of_sync(md, ipynb)
