r"""The stub of an exercise solution: keep the function's ``def`` line(s) and docstring, drop the body.

The press renders each chapter's student notebook (``press/render_notebooks.py``, ``make student``);
every code cell tagged ``solution`` there becomes :func:`stub_source` of it (the chapters' rule: such
a cell holds exactly one function). A checker given a stub prints "not done yet" instead of raising
(``ptcourse.check``), so a student notebook runs end to end. The idea of one source with tagged
solutions follows QuantEcon's lectures and nbgrader's ``### BEGIN SOLUTION`` convention, done here
with cell tags and ``ast`` instead of markers. Only the standard library is used.

>>> print(stub_source("def f(x):\n    'Double x.'\n    return 2 * x\n"))  # the body is gone
def f(x):
    'Double x.'
    raise NotImplementedError("Exercise: write this function, then run the check below.")
"""

from __future__ import annotations

import ast

__all__ = ["GLUE_CALLS", "STUB", "SolutionCellError", "stub_source", "without_glue"]

STUB = 'raise NotImplementedError("Exercise: write this function, then run the check below.")'


class SolutionCellError(ValueError):
    """A ``solution``-tagged cell that is not exactly one function definition."""


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


#: The book's glue helpers: they record numbers for the site's prose and claims, which a learner's
#: notebook has already baked into its text, so the notebooks drop the calls (plumbing, not lessons).
GLUE_CALLS = frozenset({"glue", "claim", "glue_spread"})


def _is_glue(stmt: ast.stmt) -> bool:
    """A statement that only records glue: a bare glue call, or a loop/if made of nothing else."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        return isinstance(f, ast.Name) and f.id in GLUE_CALLS
    if isinstance(stmt, ast.For | ast.If) and not getattr(stmt, "orelse", None):
        return bool(stmt.body) and all(_is_glue(s) for s in stmt.body)
    return False


def without_glue(source: str) -> str:
    """``source`` without its glue statements, and without the glue names in its imports.

    >>> print(without_glue("x = 2\\nglue('x', x)\\nfor k in 'ab':\\n    claim(k, 1, at_most=2)\\nprint(x)"))
    x = 2
    print(x)
    >>> print(without_glue("for t in 'ab':\\n    x = t * 2\\n    glue(t, x)\\nprint(x)"))
    for t in 'ab':
        x = t * 2
    print(x)
    >>> without_glue("from ptcourse.course.glue import claim, glue\\n")
    ''
    >>> print(without_glue("%matplotlib inline\\nimport torch\\nfrom ptcourse.course.glue import glue, glue_spread"))
    %matplotlib inline
    import torch
    """
    lines = source.splitlines()
    # IPython's magics and shell lines (%matplotlib, !pip) are not Python: parse them as `pass`
    parsable = ["pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines]
    try:
        tree = ast.parse("\n".join(parsable))
    except SyntaxError:  # not plain Python: leave the cell as it is
        return source
    drop: set[int] = set()
    edits: dict[int, str] = {}

    def prune(body: list[ast.stmt]) -> None:
        """Drop the glue statements of ``body`` (a block keeps at least one statement)."""
        for stmt in body:
            if _is_glue(stmt):
                drop.update(range(stmt.lineno - 1, stmt.end_lineno))
            else:
                for block in ("body", "orelse", "finalbody"):
                    inner = getattr(stmt, block, None)
                    if isinstance(inner, list) and inner and not all(_is_glue(s) for s in inner):
                        prune(inner)

    prune(tree.body)
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "ptcourse.course.glue":
            keep = [a for a in stmt.names if a.name not in GLUE_CALLS]
            if not keep:
                drop.update(range(stmt.lineno - 1, stmt.end_lineno))
            elif len(keep) < len(stmt.names) and stmt.lineno == stmt.end_lineno:
                names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in keep)
                edits[stmt.lineno - 1] = f"from ptcourse.course.glue import {names}"
    if not drop and not edits:
        return source
    out = [edits.get(i, line) for i, line in enumerate(lines) if i not in drop]
    text = "\n".join(out).strip("\n")
    return text if text.strip() else ""
