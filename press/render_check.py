"""The rendering check: no MyST syntax and (in student notebooks) no solution reaches a learner.

Usage (from the repository root; ``make colab-check`` runs it)::

    .venv/bin/python press/render_check.py [NOTEBOOK_DIR ...]   # default: notebooks/student notebooks/instructor

Each markdown cell is converted with markdown-it-py's CommonMark renderer (what Jupyter and Colab
use is CommonMark too), and the HTML is searched for what MyST syntax turns into when a CommonMark
renderer does not know it:

* a role, ``{term}`x``` -> ``{term}<code>x</code>``;
* a directive fence, ```` ```{exercise} ```` -> ``<code class="language-{exercise}">``, or a colon fence
  ``:::{note}`` left as text;
* a directive option line, ``:label: ex-kl`` or ``:class: dropdown``;
* an equation label, ``$$ (eq-kl-def)``, or a target line ``(sec-intro)=``;
* a ``{{ substitution }}``.

In a notebook of the student set (metadata ``ptcourse.generated`` starting with "student", or a
directory named ``student``), it also fails on solution text: a "Solution" summary or heading, and
any line of a chapter's solutions (written ones, and the bodies of code ones) found in the notebook.
Exit status 1 on any problem, each named with notebook and cell.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PATTERNS = [
    ("MyST role", re.compile(r"\{[A-Za-z][\w:-]*\}(?:<code>|`)")),
    ("directive fence", re.compile(r'class="language-\{|(?:^|\n|>)\s*(?:`{3,}|:{3,})\{[\w:-]+\}')),
    (
        "directive option",
        re.compile(
            r"(?:^|\n|>)\s*:(?:label|class|name|tags|nowrap|dropdown|open|"
            r"sorted|style|width|align|alt|hidden|number|enumerated):\s"
        ),
    ),  # fmt: skip
    ("equation label", re.compile(r"\$\$\s*\([\w:.-]+\)")),
    ("target", re.compile(r"(?:^|\n|>)\([\w:.-]+\)=")),
    ("substitution", re.compile(r"\{\{[^{}]*\}\}")),
]
SOLUTION_MARKERS = re.compile(r"<summary>[^<]*(?:<b>)?\s*Solution|^#+\s*Solution|Solution to Exercise",
                              re.M | re.I)  # fmt: skip


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def to_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def solution_lines(book: Path = ROOT / "book") -> set[str]:
    """The lines that give away a solution of the chapters (press/chapter.py reads them)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from chapter import solution_lines as lines_of

    return {ln for lines in lines_of(book).values() for ln in lines}


def is_student(path: Path, nb: dict) -> bool:
    generated = nb.get("metadata", {}).get("ptcourse", {}).get("generated", "")
    return generated.startswith("student") or path.parent.name == "student"


def check_notebook(path: Path, nb: dict, solutions: set[str]) -> list[str]:
    problems = []
    student = is_student(path, nb)
    for i, cell in enumerate(nb.get("cells", [])):
        src = _source(cell)
        where = f"{path.name} cell {i}"
        if cell.get("cell_type") == "markdown":
            html = to_html(src)
            for what, pattern in PATTERNS:
                m = pattern.search(html) or pattern.search(src)
                if m:
                    problems.append(f"{where}: {what} reaches the output: {m.group(0).strip()!r}")
            if student and (m := SOLUTION_MARKERS.search(src)):
                problems.append(f"{where}: solution text in a student notebook: {m.group(0)!r}")
        if student:
            for line in src.splitlines():
                if line.strip() in solutions:
                    problems.append(
                        f"{where}: solution text in a student notebook: {line.strip()!r}"
                    )
                    break
    return problems


def main(argv: list[str] | None = None) -> int:
    from render_notebooks import NOTEBOOK_DIRS

    dirs = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or [
        ROOT / d for d in NOTEBOOK_DIRS.values()
    ]
    solutions = solution_lines()
    problems, n = [], 0
    for d in dirs:
        paths = sorted(d.glob("*.ipynb")) if d.is_dir() else [d]
        if not paths:
            problems.append(f"{d}: no notebooks")
        for path in paths:
            n += 1
            problems += check_notebook(
                path, json.loads(path.read_text(encoding="utf-8")), solutions
            )
    for p in problems:
        print(f"[render-check] {p}", file=sys.stderr)
    if problems:
        return 1
    print(
        f"[render-check] {n} notebooks: no MyST syntax in the markdown, no solutions for students"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
