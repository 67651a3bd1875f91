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

__all__ = ["STUB", "SolutionCellError", "stub_source"]

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
