"""Publish a computed value to the book's prose (myst-nb ``glue``), and do nothing elsewhere.

The chapters put every number in their text through ``glue`` so that the prose can never drift from
the code. In Colab or a plain Jupyter kernel myst-nb is not installed, so this shim falls back to a
no-op there; the chapter's own ``print`` lines show the numbers instead.

>>> from ptcourse.glue import glue
>>> glue("answer", 42)  # no error whether or not myst-nb is installed
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = False) -> None:
    """Record ``value`` under ``name`` for ``{glue:text}`name``` references in the book."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"glue: 'name' must be a non-empty string, got {name!r}")
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:
        return
    _myst_glue(name, value, display=display)
