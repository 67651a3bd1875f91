"""press/book_cache.py: myst-nb's execution cache is cleared exactly when ptcourse's sources change."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "press"))

import book_cache  # noqa: E402


def _tree(tmp_path):
    pkg = tmp_path / "ptcourse"
    (pkg / "toy").mkdir(parents=True)
    (pkg / "kl.py").write_text("BETA = 1\n")
    (pkg / "toy" / "model.py").write_text("D = 64\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    (cache / "executed").mkdir(parents=True)
    (cache / "executed" / "ch1.ipynb").write_text("{}")
    return pkg, cache


def test_cache_survives_while_the_package_is_unchanged(tmp_path):
    """A first run without a stamp clears the cache; the next runs with the same sources keep it."""
    pkg, cache = _tree(tmp_path)
    assert book_cache.refresh(cache, pkg) is True  # no stamp yet: outputs of unknown provenance
    (cache / "executed").mkdir(parents=True)
    (cache / "executed" / "ch1.ipynb").write_text("{}")
    assert book_cache.refresh(cache, pkg) is False
    assert (cache / "executed" / "ch1.ipynb").is_file()


@pytest.mark.parametrize("edit", ["core", "toy", "new file", "data file"])
def test_any_package_edit_clears_the_cache(tmp_path, edit):
    """Editing a core or toy module, or adding any file to the package, clears the cache once."""
    pkg, cache = _tree(tmp_path)
    book_cache.refresh(cache, pkg)
    (cache / "executed").mkdir(parents=True)
    (cache / "executed" / "ch1.ipynb").write_text("{}")
    if edit == "core":
        (pkg / "kl.py").write_text("BETA = 2\n")
    elif edit == "toy":
        (pkg / "toy" / "model.py").write_text("D = 32\n")
    elif edit == "new file":
        (pkg / "toy" / "extra.py").write_text("")
    else:
        (pkg / "dial.js").write_text("//")
    assert book_cache.refresh(cache, pkg) is True
    assert not cache.exists()
    assert book_cache.refresh(cache, pkg) is False  # stamped: the next build reuses its outputs


def test_refuses_a_directory_it_does_not_own(tmp_path):
    """It never removes a directory that is not a jupyter cache."""
    pkg, _ = _tree(tmp_path)
    other = tmp_path / "notes"
    other.mkdir()
    with pytest.raises(ValueError, match="not a jupyter-cache directory"):
        book_cache.refresh(other, pkg)
    assert other.exists()


def test_make_book_refreshes_the_cache_before_building():
    """The Makefile's book recipe runs press/book_cache.py before jupyter-book executes anything."""
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^book:.*?\n((?:\t.*\n)+)", text, re.M).group(1)
    lines = [line.strip() for line in recipe.splitlines()]
    helper = next(i for i, line in enumerate(lines) if "press/book_cache.py" in line)
    build = next(i for i, line in enumerate(lines) if "jupyter-book build" in line)
    assert helper < build
    assert book_cache.DEFAULT_CACHE == ROOT / "_build" / ".jupyter_cache"


def test_a_package_change_also_drops_sphinxs_environment(tmp_path):
    """Sphinx's saved environment goes with the execution cache, so unchanged chapters re-execute."""
    pkg = tmp_path / "ptcourse"
    pkg.mkdir()
    (pkg / "core.py").write_text("x = 1\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    doctrees = tmp_path / "_build" / ".doctrees"
    doctrees.mkdir()
    (doctrees / "environment.pickle").write_bytes(b"env")
    book_cache.refresh(cache, pkg)  # first stamp
    cache.mkdir(exist_ok=True)
    doctrees.mkdir(exist_ok=True)
    (doctrees / "environment.pickle").write_bytes(b"env")
    (pkg / "core.py").write_text("x = 2\n")
    assert book_cache.refresh(cache, pkg)
    assert not cache.exists() and not doctrees.exists()


def test_cache_is_current_only_for_the_sources_it_was_built_from(tmp_path):
    """is_current: False before any stamp and after a package edit, True right after refresh."""
    pkg, cache = _tree(tmp_path)
    assert book_cache.is_current(cache, pkg) is False  # no stamp: provenance unknown
    book_cache.refresh(cache, pkg)
    cache.mkdir(parents=True, exist_ok=True)  # the build fills the cache again
    assert book_cache.is_current(cache, pkg) is True
    (pkg / "kl.py").write_text("BETA = 2\n")
    assert book_cache.is_current(cache, pkg) is False


def test_render_notebooks_ignores_a_cache_from_older_sources(tmp_path, monkeypatch):
    """render_notebooks.executed_from_cache returns None when the cache's stamp is not current,
    so glue.json never takes old outputs as the new package's numbers."""
    import render_notebooks

    cache = tmp_path / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    book_cache.stamp_path(cache).write_text("0" * 64 + "\n")
    calls = []
    monkeypatch.setattr("jupyter_cache.get_cache", lambda path: calls.append(path))
    assert render_notebooks.executed_from_cache(object(), cache) is None
    assert calls == []  # never even opened


def test_prewarm_runs_every_executable_page_the_build_executes():
    """--prewarm executes the pages with a kernelspec: every chapter and the live-demos page, not the
    glossary or the cheat sheet; the per-cell timeout is _config.yml's."""
    names = {p.relative_to(book_cache.ROOT).as_posix() for p in book_cache._book_sources()}
    toc = (book_cache.ROOT / "_toc.yml").read_text()
    in_toc = {f"{m}.md" for m in re.findall(r"file: (book/\S+)", toc)} | {"book/00_welcome.md"}
    assert names <= in_toc  # nothing executed that the build never shows
    assert {
        "book/01_next_token.md",
        "book/08_preferences_in_practice.md",
        "book/workshop/live_demos.md",
    } <= names
    assert "book/glossary.md" not in names
    config = (book_cache.ROOT / "_config.yml").read_text()
    assert f"timeout: {book_cache._timeout()}" in config


def test_prewarm_skips_what_the_cache_already_holds(tmp_path, monkeypatch):
    """A page whose code the cache matches is not executed again (the build's own rule)."""
    import jupyter_cache

    page = tmp_path / "page.md"
    page.write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\nkernelspec:\n  name: python3\n"
        "  display_name: Python 3\n---\n\n```{code-cell} ipython3\nprint(1 + 1)\n```\n"
    )
    cache_dir = tmp_path / ".jupyter_cache"
    monkeypatch.setattr(book_cache, "ROOT", tmp_path)
    first = book_cache.prewarm(cache_dir, [page], timeout=60, workers=1)
    assert list(first) == ["page.md"]
    cache = jupyter_cache.get_cache(str(cache_dir))
    assert len(cache.list_cache_records()) == 1
    assert book_cache.prewarm(cache_dir, [page], timeout=60, workers=1) == {}  # matched: not re-run
