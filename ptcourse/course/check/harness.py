"""The harness every checker runs in: call the learner's function safely, compare, diagnose.

:class:`Check` calls the learner's function on the checker's small tensors and names every way it
goes wrong in a :class:`~._report.CheckFailed`: it never returns (stopped after ``TIMEOUT_S``
seconds); it raises (the learner's own line is shown; ``NotImplementedError``, the stub, means "not
done yet"); it changes an argument in place; it returns no real floating-point tensor on the inputs'
device; its value differs from the reference (a known mistake is named). :mod:`._probes` adds the
"must raise", gradient and speed checks.

``PTCOURSE_CHECK_REQUIRE_DONE=1`` makes "not done yet" an error (instructor notebooks, every
exercise solved); ``PTCOURSE_CHECK_STUBS_ONLY=1`` makes a passing exercise one (student notebooks,
every exercise a stub, run by ``make notebooks`` under nbval).
"""

from __future__ import annotations

import functools
import inspect
import os
import random
import sys
from collections.abc import Callable, Sequence

import torch

import ptcourse

from . import _guard
from ._common import H, close, redraw
from ._guard import TIMEOUT_S, NotDone
from ._probes import Probes
from ._report import CheckFailed, CheckResult, fmt, pair

__all__ = ["TIMEOUT_S", "Check", "CheckResult", "Mistake", "NotDone", "close", "run"]

REQUIRE_DONE = "PTCOURSE_CHECK_REQUIRE_DONE"  # "1": a stub ("not done yet") raises CheckFailed
STUBS_ONLY = "PTCOURSE_CHECK_STUBS_ONLY"  # "1": a finished exercise raises CheckFailed

Mistake = tuple[Callable[[], torch.Tensor], str]

# name -> ptcourse's own function, as it was when first checked (not getattr: that would import
# the lazy course modules)
_REFS: dict[str, Callable] = {
    name: fn for name in ptcourse.__all__ if inspect.isfunction(fn := vars(ptcourse).get(name))
}


def reference(name: str) -> Callable:
    """ptcourse's function ``name``, bound privately the first time: a learner's
    ``ptcourse.entropy = my_entropy`` must not become the reference the checker compares with."""
    if name not in _REFS:
        _REFS[name] = getattr(ptcourse, name)
    return _REFS[name]


GRAD_OFF = (
    "gradients are disabled where this check runs (inside torch.no_grad(), torch.inference_mode() "
    "or after torch.set_grad_enabled(False))"
)
_WHYS = {  # a phrase of torch's error message -> the diagnosis
    "Dimension out of range": "Wrong dimension: this input has fewer dimensions than your code "
    "assumes. The vocabulary is the LAST dimension (dim=-1), whatever the number of dimensions.",
    "Expected target size": "F.cross_entropy (and F.nll_loss) take the classes in dim 1: for (B, "
    "T, V) logits flatten to (B*T, V) logits and (B*T,) targets, or pass logits.transpose(1, 2).",
    "Boolean value of Tensor": "`if x:` (or `and`, `or`, `not`) on a tensor of several numbers has "
    "no single truth value: choose elementwise with torch.where(condition, a, b), or reduce first "
    "with .any() / .all().",
}


def _why(err: Exception, hint: str) -> str:
    """The diagnosis of an error raised by the learner's code."""
    text = str(err)
    for phrase, why in _WHYS.items():
        if phrase in text:
            return why
    if isinstance(err, NameError):
        name = getattr(err, "name", None) or text.split("'")[1] if "'" in text else ""
        usual = {"F": "import torch.nn.functional as F", "torch": "import torch",
                 "math": "import math", "np": "import numpy as np"}  # fmt: skip
        if name in usual:
            return f"`{name}` is not defined in your notebook: run `{usual[name]}` first."
        return (f"`{name}` is not defined where your function runs: define or import it in the "
                "notebook (a variable from another cell must have been run first).")  # fmt: skip
    if "in-place operation" in text:
        return ("Your function changes an argument in place (x.clamp_(...), x[...] = ...): compute "
                "on new tensors instead, so the caller's data stays as it was.")  # fmt: skip
    return hint or "The error is in your function, on the line shown."


def _unchanged(a: torch.Tensor, saved: torch.Tensor) -> bool:
    if a.shape != saved.shape or a.dtype != saved.dtype:
        return False
    both_nan = torch.isnan(a) & torch.isnan(saved) if a.is_floating_point() else False
    return bool(((a == saved) | both_nan).all())


class _Trap:
    """Stands in for ptcourse.<name> while the learner's function runs: calling it is noted."""

    def __init__(self, name: str):
        self.name, self.called = name, False

    def __call__(self, *args, **kwargs):
        self.called = True
        raise RuntimeError(f"ptcourse.{self.name} is the answer itself: write it yourself")


def _watched(name: str) -> list[tuple[object, str]]:
    """The (object, attribute) pairs the checker relies on, which the learner's code must not change."""
    from . import _common, _probes

    here = sys.modules[__name__]
    tools = [(torch, n) for n in ("isclose", "allclose", "equal", "isnan", "isinf", "isfinite",
                                   "where", "autograd")]  # fmt: skip
    tools += [(torch.Tensor, n) for n in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__",
                                          "__ge__", "double", "detach", "all", "any", "clone")]  # fmt: skip
    tools += [(torch.autograd, "grad"), (_common, "close"), (here, "close"), (_probes, "close")]
    return [*tools, (ptcourse, name)]


class Check(Probes):
    """One checker's run: ``name`` is the exercise (and the ptcourse reference function)."""

    def __init__(self, name: str, fn: Callable, quantity: str, seed: int | None = None):
        if not callable(fn):
            raise TypeError(f"check.{name} takes your function itself, e.g. check.{name}({name}); "
                            f"got {type(fn).__name__}")  # fmt: skip
        self.name, self.fn, self.quantity = name, fn, quantity
        self.ref = reference(name)
        self.params = list(inspect.signature(self.ref).parameters)
        self.checks: list[str] = []
        self.hints: list[str] = []
        self.seed = seed  # of the fresh draws (None: a new one each run)
        self.cases: list[tuple[str, Sequence, dict, dict]] = []  # value cases, redrawn by fresh()

    def fail(self, headline: str, where: str = "", **fields) -> CheckFailed:
        err = CheckFailed(self.name, headline, where, **fields)
        err.result.checks = list(self.checks)
        return err

    def are(self, what: str) -> str:
        """'is' or 'are' for a quantity: "your advantages are", "your KL is"."""
        return "are" if what.endswith(("ies", "ages", "ates")) else "is"

    def call(self, where: str, *args, hint: str = "", **kwargs) -> torch.Tensor:
        """Run the learner's function on the checker's tensors; return a real float tensor."""
        names = self.params[: len(args)] + list(kwargs)
        values = list(args) + list(kwargs.values())
        saved = [(n, v, v.detach().clone()) for n, v in zip(names, values, strict=True)
                 if isinstance(v, torch.Tensor)]  # fmt: skip
        try:
            out = self.invoke(*args, **kwargs)
        except NotImplementedError:
            raise NotDone from None
        except _guard.TimedOut:
            late = f"your {self.name} did not return within {_guard.TIMEOUT_S:g} seconds"
            raise self.fail(late, where, why="It was stopped (the time counted is its own run, "
                            "not first-time imports). Look for a loop that never ends (a `while` "
                            "whose condition never changes); the checker's inputs are tiny, so a "
                            "right answer takes milliseconds.") from None  # fmt: skip
        except CheckFailed:
            raise
        except Exception as err:
            raised = f"your {self.name} raised {type(err).__name__}: {err}"
            raise self.fail(
                raised, where, code=_guard.learner_line(err), why=_why(err, hint)
            ) from err
        for n, v, copy in saved:
            if not _unchanged(v, copy):
                raise self.fail(f"your {self.name} changed its argument `{n}` in place", where,
                                why=f"The caller's `{n}` is now wrong. Compute on new tensors "
                                "instead (x - m, not x.sub_(m); torch.where(...), not x[...] = "
                                "...; x.clamp(...), not x.clamp_(...)).")  # fmt: skip
        return self._real(out, where, args)

    def invoke(self, *args, **kwargs):
        """Call the learner's function under the deadline, with ptcourse's own function of the same
        name swapped for a trap, and check that it left the checker's tools as they were."""
        watched = _watched(self.name)
        before = [getattr(obj, attr) for obj, attr in watched]
        trap = _Trap(self.name)
        setattr(ptcourse, self.name, trap)
        try:
            with _guard.deadline():
                return self.fn(*args, **kwargs)
        finally:
            changed = []
            for (obj, attr), was in zip(watched, before, strict=True):
                if getattr(obj, attr) is not was and attr != self.name:
                    changed.append(f"{getattr(obj, '__name__', type(obj).__name__)}.{attr}")
                setattr(obj, attr, was)
            if trap.called:
                raise self.fail(f"your {self.name} calls ptcourse.{self.name}, the function the "
                                "exercise asks you to write", why="Calling the package's own "
                                "version passes nothing: write it from torch operations (the "
                                "statement names the ones you need).") from None  # fmt: skip
            if changed:
                uses = f"your {self.name} changed {', '.join(changed)}, which the checker uses"
                leave = "A solution computes its result and leaves everything else as it was"
                raise self.fail(uses, why=f"{leave} (the checker has put it back).") from None

    def _real(self, out, where: str, args: Sequence) -> torch.Tensor:
        if isinstance(out, torch.Tensor) and type(out) is not torch.Tensor:
            # a subclass may override comparisons; judge the plain tensor underneath
            with torch._C.DisableTorchFunctionSubclass():
                out = torch.Tensor.as_subclass(out, torch.Tensor)
        if not isinstance(out, torch.Tensor):
            raise self.fail(f"your {self.name} returned a {type(out).__name__}, not a torch tensor",
                            where, got=fmt(out), why="Return the tensor itself: .item(), float(), "
                            ".tolist() and .numpy() leave torch, and a value outside torch carries "
                            "no gradient, so a loss built on it cannot train.")  # fmt: skip
        device = next((a.device for a in args if isinstance(a, torch.Tensor)), out.device)
        if out.is_complex() or not out.is_floating_point() or out.device != device:
            raise self.fail(f"your {self.name} returned a {out.dtype} tensor on {out.device}",
                            where, why=f"Expected a real floating-point tensor on {device}, where "
                            "the inputs are.")  # fmt: skip
        return out

    def require(self, label: str, ok: bool, headline: str, where: str = "", **fields) -> None:
        """A property: record it, and fail with ``headline`` when it does not hold."""
        if not ok:
            raise self.fail(headline, where, **fields)
        self.checks.append(label)

    def expect(self, got, want, where: str, *, what=None, mistakes: Sequence[Mistake] = (),
               nan_hint="", inf_hint="", shape_hint="", hint="", tol=(1e-5, 1e-4)):  # fmt: skip
        """Values: ``got`` must match the reference ``want`` (to ``tol``: absolute, relative); a known
        mistake is named when not, else the first of: NaN, infinite, wrong."""
        what = what or self.quantity
        your = f"your {what} {self.are(what)}"
        want, got = want.detach().double(), got.detach().double()
        if got.shape != want.shape:
            raise self.fail(f"{your} of shape {tuple(got.shape)}, expected {tuple(want.shape)}",
                            where, why=shape_hint)  # fmt: skip
        if close(got, want, *tol):
            self.checks.append(f"value: {where}")
            return
        g, w = pair(got, want)
        for mistaken, why in mistakes:
            try:
                m = mistaken().detach().double()
            except Exception:  # a mistake that cannot even be computed here is not the one made
                continue
            if close(got, m) and not close(m, want):
                raise self.fail(f"{your} wrong", where, got=g, want=w, why=why)
        if (torch.isnan(got) & ~torch.isnan(want)).any():
            why = nan_hint or "Nothing should be NaN here."
            raise self.fail(f"{your} NaN", where, got=g, want=w, why=why)
        if (torch.isinf(got) & torch.isfinite(want)).any():
            why = inf_hint or "The right answer is finite."
            raise self.fail(f"{your} infinite", where, got=g, want=w, why=why)
        does = "do" if self.are(what) == "are" else "does"
        why = hint or f"The {what} {does} not match the reference."
        raise self.fail(f"{your} wrong", where, got=g, want=w, why=why)

    def scalar(self, got, where: str, why: str, what: str | None = None) -> None:
        """A loss is one number."""
        shape = f"your {what or self.quantity} is of shape {tuple(got.shape)}"
        self.require("a scalar", got.dim() == 0, shape, where, why=why)

    def never_negative(self, got, where: str, why: str, want=None, what=None) -> None:
        """A loss that is a mean of -log p (or of -log sigmoid) is never below 0."""
        want = None if want is None else fmt(want)
        negative = f"your {what or self.quantity} is negative"
        self.require("never negative", not float(got) < 0, negative, where, got=fmt(got), want=want,
                     why=why)  # fmt: skip

    def shapes(self, where: str, args: Sequence, what: str | None = None) -> None:
        """A value case whose inputs have another number of leading dimensions."""
        self.case(where, args, what=what, call_hint=H.SHAPES, shape_hint=H.SHAPES, hint=H.SHAPES)

    def case(self, where: str, args: Sequence, kwargs: dict | None = None, **expect):
        """Call the learner's function and compare with the reference on the same inputs."""
        kwargs = kwargs or {}
        hint = expect.pop("call_hint", "")
        got = self.call(where, *args, hint=hint, **kwargs)
        want = expect.pop("want", None)
        if want is None:
            want = self.ref(*args, **kwargs)
            keep = {k: v for k, v in expect.items() if k in ("what", "nan_hint", "inf_hint")}
            self.cases.append((where, args, kwargs, keep))
        self.expect(got, want, where, **expect)
        return got

    def fresh(self) -> None:
        """Every value case again on values redrawn by :func:`._common.redraw` (a fixed probe set is
        blind where its values never go); the seed is new each run unless the checker was given
        one, and a failure names it, so the learner can reproduce it."""
        seed = self.seed if self.seed is not None else random.SystemRandom().randrange(100_000)
        g = torch.Generator().manual_seed(seed)
        for where, args, kwargs, expect in self.cases:
            a = [redraw(x, g) for x in args]
            k = {n: redraw(v, g) for n, v in kwargs.items()}
            try:
                want = self.ref(*a, **k)
            except Exception:  # noqa: BLE001 -- a draw outside the statement's domain is no probe
                continue
            here = (f"{where}, its values redrawn with seed={seed} (the same check again: "
                    f"check.{self.name}({self.name}, seed={seed}))")  # fmt: skip
            got = self.call(here, *a, **k)
            # 10x looser than the fixed cases: random rows near a one-hot put float32 rounding of
            # right answers (an entropy of 8e-4 nats summed in another order) above 1e-5
            self.expect(got, want, here, hint="Your function is right on the fixed inputs above "
                        "but not on these values: print both and compare.", tol=(1e-4, 1e-3),
                        **expect)  # fmt: skip
        if self.cases:
            self.checks.append(f"fresh values, seed={seed}")


def checker(quantity: str) -> Callable:
    """Make ``body(c)``, the probes of the exercise it is named after, into that exercise's checker
    ``name(fn, *, seed=None)``, which runs them through :func:`run`."""

    def make(body: Callable[[Check], None]) -> Callable[..., CheckResult]:
        def check(fn: Callable, *, seed: int | None = None) -> CheckResult:
            return run(body.__name__, fn, quantity, body, seed)

        functools.update_wrapper(check, body, ("__module__", "__name__", "__qualname__", "__doc__"))
        del check.__wrapped__  # its signature is (fn, *, seed), not the body's
        return check

    return make


def run(
    name: str, fn: Callable, quantity: str, body: Callable[[Check], None], seed: int | None = None
) -> CheckResult:
    """Run ``body``, then its value cases on fresh values (:meth:`Check.fresh`, from ``seed``), print
    the outcome and return it; a wrong answer raises :class:`CheckFailed`."""
    c = Check(name, fn, quantity, seed)
    if not torch.is_grad_enabled() or torch.is_inference_mode_enabled():
        raise CheckFailed(name, GRAD_OFF, why=f"Your {name} was not judged: the check takes a "
                          "backward pass through it, and with gradients off nothing has one. Run "
                          "the check outside that block (or call torch.set_grad_enabled(True) "
                          "first).")  # fmt: skip
    try:
        body(c)
        c.fresh()
    except NotDone:
        return _report(CheckResult(name, "not done", list(c.checks)), REQUIRE_DONE,
                       "not done yet, but this run needs every exercise solved")  # fmt: skip
    return _report(
        CheckResult(name, "passed", list(c.checks), hints=list(c.hints)), STUBS_ONLY,
        "this exercise holds a finished answer, but in a student notebook it is still a stub",
    )  # fmt: skip


def _report(result: CheckResult, refuse_when: str, headline: str) -> CheckResult:
    """Print ``result``; raise CheckFailed(``headline``) instead when the variable ``refuse_when`` is 1."""
    print(result)
    if os.environ.get(refuse_when) == "1":
        raise CheckFailed(result.name, headline, why=f"({refuse_when}=1)") from None
    return result
