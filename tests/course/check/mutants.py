"""Mechanical mutants of the book's reference solutions, for the test of the checkers (test_mutations).

Each operator rewrites one spot of a solution's syntax tree, the slips a learner makes by hand:
swap two arguments, drop the max (the stabilising shift), change an axis, change a reduction, flip a
sign, drop the mask, detach. ``mutants(source)`` yields ``(label, source)`` for every spot where an
operator applies. Whether a mutant is *equivalent* (the same function on every valid input) is decided
by running it, not here.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator

_REDUCTIONS = {"sum": "mean", "mean": "sum", "amax": "amin", "max": "min", "logsumexp": "sum"}
_MAXES = {"max", "amax", "logsumexp"}


def _is_maxlike(node: ast.AST) -> bool:
    """An expression that computes a maximum (``x.max(-1, keepdim=True).values``, ``x.amax(...)``, ...)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            name = (
                f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            )
            if name in _MAXES:
                return True
    return False


def _mentions(node: ast.AST, word: str) -> bool:
    return any(isinstance(s, ast.Name) and word in s.id.lower() for s in ast.walk(node))


class _Site:
    """One mutation: an operator name and a function that rewrites a node in place."""

    def __init__(self, label: str, path: tuple, rewrite):
        self.label, self.path, self.rewrite = label, path, rewrite


def _sites(tree: ast.AST) -> list[_Site]:
    sites: list[_Site] = []
    index = {id(n): i for i, n in enumerate(ast.walk(tree))}

    def add(label, node, rewrite):
        sites.append(
            _Site(f"{label} (line {getattr(node, 'lineno', '?')})", index[id(node)], rewrite)
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            if len([a for a in node.args if not isinstance(a, ast.Starred)]) >= 2:
                add(
                    "swap arguments",
                    node,
                    lambda n: n.args.__setitem__(slice(0, 2), [n.args[1], n.args[0]]),
                )
            if name in _REDUCTIONS:
                add(
                    f"{name} -> {_REDUCTIONS[name]}",
                    node,
                    lambda n: (
                        setattr(n.func, "attr", _REDUCTIONS[n.func.attr])
                        if isinstance(n.func, ast.Attribute)
                        else setattr(n.func, "id", _REDUCTIONS[n.func.id])
                    ),
                )
            for kw in node.keywords:
                if kw.arg == "dim" and isinstance(kw.value, (ast.Constant, ast.UnaryOp)):
                    add(
                        "change the axis",
                        node,
                        lambda n: [
                            setattr(k, "value", ast.Constant(0))
                            for k in n.keywords
                            if k.arg == "dim"
                        ],
                    )
                if kw.arg == "keepdim":
                    add(
                        "drop keepdim",
                        node,
                        lambda n: setattr(
                            n, "keywords", [k for k in n.keywords if k.arg != "keepdim"]
                        ),
                    )
            if (
                name
                in {
                    "sum",
                    "mean",
                    "softmax",
                    "log_softmax",
                    "logsumexp",
                    "amax",
                    "max",
                    "cumsum",
                    "std",
                    "var",
                }
                and node.args
                and isinstance(node.args[-1], (ast.Constant, ast.UnaryOp))
                and isinstance(node.func, ast.Attribute)
                and len(node.args) == 1
            ):
                add("change the axis", node, lambda n: n.args.__setitem__(0, ast.Constant(0)))
            if name == "log_softmax":
                add("log_softmax -> log(softmax)", node, _unstable_log_softmax)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Sub):
                add("flip a sign (- -> +)", node, lambda n: setattr(n, "op", ast.Add()))
                if _is_maxlike(node.right):
                    add("drop the max", node, lambda n: _replace_with(n, n.left))
            elif isinstance(node.op, ast.Add):
                add("flip a sign (+ -> -)", node, lambda n: setattr(n, "op", ast.Sub()))
            elif isinstance(node.op, ast.Mult):
                for side, other in (("right", "left"), ("left", "right")):
                    if _mentions(getattr(node, side), "mask") or _mentions(
                        getattr(node, side), "keep"
                    ):
                        add(
                            "drop the mask",
                            node,
                            lambda n, o=other: _replace_with(n, getattr(n, o)),
                        )
            elif isinstance(node.op, ast.Div):
                add("drop a division", node, lambda n: _replace_with(n, n.left))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            add("flip a sign (drop a minus)", node, lambda n: _replace_with(n, n.operand))
        if isinstance(node, ast.Return) and node.value is not None:
            add(
                "detach the result",
                node,
                lambda n: setattr(
                    n, "value", ast.Call(ast.Attribute(n.value, "detach", ast.Load()), [], [])
                ),
            )
    return sites


def _unstable_log_softmax(node: ast.Call) -> None:
    """``torch.log_softmax(x, dim)`` -> ``torch.log(torch.softmax(x, dim))`` (underflows to -inf)."""
    inner = ast.Call(
        ast.Attribute(ast.Name("torch", ast.Load()), "softmax", ast.Load()),
        node.args,
        node.keywords,
    )
    if isinstance(node.func, ast.Attribute) and not (
        isinstance(node.func.value, ast.Name) and node.func.value.id in {"torch", "F"}
    ):
        inner = ast.Call(
            ast.Attribute(node.func.value, "softmax", ast.Load()), node.args, node.keywords
        )
    _replace_with(
        node, ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "log", ast.Load()), [inner], [])
    )


def _replace_with(node: ast.AST, other: ast.AST) -> None:
    """Turn ``node`` into a copy of ``other`` in place (its parent keeps pointing at ``node``)."""
    other = copy.deepcopy(other)
    node.__class__ = other.__class__
    node.__dict__.clear()
    node.__dict__.update(other.__dict__)


def mutants(source: str) -> Iterator[tuple[str, str]]:
    """Every single-spot mutant of ``source``: ``(what was changed, the mutant's source)``."""
    n_sites = len(_sites(ast.parse(source)))
    for i in range(n_sites):
        tree = ast.parse(source)
        site = _sites(tree)[i]
        node = list(ast.walk(tree))[site.path]
        site.rewrite(node)
        ast.fix_missing_locations(tree)
        try:
            yield site.label, ast.unparse(tree)
        except Exception:  # a rewrite that leaves no valid program is not a mutant
            continue
