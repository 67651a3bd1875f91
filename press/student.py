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

* it never deletes anything, and it replaces a file only while that file is byte for byte what it
  wrote there: it records a SHA-256 of every notebook it writes in ``OUT/.ptcourse-notebooks.json``,
  and a notebook whose bytes no longer match (a learner's solved exercises: Jupyter keeps the
  metadata marker when it saves, so the marker alone proves nothing) is kept and listed as kept;
* any file in OUT with a name it would write that does not carry its marker (``ptcourse.generated``)
  makes it stop before writing anything, naming that file;
* it refuses OUT equal to SRC, and any OUT where an output would land on a source notebook (a
  symlink, say); OUT inside SRC (the default ``notebooks/student``) is fine, since SRC is not
  searched recursively;
* it fails (exit 1) when SRC holds no notebook, instead of "writing" zero notebooks, and (exit 2,
  no traceback) when OUT is a file or a source notebook is broken (not JSON, not UTF-8, not the
  notebook structure, ``tags`` that are not a list of strings), naming the file.

The course's own Colab/Jupyter notebooks are rendered from the chapters by ``press/render_notebooks.py``
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
import os
import sys
from pathlib import Path

__all__ = [
    "MANIFEST",
    "NotebookError",
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


class NotebookError(ValueError):
    """A source notebook that cannot be read as a notebook; the message names the file."""


#: The record of what was written, in OUT: file name -> SHA-256 of the bytes written.
MANIFEST = ".ptcourse-notebooks.json"


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
        tags = _tags(out)
        if SOLUTION_TAG in tags:
            out["source"] = stub_source(_source(cell))
            tags = [EXERCISE_TAG if t == SOLUTION_TAG else t for t in tags]
            out["metadata"]["tags"] = tags
    return out


def _tags(cell: dict) -> list[str]:
    """The cell's tags; anything but a list of strings is refused (nbformat's schema).

    A string ``"solution"`` would otherwise be read letter by letter and the solution copied.
    """
    meta = cell.get("metadata", {})
    if not isinstance(meta, dict):
        raise NotebookError(f"cell metadata must be a JSON object, got {meta!r}")
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise NotebookError(
            f"cell metadata 'tags' must be a list of strings, got {tags!r} (write [{tags!r}] "
            "for one tag)"
            if isinstance(tags, str)
            else f"cell metadata 'tags' must be a list of strings, got {tags!r}"
        )
    return list(tags)


def _cell_id(name: str, index: int, cell: dict) -> str:
    """A stable id: the source notebook's id when it has one, else a hash of name and position."""
    if isinstance(cell.get("id"), str) and cell["id"]:
        return cell["id"]
    return hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


def student_notebook(nb: dict, name: str) -> dict:
    """The student version of the instructor notebook ``nb`` (a parsed .ipynb, nbformat 4)."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise NotebookError(f"{name}: not a notebook (a JSON object with a list of 'cells')")
    if not isinstance(nb.get("metadata", {}), dict):
        raise NotebookError(f"{name}: notebook 'metadata' must be a JSON object")
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict):
            raise NotebookError(f"{name}, cell {i}: a cell must be a JSON object, got {cell!r}")
        src = cell.get("source", "")
        if not (
            isinstance(src, str) or (isinstance(src, list) and all(isinstance(x, str) for x in src))
        ):
            raise NotebookError(f"{name}, cell {i}: 'source' must be a string or a list of strings")
        try:
            new = stub_cell(cell)
        except SolutionCellError as err:
            raise SolutionCellError(f"{name}, cell {i}: {err}") from None
        except NotebookError as err:
            raise NotebookError(f"{name}, cell {i}: {err}") from None
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
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as err:
            raise NotebookError(
                f"{path}: not UTF-8 text ({err.reason} at byte {err.start})"
            ) from None
        except json.JSONDecodeError as err:
            raise NotebookError(
                f"{path}: not valid JSON ({err.msg}, line {err.lineno} column {err.colno})"
            ) from None
        except OSError as err:
            raise NotebookError(f"{path}: cannot be read ({err.strerror})") from None
        try:
            out[path.name] = render(student_notebook(nb, path.stem))
        except (NotebookError, SolutionCellError) as err:
            raise type(err)(str(err).replace(f"{path.stem}", str(path), 1)) from None
    return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(out: Path) -> dict[str, str]:
    """File name -> SHA-256 of what was written to ``out`` ({} when there is no valid record)."""
    try:
        data = json.loads((Path(out) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    written = data.get("written") if isinstance(data, dict) else None
    if not isinstance(written, dict):
        return {}
    return {k: v for k, v in written.items() if isinstance(k, str) and isinstance(v, str)}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_notebooks(out: Path, notebooks: dict[str, str]) -> tuple[list[str], list[Path]]:
    """Write ``notebooks`` into ``out``; return (names written or already current, paths kept).

    A file is replaced only when it is missing, already equal to the new text, or byte for byte
    what the manifest says was written there; any other (a learner's edits) is kept.
    """
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out)
    done, kept = [], []
    for name, text in notebooks.items():
        path, data = out / name, text.encode("utf-8")
        if path.exists():
            current = path.read_bytes()
            if current != data and _digest(current) != manifest.get(name):
                kept.append(path)  # changed since it was written (or never recorded): not ours
                continue
            if current != data:
                _write_atomic(path, data)
        else:
            _write_atomic(path, data)
        manifest[name] = _digest(data)
        done.append(name)
    record = {
        "note": "written by `ptcourse notebooks --student`: SHA-256 of each notebook as written; "
        "a notebook whose bytes differ (your edits) is never replaced",
        "written": dict(sorted(manifest.items())),
    }
    _write_atomic(out / MANIFEST, (json.dumps(record, indent=1) + "\n").encode("utf-8"))
    return done, kept


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
    if out.exists() and not out.is_dir():
        print(f"error: --student {out} is a file, not a directory: nothing was written",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        notebooks = build(src)
    except (SolutionCellError, NotebookError) as err:
        print(f"error: {err}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
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
    try:
        done, kept = write_notebooks(out, notebooks)
    except OSError as err:
        print(f"error: cannot write to --student {out}: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(done)} student notebooks to {out} (nothing else there was touched)")
    if kept:
        print(f"kept {len(kept)} notebooks that changed since `ptcourse notebooks` wrote them "
              "(your work is not replaced):", file=sys.stderr)  # fmt: skip
        for path in kept:
            print(f"  {path}", file=sys.stderr)
        print("to get a fresh copy of one, move it away and run the command again",
              file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
