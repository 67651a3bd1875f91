r"""Student notebooks from the instructor notebooks: every exercise solution becomes a stub.

``ptcourse notebooks --student OUT [--src notebooks] [--check]`` reads each instructor notebook
``SRC/*.ipynb`` (the jupytext twin of a chapter ``book/*.md``) and writes ``OUT/<name>.ipynb`` where

* every code cell tagged ``solution`` keeps its ``def`` line(s) and docstring, and its body becomes
  ``raise NotImplementedError(...)`` (the chapters' rule: such a cell holds exactly one function);
* every other cell, including the ``check.<name>(<name>)`` call after each exercise, is kept as is;
* outputs and execution counts are stripped, and cell ids are stable, so the output is a pure function
  of the input and a test can compare the committed student notebooks with a fresh build.

A checker given a stub prints "not done yet" instead of raising (``ptcourse.check``), so a student
notebook runs end to end. With ``--check`` nothing is written: the command exits 1 and lists the
student notebooks that are missing, stale, or orphaned.

What it will not do, because OUT may hold a learner's own work (issue 14):

* it never deletes anything, and it overwrites only a file that it wrote itself (a notebook whose
  metadata carries ``ptcourse.generated``); any other file in OUT with a name it would write makes it
  stop before writing anything, naming that file;
* it refuses OUT equal to SRC, and any OUT where an output would land on a source notebook (a
  symlink, say); OUT inside SRC (the default ``notebooks/student``) is fine, since SRC is not
  searched recursively;
* it fails (exit 1) when SRC holds no notebook, instead of "writing" zero notebooks.

The course's own Colab/Jupyter notebooks are rendered from the chapters by ``tools/render_notebooks.py``
(``make student``), which uses :func:`stub_source` from here.

Only the standard library is used (json, ast): this runs on instructor machines and in CI, never in
Colab. The idea of one source with tagged solutions follows QuantEcon's lectures and nbgrader's
``### BEGIN SOLUTION`` convention, done here with cell tags and ``ast`` instead of markers.

>>> cell = {"cell_type": "code", "metadata": {"tags": ["solution"]}, "outputs": [],
...         "execution_count": 3, "source": "def f(x):\n    'Double x.'\n    return 2 * x\n"}
>>> print(stub_cell(cell)["source"])  # the body is gone, the docstring stays
def f(x):
    'Double x.'
    raise NotImplementedError("Exercise: write this function, then run the check below.")
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import sys
from pathlib import Path

__all__ = [
    "STUB",
    "SOLUTION_TAG",
    "main",
    "out_of_date",
    "refusals",
    "student_notebook",
    "stub_cell",
    "stub_source",
]

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
STUB = 'raise NotImplementedError("Exercise: write this function, then run the check below.")'
REGENERATE = "make student"
# Written into every notebook this module writes; only such files may be overwritten later.
GENERATED_KEY = "ptcourse"
GENERATED = {"generated": "student notebook (ptcourse notebooks --student); edits are overwritten"}


class SolutionCellError(ValueError):
    """A ``solution``-tagged cell that is not exactly one function definition."""


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def stub_source(source: str) -> str:
    """Keep the one function's decorators, ``def`` line(s) and docstring; replace its body by STUB.

    Comment lines before the ``def`` are kept too. Raises SolutionCellError when the code is not
    exactly one function definition.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise SolutionCellError(f"solution cell does not parse: {err}\n{source}") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        kinds = [type(node).__name__ for node in tree.body]
        raise SolutionCellError(
            "a cell tagged 'solution' must hold exactly one function definition and nothing else; "
            f"this one holds {kinds}:\n{source}"
        )
    fn = tree.body[0]
    lines = source.splitlines()
    first = fn.body[0]
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    if has_doc:
        keep_until = first.end_lineno  # last line of the docstring (1-based, inclusive)
    else:
        keep_until = first.lineno - 1
        if keep_until < fn.lineno:
            raise SolutionCellError(
                f"put the body of {fn.name}() on its own lines (after the signature):\n{source}"
            )
    indent = " " * first.col_offset
    kept = lines[:keep_until]
    return "\n".join([*kept, indent + STUB])


def stub_cell(cell: dict) -> dict:
    """A copy of ``cell`` without outputs; a ``solution`` cell's body is replaced by the stub."""
    out = copy.deepcopy(cell)
    if out.get("cell_type") == "code":
        out["outputs"] = []
        out["execution_count"] = None
        tags = list(out.get("metadata", {}).get("tags", []))
        if SOLUTION_TAG in tags:
            out["source"] = stub_source(_source(cell))
            tags = [EXERCISE_TAG if t == SOLUTION_TAG else t for t in tags]
            out["metadata"]["tags"] = tags
    return out


def _cell_id(name: str, index: int, cell: dict) -> str:
    """A stable id: the source notebook's id when it has one, else a hash of name and position."""
    if isinstance(cell.get("id"), str) and cell["id"]:
        return cell["id"]
    return hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


def student_notebook(nb: dict, name: str) -> dict:
    """The student version of the instructor notebook ``nb`` (a parsed .ipynb, nbformat 4)."""
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        try:
            new = stub_cell(cell)
        except SolutionCellError as err:
            raise SolutionCellError(f"{name}, cell {i}: {err}") from None
        new["id"] = _cell_id(name, i, cell)
        if isinstance(new.get("source"), list):
            new["source"] = "".join(new["source"])
        cells.append(new)
    meta = {k: v for k, v in nb.get("metadata", {}).items() if k in ("kernelspec", "language_info")}
    meta[GENERATED_KEY] = dict(GENERATED)
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def written_by_us(path: Path) -> bool:
    """True when ``path`` is a notebook this module wrote (its metadata carries the marker)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    return isinstance(meta, dict) and isinstance(meta.get(GENERATED_KEY), dict)


def refusals(src: Path, out: Path, names: list[str]) -> list[str]:
    """Why writing ``names`` from ``src`` into ``out`` would destroy something ([] when it is safe)."""
    src, out = Path(src), Path(out)
    if out.resolve() == src.resolve():
        return [
            f"--student {out} is the same directory as --src {src}: that would overwrite the "
            "notebooks with solutions by their stubs. Choose another directory."
        ]
    problems = []
    for name in names:
        target = out / name
        if not target.exists():
            continue
        if target.resolve() == (src / name).resolve() or any(
            target.samefile(p) for p in src.glob("*.ipynb")
        ):
            problems.append(
                f"{target} is a source notebook in --src {src}; refusing to overwrite it"
            )
        elif not written_by_us(target):
            problems.append(
                f"{target} exists and was not written by `ptcourse notebooks`; refusing to "
                "overwrite it (move it away, or choose another --student directory)"
            )
    return problems


def render(nb: dict) -> str:
    """Serialise like nbformat does (indent 1, sorted keys), with list-of-lines sources."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["source"] = _source(cell).splitlines(keepends=True)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build(src: Path) -> dict[str, str]:
    """File name -> rendered student notebook, for every ``src/*.ipynb``."""
    out = {}
    for path in sorted(Path(src).glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        out[path.name] = render(student_notebook(nb, path.stem))
    return out


def out_of_date(src: Path, out: Path) -> list[str]:
    """Problems with ``out`` as the student build of ``src``: missing, stale or orphaned files."""
    want = build(src)
    problems = []
    for name, text in want.items():
        path = Path(out) / name
        if not path.exists():
            problems.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path} is stale")
    for path in sorted(Path(out).glob("*.ipynb")):
        if path.name not in want and written_by_us(path):
            problems.append(f"{path} has no instructor notebook {Path(src) / path.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """``ptcourse notebooks --student OUT [--src SRC] [--check]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="ptcourse notebooks",
        description="Write student notebooks (solutions replaced by stubs) from instructor notebooks.",
    )
    parser.add_argument("--student", metavar="OUT", required=True, help="output directory")
    parser.add_argument(
        "--src", default="notebooks", help="instructor notebooks (default: notebooks)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if OUT is out of date"
    )
    args = parser.parse_args(argv)
    src, out = Path(args.src), Path(args.student)
    if not src.is_dir():
        parser.error(f"--src {src} is not a directory")
    try:
        notebooks = build(src)
    except SolutionCellError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not notebooks:
        print(f"error: --src {src} holds no *.ipynb notebook: nothing to write", file=sys.stderr)
        return 1
    if args.check:
        problems = out_of_date(src, out)
        if problems:
            print("student notebooks are out of date:", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
            print(
                f"regenerate with: ptcourse notebooks --student {out} --src {src}", file=sys.stderr
            )
            return 1
        print(f"{out}: {len(notebooks)} student notebooks up to date")
        return 0
    refused = refusals(src, out, list(notebooks))
    if refused:
        for r in refused:
            print(f"error: {r}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for name, text in notebooks.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    print(f"wrote {len(notebooks)} student notebooks to {out} (nothing else there was touched)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
