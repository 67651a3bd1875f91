"""The checks beyond values: a "must raise", the backward pass, and the speed of a right answer
(:class:`Probes`, mixed into :class:`~ptcourse.course.check.harness.Check`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from . import _guard
from ._common import close
from ._guard import NotDone
from ._report import CheckFailed, pair

SLOW_FACTOR = 50  # a right answer this many times slower than the reference gets a hint
_SLOW_FLOOR_S = 0.005  # below this a learner's run is too quick to call slow, whatever the ratio


class Probes:
    """Must-raise, gradient and speed checks (a mixin of ``Check``)."""

    def raises(self, label, where, args: Sequence, kwargs: dict, error, mentions: str, bad: str):
        """A "must raise": calling with the bad argument ``bad`` raises ``error`` naming ``mentions``."""
        try:
            self.invoke(*args, **kwargs)
        except NotImplementedError:
            raise NotDone from None
        except CheckFailed:
            raise
        except error as err:
            if mentions in str(err):
                self.checks.append(label)
                return
            unnamed = f"your {self.name}'s {error.__name__} does not name `{mentions}`"
            example = f'f"{mentions} must be ..., got {{{mentions}!r}}"'
            why = f"The message was {str(err)!r}; say which argument is wrong, e.g. {example}."
            raise self.fail(unnamed, where, why=why) from None
        except Exception as err:
            raised = f"your {self.name} raised {type(err).__name__}, not {error.__name__}"
            raise self.fail(raised, where, code=_guard.learner_line(err),
                            why=f"The exercise says: {label}.") from None  # fmt: skip
        except _guard.TimedOut:
            timed_out = f"your {self.name} did not return within {_guard.TIMEOUT_S:g} seconds"
            raise self.fail(timed_out, where) from None
        accepted = f"your {self.name} accepted {bad} instead of raising {error.__name__}"
        raise self.fail(accepted, where, why=f"The exercise says: {label}.")

    def gradient(self, where, args, kwargs=None, *, wrt, frozen=(), what=None, nan_hint=""):
        """Backward pass: the gradient w.r.t. ``wrt`` matches the reference's; ``frozen`` gets none."""
        kwargs, what = kwargs or {}, what or self.quantity

        def leaves():
            xs = [a.detach().clone() if isinstance(a, torch.Tensor) else a for a in args]
            idx = [self.params.index(n) for n in (*wrt, *frozen)]
            for i in idx:
                xs[i].requires_grad_(True)
            return xs, [xs[i] for i in idx]

        mine, mine_in = leaves()
        out = self.call(where, *mine, **kwargs)
        if out.grad_fn is None:
            raise self.fail(
                f"your {what} carries no gradient",
                where + " (inputs that require grad)",
                why="A loss must stay one differentiable torch expression: .detach(), .item(), "
                "float(), .numpy() or torch.tensor(...) cut the graph, and a loss without a graph "
                "cannot train (loss.backward() fails).",
            )
        weight = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
        grads = torch.autograd.grad((out * weight).sum(), mine_in, allow_unused=True)
        for n, g in zip(frozen, grads[len(wrt) :], strict=True):
            self.require(f"no gradient into {n}", g is None or not bool(g.any()),
                         f"your {self.name} sends gradient into `{n}`", where, why=f"`{n}` is a "
                         f"constant of this loss: detach it ({n}.detach()), or the update moves "
                         "what should stay fixed.")  # fmt: skip
        theirs, theirs_in = leaves()
        ref_out = self.ref(*theirs, **kwargs)
        ref_loss = (ref_out * weight.to(ref_out.dtype)).sum()
        ref_grads = torch.autograd.grad(ref_loss, theirs_in[: len(wrt)])
        for n, g, rg in zip(wrt, grads, ref_grads, strict=False):
            if g is None:
                raise self.fail(f"your {what} carries no gradient to `{n}`", where,
                                why=f"Something cut the graph between `{n}` and the result "
                                "(.detach(), .item(), indexing through Python "
                                "numbers).")  # fmt: skip
            if not close(g, rg, atol=1e-4, rtol=1e-3):
                gs, ws = pair(g, rg)
                nan = bool(torch.isnan(g).any())
                raise self.fail(
                    f"your {what} {self.are(what)} right, but its gradient with respect to `{n}` "
                    + ("is NaN" if nan else "is wrong"),
                    where, got=gs, want=ws, of="the gradient",
                    why=(nan_hint if nan else "") or "Compute it with differentiable torch "
                    "operations from the inputs themselves.",
                )  # fmt: skip
        self.checks.append(f"gradient: {where}")

    def speed(self, where: str, args: Sequence, kwargs: dict | None = None) -> None:
        """A hint (never a failure) when a right answer is much slower than the reference."""
        kwargs = kwargs or {}

        def once(f):
            t0 = time.perf_counter()
            with _guard.deadline():  # nested in invoke's own deadline for the learner's function
                f(*args, **kwargs)
            return time.perf_counter() - t0

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # one thread: fairer to both, and steadier on a busy machine
        try:
            runs = [(once(self.invoke), once(self.ref)) for _ in range(5)]  # interleaved
        except (Exception, _guard.TimedOut):
            return  # the value checks have passed; timing is only advice
        finally:
            torch.set_num_threads(threads)
        mine, ref = min(m for m, _ in runs), min(r for _, r in runs)
        if mine > max(SLOW_FACTOR * ref, _SLOW_FLOOR_S):
            self.hints.append(f"your {self.name} is right but took {mine / ref:.0f}x as long as "
                              f"ptcourse.{self.name} on {where}: a Python loop over positions or "
                              "over the vocabulary is slow; use whole-tensor operations (over "
                              "dim=-1).")  # fmt: skip
