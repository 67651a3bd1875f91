"""_ext/executed_copies.py: the book's jupyter_execute/ copies keep their outputs when cached.

Uses a real jupyter-cache in a temporary directory (no kernel: the executed notebook is built by
hand, as myst-nb would have cached it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import executed_copies  # noqa: E402


def _chapter(with_outputs: bool):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter"), nbformat.v4.new_code_cell("1 + 1")]
    if with_outputs:
        nb.cells[1].outputs = [
            nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)
        ]
        nb.cells[1].execution_count = 1
    return nb


def _bundle(nb, uri: Path):
    from jupyter_cache.base import CacheBundleIn

    return CacheBundleIn(nb, str(uri), data={"execution_seconds": 0.1})


def _cached(tmp_path: Path) -> Path:
    cache_dir = tmp_path / ".jupyter_cache"
    get_cache(str(cache_dir)).cache_notebook_bundle(
        _bundle(_chapter(with_outputs=True), tmp_path / "01_ch.ipynb")
    )
    return cache_dir


def test_output_less_copy_gets_the_cached_outputs(tmp_path):
    """A copy written without outputs (the cache-hit path) is rewritten with the cached outputs."""
    cache_dir = _cached(tmp_path)
    copy = tmp_path / "jupyter_execute" / "01_ch.ipynb"
    copy.parent.mkdir()
    nbformat.write(_chapter(with_outputs=False), copy)
    assert executed_copies.repair(copy, cache_dir) is True
    nb = nbformat.read(copy, as_version=4)
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "2"
    assert nb.cells[0].source == "# A chapter"  # the text cells are the chapter's own


def test_copy_with_outputs_or_without_record_is_left_alone(tmp_path):
    """A copy that already has outputs, or whose code matches no cache record, is not rewritten."""
    cache_dir = _cached(tmp_path)
    full = tmp_path / "full.ipynb"
    nbformat.write(_chapter(with_outputs=True), full)
    before = full.read_bytes()
    assert executed_copies.repair(full, cache_dir) is False
    assert full.read_bytes() == before
    other = _chapter(with_outputs=False)
    other.cells[1].source = "2 + 2"  # code the cache never executed
    stray = tmp_path / "stray.ipynb"
    nbformat.write(other, stray)
    assert executed_copies.repair(stray, cache_dir) is False
    assert not executed_copies.has_outputs(nbformat.read(stray, as_version=4))
    assert executed_copies.repair(tmp_path / "missing.ipynb", cache_dir) is False
