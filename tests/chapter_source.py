"""A chapter's source as the book writes it, for the tests of the tools that read chapters.

Every ``book/*.md`` opens with the same jupytext front matter (MyST markdown, the Python 3 kernel);
``chapter(body)`` puts it above a test's own chapter text. Imported as ``chapter_source``, like
``strategies``: pytest puts ``tests/`` (the folder of the root ``conftest.py``) on ``sys.path``.
"""

from __future__ import annotations

FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def chapter(body: str) -> str:
    """The text of a chapter file: the front matter, a blank line, then ``body``."""
    return f"{FRONT_MATTER}\n{body}"


def deck_chapters() -> list[str]:
    """The chapters that must have a slide deck: every chapter but the welcome (press/chapter.py
    lists the chapters)."""
    import chapter as chapter_format  # press/ is on sys.path (tests/conftest.py)

    return [p.stem for p in chapter_format.chapters() if not p.stem.startswith("00_")]


#: The chapters with a slide deck (their sources carry slide markers); the workshop's decks.
DECK_CHAPTERS = deck_chapters()
