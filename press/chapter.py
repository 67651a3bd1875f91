"""The one reader of the chapter format (``book/*.md``, MyST notebooks), built on jupytext's MyST reader.

Everything the press and the tests need to know about a chapter's source is read here, once:

* :func:`chapters` -- which ``book/*.md`` files are chapters (they carry a kernelspec);
* :func:`read` -- a :class:`Chapter`: its cells (kind, source, tags, in order), the install-cell slot
  (its first code cell), its exercises, its solutions (code and written, with the lines that give
  them away), its slide marks, the names it glues and the names its prose reads, and its course
  blocks (``{quiz} NN``, ``{dial} NAME``).

What a *solution* is, in one place: a code cell tagged ``solution``, any other code cell between
``{solution-start}`` and ``{solution-end}`` (part of the same solution), and the body of a
``{solution}`` directive (a written solution). What gives one away (:attr:`Solution.lines`): for
code, the function's body below its signature and docstring (the exercise's stub shows those); for
a written one, its lines of text. Lines shorter than :data:`MIN_TELLTALE` characters are too common
to tell anything.

>>> ch = read_text('''---
... jupytext: {text_representation: {extension: .md, format_name: myst}}
... kernelspec: {display_name: Python 3, language: python, name: python3}
... ---
... # T
...
... ```{code-cell} ipython3
... print("install")
... ```
...
... % slide: The idea
... ```{exercise} Double
... :label: ex-double
... ```
...
... ```{code-cell} ipython3
... :tags: [solution]
...
... def double(x):
...     "Twice x."
...     return x + x  # the whole answer, in one long line
... ```
...
... Read {glue:text}`twice:.2f`.
...
... ```{quiz} 01
... ```
... ''', "01_t")
>>> [c.kind for c in ch.cells], ch.install
(['markdown', 'code', 'markdown', 'code', 'markdown'], 'print("install")')
>>> ch.exercises, [s.lines for s in ch.solutions]
((Exercise(label='ex-double', title='Double'),), [('return x + x  # the whole answer, in one long line',)])
>>> ch.marks, sorted(ch.glue_refs), ch.blocks
((Mark(cell=2, demo=False, arg='The idea'),), ['twice'], (('quiz', '01'),))
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
#: A chapter's first code cell, tagged ``remove-cell``: every rendered notebook gets the install cell
#: (press/install_cell.py.in, with the repository and the version filled in) in its place.
INSTALL_SLOT = "# The install cell: every rendered notebook gets press/install_cell.py.in here (repository, version)."
MIN_TELLTALE = 24  # characters: a shorter solution line is too common to give a solution away

FENCE_RE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>.*?)\s*$")
MARK_RE = re.compile(r"^%\s*slide(?P<demo>-demo)?\s*(?::\s*(?P<arg>.*?))?\s*$")
BLOCK_RE = re.compile(r"^```\{(?P<name>quiz|dial)\}[ \t]+(?P<arg>\S+)[ \t]*\n```[ \t]*$", re.M)
GLUE_REF_RE = re.compile(r"\{glue(?::\w+)?\}`([A-Za-z_]\w*)")
GLUE_CALL_RE = re.compile(r"""\b(?:glue|claim|glue_spread)\(\s*f?["']([A-Za-z_{][\w{}]*)["']""")


@dataclass(frozen=True)
class Cell:
    kind: str  # "code" or "markdown"
    source: str  # without jupytext's option lines
    tags: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict, compare=False, repr=False)  # jupytext's options


@dataclass(frozen=True)
class Exercise:
    label: str
    title: str


@dataclass(frozen=True)
class Solution:
    label: str  # the exercise's label, or "cell N" for a tagged cell outside a solution block
    kind: str  # "code" or "written"
    text: str
    lines: tuple[str, ...]  # the lines that give it away (MIN_TELLTALE characters or more)


@dataclass(frozen=True)
class Mark:
    cell: int  # the markdown cell that holds the ``% slide`` line
    demo: bool  # ``% slide-demo: COMMAND``
    arg: str | None  # the slide's title (or the demo's command); None for a bare ``% slide``


@dataclass(frozen=True)
class Chapter:
    path: Path
    cells: tuple[Cell, ...]
    exercises: tuple[Exercise, ...]
    solutions: tuple[Solution, ...]
    marks: tuple[Mark, ...]
    glued: frozenset[str]  # names its code glues (glue, claim, glue_spread; f-string names as {x})
    glue_refs: frozenset[str]  # names its prose reads ({glue:text}`name`)
    blocks: tuple[tuple[str, str], ...]  # the course blocks, ("quiz", "NN") / ("dial", NAME)

    @property
    def doc(self) -> str:
        return self.path.stem

    @property
    def install(self) -> str:
        """The install-cell slot: the source of the first code cell."""
        return next(c.source for c in self.cells if c.kind == "code")

    @property
    def slide_cells(self) -> tuple[int, ...]:
        """The code cells tagged ``slide`` (their figure goes on the current slide)."""
        return tuple(i for i, c in enumerate(self.cells) if "slide" in c.tags)


def chapters(book: Path = BOOK) -> list[Path]:
    """The chapters: the ``book/*.md`` files that are notebooks (they carry a kernelspec)."""
    return sorted(p for p in Path(book).glob("*.md") if _is_notebook(p.read_text(encoding="utf-8")))


def executable_pages(book: Path = BOOK) -> list[Path]:
    """Every page the book build executes: the chapters and the notebook pages in sub-folders
    (``book/workshop/live_demos.md``)."""
    return sorted(
        p for p in Path(book).rglob("*.md") if _is_notebook(p.read_text(encoding="utf-8"))
    )


def has_claims(md: Path) -> bool:
    """True when a code cell of the chapter states an executed claim (``claim(...)``)."""
    return any(c.kind == "code" and "claim(" in c.source for c in read(md).cells)


def _is_notebook(text: str) -> bool:
    return text.startswith("---") and "\nkernelspec:" in text.split("\n---", 1)[0]


def read(path: Path) -> Chapter:
    """The chapter at ``path``, read once (cached per path and modification time)."""
    path = Path(path)
    return _read(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _read(path: Path, mtime: int) -> Chapter:
    return read_text(path.read_text(encoding="utf-8"), path)


def read_text(text: str, path: Path | str) -> Chapter:
    """The chapter whose source is ``text`` (``path`` names it)."""
    import jupytext

    path = Path(path)
    nb = jupytext.reads(text, fmt="md:myst")
    cells = tuple(
        Cell(c.cell_type, c.source, tuple(c.metadata.get("tags", ())), dict(c.metadata))
        for c in nb.cells
        if c.cell_type in ("code", "markdown")
    )
    exercises, solutions, marks, blocks = [], [], [], []
    refs: set[str] = set()
    glued: set[str] = set()
    gate: str | None = None  # the label of the open {solution-start} block
    gated: list[str] = []
    for i, cell in enumerate(cells):
        if cell.kind == "code":
            glued |= set(GLUE_CALL_RE.findall(cell.source))
            if gate is not None or "solution" in cell.tags:
                if gate is not None:
                    gated.append(cell.source)
                else:
                    solutions.append(_code_solution(f"cell {i}", cell.source))
            continue
        refs |= set(GLUE_REF_RE.findall(cell.source))
        blocks += [(m["name"], m["arg"]) for m in BLOCK_RE.finditer(cell.source)]
        for fence in _fences(cell.source.splitlines()):
            name, arg, body = fence
            if name == "exercise":
                label = next(
                    (b.split(":", 2)[2].strip() for b in body if b.startswith(":label:")), ""
                )
                exercises.append(Exercise(label, arg))
            elif name == "solution":
                solutions.append(_written_solution(arg, body))
            elif name == "solution-start":
                gate, gated = arg, []
            elif name == "solution-end" and gate is not None:
                solutions.append(_code_solution(gate, "\n\n".join(gated)))
                gate = None
        for line in cell.source.splitlines():
            if m := MARK_RE.match(line):
                marks.append(Mark(i, bool(m["demo"]), m["arg"]))
    return Chapter(
        path=path,
        cells=cells,
        exercises=tuple(exercises),
        solutions=tuple(solutions),
        marks=tuple(marks),
        glued=frozenset(glued),
        glue_refs=frozenset(refs),
        blocks=tuple(blocks),
    )


def _fences(lines: list[str]):
    """``(name, arg, body lines)`` of every directive fence in ``lines``, outer ones first."""
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        close = re.compile(rf"^{re.escape(m['fence'][0])}{{{len(m['fence'])},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        body = lines[i + 1 : j]
        yield m["name"], m["arg"], body
        yield from _fences(body)
        i = j + 1


def _telltales(lines) -> tuple[str, ...]:
    return tuple(s for s in (ln.strip() for ln in lines) if len(s) >= MIN_TELLTALE)


def _code_solution(label: str, source: str) -> Solution:
    return Solution(label, "code", source, _telltales(body_lines(source)))


def _written_solution(label: str, body: list[str]) -> Solution:
    text = [b for b in body if not b.startswith(":")]
    return Solution(label, "written", "\n".join(text).strip(), _telltales(text))


def body_lines(code: str) -> list[str]:
    """The lines of each function's body below its signature and docstring (what a stub removes);
    every line when the code does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code.splitlines()
    src = code.splitlines()
    out = []
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            out += src[fn.lineno - 1 : fn.end_lineno]
            continue
        body = fn.body
        if isinstance(body[0], ast.Expr) and isinstance(
            getattr(body[0], "value", None), ast.Constant
        ):
            body = body[1:]
        out += [src[i] for node in body for i in range(node.lineno - 1, node.end_lineno)]
    return out


def solution_lines(book: Path = BOOK) -> dict[str, tuple[str, ...]]:
    """``"file: solution N (label)" -> the lines that give it away``, for every solution."""
    return {
        f"{md.name}: solution {i} ({s.label})": s.lines
        for md in chapters(book)
        for i, s in enumerate(read(md).solutions, 1)
        if s.lines
    }
