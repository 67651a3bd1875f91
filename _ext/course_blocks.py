"""Sphinx directives for the course's kernel-free blocks: ``{quiz} NN``, ``{dial} NAME`` and
``{library-defaults} all`` (the appendix page's table of TRL / verl / OpenRLHF defaults).

A chapter ends with its self-check quiz and shows its dials as MyST directives::

    ```{quiz} 03
    ```

    ```{dial} beta
    ```

Each becomes the kernel-free HTML block of the press (``press/quiz/``: radio groups and number boxes
with per-option feedback; ``press/dial_page.py``: a slider over precomputed frames), put on the page
as raw HTML at build time, so the chapter itself calls no build-only Python and no kernel is needed
to read the page. The student and instructor notebooks get the same blocks from
``press/render_notebooks.py``: the quiz as markdown questions, the dial as ``pc.widgets.dial(NAME)``.

The page is re-read when the quiz's data or the dial's code changes (Sphinx dependencies).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

PRESS = Path(__file__).resolve().parents[1] / "press"
DIAL_SOURCES = [
    PRESS / "dial_page.py",
    PRESS / "dial.js",
    PRESS / "dial.css",
    PRESS.parent / "ptcourse" / "course" / "dials" / "examples.py",
    PRESS.parent / "ptcourse" / "course" / "dials" / "states.py",
]


def _press():
    if str(PRESS) not in sys.path:
        sys.path.insert(0, str(PRESS))


class _Block(Directive):
    required_arguments = 1
    has_content = False

    def html(self, arg: str) -> tuple[str, list[Path]]:
        raise NotImplementedError

    def run(self):
        _press()
        try:
            text, sources = self.html(self.arguments[0].strip())
        except ValueError as e:  # an unknown chapter or dial: the build names it and goes on
            return [self.state_machine.reporter.error(str(e), line=self.lineno)]
        env = self.state.document.settings.env
        for path in sources:
            env.note_dependency(str(path))
        return [nodes.raw("", text, format="html")]


class QuizDirective(_Block):
    """``{quiz} NN``: the self-check quiz of chapter NN (``press/quiz/chNN.py``)."""

    def html(self, arg):
        import quiz

        return quiz.show(arg).html, [
            PRESS / "quiz" / f"ch{arg}.py",
            *sorted((PRESS / "quiz").glob("*.[pjc]*")),
        ]


class DialDirective(_Block):
    """``{dial} NAME``: the kernel-free dial ``temperature``, ``beta`` or ``estimators``."""

    def html(self, arg):
        import dial_page

        return dial_page.html_dial(arg).html, DIAL_SOURCES


class LibraryDefaultsDirective(_Block):
    """``{library-defaults} all``: the whole defaults table (``ptcourse.course.library_defaults``),
    rendered at build time, so the appendix page has no kernel and no second copy of the table."""

    def html(self, arg):
        if arg != "all":
            raise ValueError(f"library-defaults: the argument is 'all', got {arg!r}")
        from ptcourse.course import library_defaults

        return (f'<div class="ptc-library-defaults">{library_defaults.html_table()}</div>',
                [Path(library_defaults.__file__)])  # fmt: skip


def setup(app):
    app.add_directive("quiz", QuizDirective)
    app.add_directive("dial", DialDirective)
    app.add_directive("library-defaults", LibraryDefaultsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
