r"""Checkers of chapter 8: the IPO loss (Azar et al., 2023, eq. 17), and ``prediction``, the one
checker of a predict-then-run answer (a number within a tolerance, or a choice; chapters 7 and 8).
Neither is in ``check.CHECKERS`` (the eleven function exercises of chapters 1-6).
"""

from __future__ import annotations

import math

import torch

from ._report import CheckFailed, CheckResult, pair_logps
from .harness import Check, checker

__all__ = ["ipo_loss", "prediction"]


def _ipo(pc_, pr, rc, rr, tau, *, target=None, flip=False):
    """The IPO loss and its slips: a wrong target, the margin the wrong way round."""
    h = (pc_ - rc) - (pr - rr)  # (P,)
    t = 1 / (2 * tau) if target is None else target
    return ((-h if flip else h) - t).square().mean()


@checker("IPO loss")
def ipo_loss(c: Check) -> None:
    r"""Check ``ipo_loss(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, tau=0.1)``.

    :math:`\mathcal{L} = \mathbb{E}\big[(h - \tfrac{1}{2\tau})^2\big],\quad
    h = (\log\pi - \log\pi_{ref})(y_c) - (\log\pi - \log\pi_{ref})(y_r)`

    >>> import ptcourse
    >>> ipo_loss(ptcourse.ipo_loss).passed  # the reference passes
    ✓ ipo_loss: correct -- all ... checks passed.
    True
    """
    pc_ = torch.tensor([-4.0, -6.0, -3.0])  # (P=3,)
    pr = torch.tensor([-5.0, -5.5, -7.0])
    rc = torch.tensor([-4.5, -6.0, -3.5])
    rr = torch.tensor([-4.8, -6.2, -6.0])
    args = (pc_, pr, rc, rr)
    where = pair_logps(*args)
    got = c.call(where, *args)
    c.scalar(got, where, "Average the per-pair squares to one number (.mean()).")
    c.expect(got, c.ref(*args), where + ", tau=0.1 (default)", mistakes=(
        (lambda: _ipo(*args, 0.1, target=1 / 0.1), "The target margin is 1/(2 tau), not 1/tau."),
        (lambda: _ipo(*args, 0.1, target=0.1 / 2), "The target margin is 1/(2 tau), not tau/2."),
        (lambda: _ipo(*args, 0.1, flip=True), "h is the chosen log-ratio minus the rejected one."),
        (lambda: -torch.nn.functional.logsigmoid(0.1 * ((pc_ - rc) - (pr - rr))).mean(),
         "That is the DPO loss; IPO squares the distance of the margin to 1/(2 tau)."),
    ))  # fmt: skip
    same = torch.tensor([-2.0, -7.0])
    c.case("all four log-probs equal to [-2, -7], tau=0.5 (margin 0, target 1)", (same,) * 4,
           {"tau": 0.5})  # fmt: skip
    c.case(where + ", tau=2.0", args, {"tau": 2.0},
           mistakes=((lambda: c.ref(*args), "You ignored the tau argument."),))  # fmt: skip
    for tau in (1.0, 0.37):  # off any list: chapter 8 itself uses tau = 1
        c.case(f"{where}, tau={tau}", args, {"tau": tau},
               hint=f"The target margin is 1/(2 tau) = {1 / (2 * tau):.4g} for tau={tau}: "
               "compute it from tau, for any tau.")  # fmt: skip
    c.gradient(where, args, {"tau": 0.5}, wrt=("policy_chosen_logp", "policy_rejected_logp"),
               frozen=("ref_chosen_logp", "ref_rejected_logp"))  # fmt: skip


#: The reasoning behind each predict-then-run exercise, shown only after a wrong prediction: it lives
#: here, not in the notebook's cell, so that reading the cell does not give the answer away.
WHY = {
    "kl_if_beta_doubles": "Doubling beta doubles the price of every nat of KL in the reward. By "
    "chapter 4's optimum pi* = pi_ref exp(r / beta) / Z, a larger beta keeps the policy closer to "
    "the reference, so the KL goes down, here by much more than half.",
    "ipo_margin_at_tau_1": "IPO's squared loss is smallest at the margin 1/(2 tau), whatever the "
    "labels: 0.5 for tau = 1.",
}


def prediction(answer, measured, *, why=None, tol=None, options=None, name=None) -> CheckResult:
    """Check a predict-then-run answer against what the run ``measured``.

    ``answer``, written *before* the run, is a function returning the prediction (its name names the
    check) or the value itself (``name`` names it); a stub (``...``, or NotImplementedError) is "not
    done". A number passes within ``tol`` of ``measured``, a choice among ``options`` when it is
    ``measured``. A wrong prediction fails with the run's value and ``why``, the reasoning that
    predicts it (default: ``WHY[name]``, so the cell need not show it): being wrong is allowed, the
    point is to find out why. A callable ``measured`` runs only after the prediction is read (never
    for a stub), so the prediction cannot read the run's result.

    >>> def my_prediction():
    ...     return 0.5
    >>> prediction(my_prediction, 0.52, tol=0.1, why="1/(2 tau)").passed
    ✓ my_prediction: correct -- the 1 check passed.
    True
    >>> prediction("down", "down", options=("up", "down"), name="kl", why="").passed
    ✓ kl: correct -- the 1 check passed.
    True
    """
    if (tol is None) == (options is None):
        raise ValueError("prediction: give exactly one of 'tol' (a number) and 'options' "
                         "(a choice)")  # fmt: skip
    name = name or getattr(answer, "__name__", None) or "prediction"
    why = WHY.get(name, "") if why is None else why
    try:
        guess = answer() if callable(answer) else answer
    except NotImplementedError:
        guess = ...
    if guess is ...:
        print(f"… {name}: not done yet -- set your prediction, then run this cell again (the run it "
              "predicts starts only then).")  # fmt: skip
        return CheckResult(name, "not done")
    # the run comes after the prediction is read, so the prediction cannot peek at its result
    measured = measured() if callable(measured) else measured
    label = f"prediction {name}"
    if options is not None:
        if measured not in options:
            raise ValueError(
                f"{name}: 'measured' must be one of {tuple(options)}, got {measured!r}"
            )
        if guess not in options:
            why_not = f"Predict one of {tuple(options)}."
            raise CheckFailed(name, f"your prediction is {guess!r}", why=why_not, label=label)
        if guess != measured:
            shows = f'you predicted "{guess}", but the run shows "{measured}"'
            raise CheckFailed(name, shows, why=why, label=label)
        passed = f'the run shows "{measured}"'
    else:
        if not (isinstance(tol, (int, float)) and tol > 0 and math.isfinite(measured)):
            bad = f"got {tol}, {measured}"
            raise ValueError(f"prediction: 'tol' must be > 0 and 'measured' finite, {bad}")
        if (
            isinstance(guess, bool)
            or not isinstance(guess, (int, float))
            or not math.isfinite(guess)
        ):
            why_not = "Return one finite number."
            raise CheckFailed(name, f"your prediction is {guess!r}", why=why_not, label=label)
        if abs(guess - measured) > tol:
            raise CheckFailed(name, f"your prediction {guess:.3g} is off", got=f"{guess:.3g}",
                              want=f"{measured:.3g} (within {tol:g})", of="your prediction",
                              why=why, label=label)  # fmt: skip
        passed = f"within {tol:g} of the run's {measured:.3g}"
    result = CheckResult(name, "passed", [passed])
    print(result)
    return result
    if not (isinstance(tol, (int, float)) and tol > 0 and math.isfinite(measured)):
        raise ValueError(
            f"prediction: 'tol' must be > 0 and 'measured' finite, got {tol}, {measured}"
        )
    if isinstance(guess, bool) or not isinstance(guess, (int, float)) or not math.isfinite(guess):
        raise CheckFailed(
            name, f"your prediction is {guess!r}", why="Return one finite number.", label=label
        )
    if abs(guess - measured) > tol:
        raise CheckFailed(
            name,
            f"your prediction {guess:.3g} is off",
            got=f"{guess:.3g}",
            want=f"{measured:.3g} (within {tol:g})",
            of="your prediction",
            why=why,
            label=label,
        )
    result = CheckResult(name, "passed", [f"within {tol:g} of the run's {measured:.3g}"])
    print(result)
    return result
