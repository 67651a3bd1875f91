"""A test of the tests: mechanical mutants of every reference solution must be rejected by its checker.

Each book solution (test_book_solutions) is mutated one spot at a time (``mutants.py``: swap two
arguments, change an axis, change a reduction, flip a sign, drop a division or the mask, detach the
result, log_softmax -> log(softmax)). A mutant that computes the same function as the solution on
every input tried (the checker's own inputs, recorded while it checks the solution, three fresh
draws of each with the same shapes, dtypes and -inf positions, and each with its unbounded values
times 100) is *equivalent* and does not count. Every
other mutant must be rejected. The kill rate is reported in README ("What the checkers catch").
"""

from __future__ import annotations

import contextlib
import functools
import io

import pytest
import torch
from mutants import mutants
from test_book_solutions import solutions

from ptcourse import check

_DRAWS = 3
# Functions whose gradient is not part of the exercise: advantages are constants of the loss (every
# trainer computes them from rewards under no_grad), so a detached result is not a mistake there.
_NO_GRADIENT = {"grpo_advantages"}


def _clone(x):
    if isinstance(x, torch.Tensor):
        return x.detach().clone()
    if isinstance(x, (list, tuple)):
        return type(x)(_clone(v) for v in x)
    if isinstance(x, dict):
        return {k: _clone(v) for k, v in x.items()}
    return x


def _define(name: str, source: str):
    scope = {"torch": torch, "F": torch.nn.functional}
    exec(compile(source, f"<{name}>", "exec"), scope)
    return scope[name]


def _quiet_check(name, fn):
    """Run the checker; True when it accepts ``fn``."""
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            return bool(check.CHECKERS[name](fn).passed)
        except AssertionError:
            return False


def _recorded_inputs(name, fn):
    calls = []

    @functools.wraps(fn)
    def spy(*args, **kwargs):
        calls.append((_clone(args), _clone(kwargs)))
        return fn(*args, **kwargs)

    assert _quiet_check(name, spy), f"the book's {name} fails its own checker"
    return calls


def _scaled(x):
    """``x`` with its unbounded float entries times 100: rows at very different scales (overflow)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.numel() == 0:
        return x
    finite = torch.isfinite(x)
    vals = x[finite]
    if vals.numel() == 0 or (vals.min() >= 0 and vals.max() <= 1):
        return x.clone()  # probabilities and masks stay what they are
    return torch.where(finite, x * 100, x)


def _redraw(x, g):
    """A fresh tensor like ``x``: same shape, dtype and non-finite entries, values of its kind."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.numel() == 0:
        return x
    finite = torch.isfinite(x)
    vals = x[finite].double()
    if vals.numel() == 0:
        return x.clone()
    lo, hi = vals.min().item(), vals.max().item()
    if 0.0 <= lo and hi <= 1.0:
        if ((vals == 0) | (vals == 1)).all():
            return x.clone()  # a 0/1 mask: keep it
        new = torch.rand(x.shape, generator=g, dtype=torch.float64)
    else:
        new = (
            torch.randn(x.shape, generator=g, dtype=torch.float64)
            * max(vals.std().item() if vals.numel() > 1 else 1.0, 1e-3)
            + vals.mean().item()
        )
        if hi <= 0:
            new = -new.abs()
    return torch.where(finite, new.to(x.dtype), x)


def _outcome(fn, args, kwargs, grad=True):
    """What ``fn`` does on the inputs: ('raise', type) or ('value', out, grads)."""
    args, kwargs = _clone(args), _clone(kwargs)
    leaves = [
        a
        for a in args
        if isinstance(a, torch.Tensor)
        and a.is_floating_point()
        and a.dtype in (torch.float32, torch.float64)
        and grad
    ]
    for a in leaves:
        a.requires_grad_(True)
    try:
        out = fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 -- the type of a raise is part of the behaviour
        return ("raise", type(err).__name__)
    if not isinstance(out, torch.Tensor):
        return ("value", out, None)
    grads = None
    if out.requires_grad and out.is_floating_point():
        w = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).view(out.shape)
        grads = torch.autograd.grad((torch.nan_to_num(out) * w).sum(), leaves, allow_unused=True)
    return ("value", out.detach(), grads)


def _same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raise":
        return a[1] == b[1]
    x, y = a[1], b[1]
    if isinstance(x, torch.Tensor) != isinstance(y, torch.Tensor):
        return False
    if not isinstance(x, torch.Tensor):
        return x == y
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    if not torch.allclose(x.double(), y.double(), rtol=1e-4, atol=1e-5, equal_nan=True):
        return False
    ga, gb = a[2], b[2]
    if (ga is None) != (gb is None):
        return False
    for u, v in zip(ga or (), gb or (), strict=False):
        if (u is None) != (v is None):
            return False
        if u is not None and not torch.allclose(
            u.double(), v.double(), rtol=1e-4, atol=1e-5, equal_nan=True
        ):
            return False
    return True


def _differs(solution, mutant, calls, grad=True) -> bool:
    """Whether the mutant computes something else than the solution on some input tried."""
    g = torch.Generator().manual_seed(0)
    for args, kwargs in calls:
        variants = (
            [(args, kwargs)]
            + [
                (tuple(_redraw(a, g) for a in args), {k: _redraw(v, g) for k, v in kwargs.items()})
                for _ in range(_DRAWS)
            ]
            + [(tuple(_scaled(a) for a in args), {k: _scaled(v) for k, v in kwargs.items()})]
        )
        for a, k in variants:
            if not _same(_outcome(solution, a, k, grad), _outcome(mutant, a, k, grad)):
                return True
    return False


def _survivors(name):
    source = solutions()[name]
    solution = _define(name, source)
    calls = _recorded_inputs(name, solution)
    killed, equivalent, survived = [], [], []
    for label, mutant_source in mutants(source):
        try:
            mutant = _define(name, mutant_source)
        except Exception:  # noqa: BLE001 -- a mutant that does not compile is no test of the checker
            continue
        with torch.random.fork_rng():
            differs = _differs(solution, mutant, calls, grad=name not in _NO_GRADIENT)
        if not differs:
            equivalent.append(label)
        elif _quiet_check(name, mutant):
            survived.append((label, mutant_source))
        else:
            killed.append(label)
    return killed, equivalent, survived


@pytest.mark.parametrize("name", sorted(check.CHECKERS))
def test_every_mutant_that_changes_the_function_is_rejected(name):
    killed, equivalent, survived = _survivors(name)
    detail = "\n\n".join(f"--- {label}\n{src}" for label, src in survived)
    assert not survived, f"{len(survived)} mutant(s) of {name} pass its checker:\n{detail}"
    assert killed, f"no mutant of {name} was tried: the mutation step is not running"
