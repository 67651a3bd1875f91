"""The one shape of the course's kernel-free HTML blocks (dials, quizzes): HTML with its inline script.

Jupyter and myst-nb display such a block through ``_repr_html_``; ``str()`` gives the HTML too, so
the book build and a notebook show the same thing, and no kernel is needed once it is on a page.

>>> block = KernelFreeHTML("demo", "<p>hi</p>")
>>> str(block), block
('<p>hi</p>', KernelFreeHTML('demo', 9 characters of HTML))
"""

from __future__ import annotations

__all__ = ["KernelFreeHTML"]


class KernelFreeHTML:
    """``name`` (what the block shows) and ``html`` (the snippet, script included)."""

    def __init__(self, name: str, html_text: str):
        self.name = name
        self.html = html_text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {len(self.html)} characters of HTML)"
