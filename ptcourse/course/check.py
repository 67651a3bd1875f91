"""Exercise checkers: one per exercise, named after the function the learner writes.

Each checker takes the learner's function (same signature as the ptcourse function of that name) and
tests it against ptcourse's reference on small, fixed, seeded inputs:

* values against the reference (and, where one exists, against ``torch.nn.functional``);
* properties (KL >= 0, KL(p||p) = 0, 0 <= H <= log V, log-probs <= 0, normalisation, ...);
* the edge cases learners get wrong: -inf logits and zero probabilities, masks, the wrong dimension,
  swapped arguments, bits instead of nats, the causal shift, per-sequence vs per-token averages,
  population vs Bessel std, overflow on large logits.

Outcomes:

* right answer -> prints one short success line and returns ``None``;
* the function still raises ``NotImplementedError`` (the student stub) -> prints "not done yet" and
  returns ``None``, so a student notebook runs end to end;
* wrong answer -> ``AssertionError`` whose message names the property that failed and the small input
  it failed on, and, when the wrong value matches a known mistake, what that mistake is.

Every checker runs in well under a second on a CPU. This module imports only torch and ptcourse's core
(no hypothesis: it is not installed in Colab).

Sources: the estimators k1/k2/k3 follow J. Schulman, "Approximating KL divergence" (2020); DPO follows
Rafailov et al. (2023); GRPO's group advantages follow Shao et al. (2024); the clipped objective follows
Schulman et al. (2017) and DAPO's clip-higher (Yu et al., 2025).

>>> import torch
>>> from ptcourse import check
>>> def entropy(logits):
...     raise NotImplementedError("Exercise: write this function")
>>> check.entropy(entropy)  # a stub never raises: it reports that the exercise is still open
⏳ entropy: not done yet -- write the function above, then run this cell again.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ptcourse.entropy import entropy as _ref_entropy
from ptcourse.kl import kl_divergence as _ref_kl_divergence
from ptcourse.kl import kl_estimate as _ref_kl_estimate
from ptcourse.kl import kl_regularized_policy as _ref_kl_regularized_policy
from ptcourse.logprobs import cross_entropy as _ref_cross_entropy
from ptcourse.logprobs import sequence_logprob as _ref_sequence_logprob
from ptcourse.logprobs import token_logprobs as _ref_token_logprobs
from ptcourse.objectives import dpo_loss as _ref_dpo_loss
from ptcourse.objectives import grpo_advantages as _ref_grpo_advantages
from ptcourse.objectives import ppo_clip_loss as _ref_ppo_clip_loss
from ptcourse.sft import sft_loss as _ref_sft_loss

__all__ = [
    "CHECKERS",
    "cross_entropy",
    "dpo_loss",
    "entropy",
    "grpo_advantages",
    "kl_divergence",
    "kl_estimate",
    "kl_regularized_policy",
    "ppo_clip_loss",
    "sequence_logprob",
    "sft_loss",
    "token_logprobs",
]

LN2 = math.log(2.0)
NOT_DONE = "not done yet"


# ----------------------------------------------------------------------------------------------
# machinery
# ----------------------------------------------------------------------------------------------


class _NotDone(Exception):
    """The learner's function raised NotImplementedError: the exercise is still open."""


def _num(x: float, digits: int = 4) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.{digits}g}"


def _fmt(t, digits: int = 4) -> str:
    """A small tensor as a compact nested list: [0.7, 0.3], [[0, -inf], ...]."""
    if isinstance(t, torch.Tensor):
        t = t.detach().double().cpu()
        if t.dim() == 0:
            return _num(t.item(), digits)
        return "[" + ", ".join(_fmt(x, digits) for x in t) + "]"
    if isinstance(t, float):
        return _num(t, digits)
    return repr(t)


def _pair(got: torch.Tensor, want: torch.Tensor) -> tuple[str, str]:
    """Format got and want, with more digits when 4 would make them look the same."""
    for digits in (4, 8):
        g, w = _fmt(got, digits), _fmt(want, digits)
        if g != w:
            break
    return g, w


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    """Same shape and close everywhere; equal infinities count as close, NaN never does."""
    if a.shape != b.shape:
        return False
    return bool(torch.isclose(a.double(), b.double(), rtol=rtol, atol=atol).all())


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=_gen(seed)) * scale


def _randint(high: int, *shape: int, seed: int) -> torch.Tensor:
    return torch.randint(0, high, shape, generator=_gen(seed))


def _probs_logits(probs) -> torch.Tensor:
    """Logits whose softmax is the given probabilities (log p; a zero probability gives -inf)."""
    return torch.tensor(probs, dtype=torch.float32).log()


Mistake = tuple[Callable[[], torch.Tensor], str]


class _Check:
    """Calls the learner's function on fixed inputs and turns each failed property into a message."""

    def __init__(self, name: str, fn: Callable, quantity: str):
        if not callable(fn):
            raise TypeError(
                f"check.{name} takes your function itself, e.g. check.{name}({name}); "
                f"got {type(fn).__name__}"
            )
        self.name, self.fn, self.quantity = name, fn, quantity
        self.count = 0

    def call(self, where: str, *args, hint: str = "", **kwargs) -> torch.Tensor:
        """Run the learner's function on copies of the inputs; any crash becomes an AssertionError."""
        # copies, so that a function editing its inputs in place cannot corrupt the reference's
        args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in args)
        try:
            out = self.fn(*args, **kwargs)
        except NotImplementedError:
            raise _NotDone from None
        except Exception as err:
            msg = f"your {self.name} raised {type(err).__name__}: {err} -- for {where}."
            raise AssertionError(msg + (f" {hint}" if hint else "")) from err
        if not isinstance(out, torch.Tensor):
            try:
                out = torch.as_tensor(out, dtype=torch.float64)
            except (TypeError, ValueError, RuntimeError):
                raise AssertionError(
                    f"your {self.name} should return a torch tensor, but returned "
                    f"{type(out).__name__} for {where}."
                ) from None
        return out

    def require(self, ok: bool, message: str) -> None:
        """A property: count it, and fail with ``message`` when it does not hold."""
        self.count += 1
        if not ok:
            raise AssertionError(message)

    def expect(
        self,
        got: torch.Tensor,
        want: torch.Tensor,
        where: str,
        *,
        what: str | None = None,
        mistakes: tuple[Mistake, ...] = (),
        nan_hint: str = "",
        inf_hint: str = "",
        shape_hint: str = "",
        hint: str = "",
    ) -> None:
        """Values: ``got`` must match the reference ``want``; diagnose known mistakes when not."""
        self.count += 1
        what = what or self.quantity
        want = want.detach().double()
        got = got.detach().double()
        if got.shape != want.shape:
            raise AssertionError(
                f"your {what} has shape {tuple(got.shape)} for {where}; expected shape "
                f"{tuple(want.shape)}." + (f" {shape_hint}" if shape_hint else "")
            )
        if _close(got, want):
            return
        g, w = _pair(got, want)
        bad_nan = torch.isnan(got) & ~torch.isnan(want)
        if bad_nan.any():
            raise AssertionError(
                f"your {what} is NaN for {where}: your {self.name} returned {g}; expected {w}. "
                "Nothing should be NaN here." + (f" {nan_hint}" if nan_hint else "")
            )
        bad_inf = torch.isinf(got) & torch.isfinite(want)
        if bad_inf.any():
            raise AssertionError(
                f"your {what} is infinite for {where}: your {self.name} returned {g}; expected "
                f"the finite {w}." + (f" {inf_hint}" if inf_hint else "")
            )
        for mistaken, why in mistakes:
            try:
                m = mistaken().detach().double()
            except Exception:  # a mistake that cannot even be computed here is not the one made
                continue
            if _close(got, m) and not _close(m, want):
                raise AssertionError(
                    f"your {self.name} returned {g} for {where}; expected {w}. {why}"
                )
        raise AssertionError(
            f"your {self.name} returned {g} for {where}; expected {w} "
            f"(the {what} does not match the reference)." + (f" {hint}" if hint else "")
        )


def _run(name: str, fn: Callable, quantity: str, body: Callable[[_Check], None]) -> None:
    """Run ``body``; print success, or "not done yet" for a stub. Wrong answers raise."""
    c = _Check(name, fn, quantity)
    try:
        body(c)
    except _NotDone:
        print(f"⏳ {name}: {NOT_DONE} -- write the function above, then run this cell again.")
        return None
    print(f"✅ {name}: correct -- all {c.count} checks passed.")
    return None


# Shared hints -------------------------------------------------------------------------------

_H_BITS = "That is in bits (log base 2); the course measures in nats: use the natural log."
_H_DIM = (
    "You normalised over the wrong dimension: the vocabulary is the LAST dimension (dim=-1), "
    "not dim=0."
)
_H_OVERFLOW = (
    "exp() of large logits overflows: subtract the max first, or use torch.log_softmax / "
    "torch.logsumexp, which do that for you."
)
_H_MASK_MUL = (
    "A masked-out position must contribute nothing even when its log-prob is -inf; "
    "multiplying by the mask gives 0 * (-inf) = NaN. Select with torch.where(mask, x, 0) instead."
)


# ----------------------------------------------------------------------------------------------
# likelihood
# ----------------------------------------------------------------------------------------------


def token_logprobs(fn: Callable) -> None:
    r"""Check the learner's ``token_logprobs(logits, targets, *, chunk_size=None)``: log softmax(logits)[targets], shape ``(...)``.

    .. math::

        \log p(y) = z_y - \log \sum_{v=1}^{V} e^{z_v}

    Parameters
    ----------
    fn : callable
        The learner's ``token_logprobs``, with the signature of ``ptcourse.token_logprobs``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.token_logprobs(ptcourse.token_logprobs)  # the reference passes
    ✅ token_logprobs: correct -- all 6 checks passed.
    """

    def body(c: _Check) -> None:
        logits = torch.tensor([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])  # (N=2, V=3)
        targets = torch.tensor([0, 2])
        where = f"logits={_fmt(logits)}, targets={_fmt(targets)}"
        got = c.call(where, logits, targets)
        want = _ref_token_logprobs(logits, targets)
        c.require(
            got.shape == want.shape,
            f"your log-probabilities have shape {tuple(got.shape)} for {where}; expected shape "
            f"{tuple(want.shape)}, one log-prob per target (did you forget .squeeze(-1) after "
            "gather?).",
        )
        c.require(
            bool((got <= 1e-6).all()),
            f"your log-probabilities {_fmt(got)} include a positive value for {where}; "
            "a log-probability is never positive, because a probability is at most 1.",
        )

        def wrong_dim():
            return torch.log_softmax(logits, 0).gather(-1, targets[:, None])[:, 0]

        def probs():
            return torch.softmax(logits, -1).gather(-1, targets[:, None])[:, 0]

        c.expect(
            got,
            want,
            where,
            mistakes=(
                (wrong_dim, _H_DIM),
                (lambda: want / LN2, _H_BITS),
                (probs, "Those are probabilities; return their log (log-probabilities)."),
            ),
        )

        logits3 = _randn(2, 4, 6, seed=1)  # (B=2, T=4, V=6)
        targets3 = _randint(6, 2, 4, seed=2)  # (B, T)
        where3 = "random logits of shape (2, 4, 6) and targets of shape (2, 4)"
        got3 = c.call(where3, logits3, targets3)
        c.expect(
            got3,
            _ref_token_logprobs(logits3, targets3),
            where3,
            shape_hint="The result has the targets' shape: one log-prob per target token.",
            mistakes=(
                (
                    lambda: torch.log_softmax(logits3, 0).gather(-1, targets3[..., None])[..., 0],
                    _H_DIM,
                ),
            ),
        )

        big = torch.tensor([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]])
        big_t = torch.tensor([0, 2])
        where_big = f"large logits={_fmt(big)}, targets={_fmt(big_t)}"
        c.expect(
            c.call(where_big, big, big_t),
            _ref_token_logprobs(big, big_t),
            where_big,
            nan_hint=_H_OVERFLOW,
            inf_hint="log(softmax(x)) underflows to log(0) = -inf. " + _H_OVERFLOW,
        )

        neg = torch.tensor([[0.0, -math.inf, 1.0], [0.0, -math.inf, 1.0]])
        neg_t = torch.tensor([0, 1])
        where_neg = f"logits={_fmt(neg)} with a -inf (banned token), targets={_fmt(neg_t)}"
        c.expect(
            c.call(where_neg, neg, neg_t),
            _ref_token_logprobs(neg, neg_t),
            where_neg,
            nan_hint="A -inf logit is a token with probability 0: its log-prob is -inf, "
            "and the other tokens are unaffected.",
        )

    _run("token_logprobs", fn, "log-probabilities", body)


def sequence_logprob(fn: Callable) -> None:
    r"""Check the learner's ``sequence_logprob(logits, targets, mask=None)``: the sum of the kept token log-probs, ``(B,)``.

    .. math::

        \log p(y_{1:T}) = \sum_{t=1}^{T} m_t \log p(y_t \mid y_{<t})

    Parameters
    ----------
    fn : callable
        The learner's ``sequence_logprob``, with the signature of ``ptcourse.sequence_logprob``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.sequence_logprob(ptcourse.sequence_logprob)  # the reference passes
    ✅ sequence_logprob: correct -- all 4 checks passed.
    """

    def body(c: _Check) -> None:
        logits = _randn(2, 3, 4, seed=3)  # (B=2, T=3, V=4)
        targets = _randint(4, 2, 3, seed=4)  # (B, T)
        lp = torch.log_softmax(logits, -1).gather(-1, targets[..., None])[..., 0]  # (B, T)
        inputs = "random logits of shape (2, 3, 4), targets of shape (2, 3)"
        where = f"{inputs}, mask=None"
        got = c.call(where, logits, targets)
        want = _ref_sequence_logprob(logits, targets)
        c.expect(
            got,
            want,
            where,
            shape_hint="One number per sequence: sum over the last (time) dimension only.",
            mistakes=(
                (
                    lambda: lp.mean(-1),
                    "A sequence's log-probability is the SUM of its token log-probs "
                    "(the log of a product of probabilities), not their mean.",
                ),
                (lambda: want / LN2, _H_BITS),
            ),
        )

        mask = torch.tensor([[True, True, False], [True, False, False]])
        where_m = f"{inputs}, mask={_fmt(mask.int())}"
        got_m = c.call(where_m, logits, targets, mask)
        c.expect(
            got_m,
            _ref_sequence_logprob(logits, targets, mask),
            where_m,
            mistakes=(
                (
                    lambda: lp.sum(-1),
                    "You ignored the mask: leave out positions where it is False.",
                ),
                (
                    lambda: torch.where(~mask, lp, 0).sum(-1),
                    "The mask is the wrong way round: True (1) means keep the token.",
                ),
                (
                    lambda: torch.where(mask, lp, 0).sum(-1) / mask.sum(-1),
                    "A sequence's log-probability is the SUM of its kept token log-probs, "
                    "not their mean.",
                ),
            ),
        )

        ninf = logits.clone()
        ninf[0, 2, targets[0, 2]] = -math.inf  # the masked-out position has log-prob -inf
        where_n = "the masked-out target at [0, 2] has logit -inf, mask=" + _fmt(mask.int())
        c.expect(
            c.call(where_n, ninf, targets, mask),
            _ref_sequence_logprob(ninf, targets, mask),
            where_n,
            nan_hint=_H_MASK_MUL,
        )

        mask01 = mask.to(torch.float32)
        where_f = f"a 0/1 float mask={_fmt(mask01)}"
        c.expect(
            c.call(
                where_f,
                logits,
                targets,
                mask01,
                hint="Masks may come as bool or 0/1 numbers: convert with mask.bool().",
            ),
            _ref_sequence_logprob(logits, targets, mask),
            where_f,
            hint="Masks may come as bool or 0/1 numbers: convert with mask.bool().",
        )

    _run("sequence_logprob", fn, "sequence log-probabilities", body)


def cross_entropy(fn: Callable) -> None:
    r"""Check the learner's ``cross_entropy(logits, targets, mask=None)``: the mean NLL over the kept tokens (a scalar).

    .. math::

        \mathrm{CE} = -\frac{1}{\sum_t m_t} \sum_t m_t \log p(y_t)

    Parameters
    ----------
    fn : callable
        The learner's ``cross_entropy``, with the signature of ``ptcourse.cross_entropy``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.cross_entropy(ptcourse.cross_entropy)  # the reference passes
    ✅ cross_entropy: correct -- all 6 checks passed.
    """

    def body(c: _Check) -> None:
        logits = _randn(2, 3, 5, seed=5)  # (B=2, T=3, V=5)
        targets = _randint(5, 2, 3, seed=6)  # (B, T)
        nll = -torch.log_softmax(logits, -1).gather(-1, targets[..., None])[..., 0]  # (B, T)
        inputs = "random logits of shape (2, 3, 5), targets of shape (2, 3)"
        where = f"{inputs}, mask=None"
        got = c.call(where, logits, targets)
        want = _ref_cross_entropy(logits, targets)
        c.require(
            got.dim() == 0,
            f"your cross-entropy has shape {tuple(got.shape)} for {where}; it is one number "
            "(a scalar): the mean over all tokens.",
        )
        c.require(
            float(got) >= 0,
            f"your cross-entropy is negative ({_fmt(got)}) for {where}; cross-entropy is never "
            "negative: it is the mean NEGATIVE log-likelihood.",
        )
        c.expect(
            got,
            want,
            where,
            what="cross-entropy",
            mistakes=(
                (lambda: nll.sum(), "Average over the tokens (mean), don't sum."),
                (lambda: want / LN2, _H_BITS),
            ),
        )
        c.expect(got, F.cross_entropy(logits.reshape(-1, 5), targets.reshape(-1)), where)

        mask = torch.tensor([[True, True, True], [True, False, False]])
        where_m = f"{inputs}, mask={_fmt(mask.int())}"
        want_m = _ref_cross_entropy(logits, targets, mask)
        c.expect(
            c.call(where_m, logits, targets, mask),
            want_m,
            where_m,
            what="cross-entropy",
            mistakes=(
                (lambda: nll.mean(), "You ignored the mask: average only over the kept tokens."),
                (
                    lambda: torch.where(mask, nll, 0).sum() / mask.numel(),
                    "Divide by the number of KEPT tokens (mask.sum()), not by all positions.",
                ),
                (
                    lambda: (torch.where(mask, nll, 0).sum(-1) / mask.sum(-1)).mean(),
                    "You averaged per sequence, then over sequences; cross-entropy averages over "
                    "all kept tokens at once (a short sequence must not weigh more per token).",
                ),
            ),
        )

        ninf = logits.clone()
        ninf[1, 2, targets[1, 2]] = -math.inf  # masked-out position with log-prob -inf
        where_n = "the masked-out target at [1, 2] has logit -inf, mask=" + _fmt(mask.int())
        c.expect(
            c.call(where_n, ninf, targets, mask),
            _ref_cross_entropy(ninf, targets, mask),
            where_n,
            what="cross-entropy",
            nan_hint=_H_MASK_MUL,
            inf_hint=_H_MASK_MUL.split(";")[0] + ".",
        )

    _run("cross_entropy", fn, "cross-entropy", body)


def sft_loss(fn: Callable) -> None:
    r"""Check the learner's ``sft_loss(logits, labels, *, ignore_index=-100, average="token")``: shifted, masked NLL.

    .. math::

        \mathcal{L}_\mathrm{SFT} = -\frac{1}{|K|} \sum_{(b,t) \in K} \log p_\theta(y_{b,t+1} \mid y_{b,\le t})

    Parameters
    ----------
    fn : callable
        The learner's ``sft_loss``, with the signature of ``ptcourse.sft_loss``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.sft_loss(ptcourse.sft_loss)  # the reference passes
    ✅ sft_loss: correct -- all 5 checks passed.
    """

    def body(c: _Check) -> None:
        V = 6
        logits = _randn(2, 5, V, seed=7)  # (B=2, T=5, V)
        ids = _randint(V, 2, 5, seed=8)  # (B, T)
        keep = torch.tensor([[False, False, True, True, True], [False, True, True, False, False]])
        labels = torch.where(keep, ids, -100)  # prompt and padding -> -100

        def loss_of(lg, lb, avg, ign=-100):
            """A learner-style loss, for recognising mistakes."""
            k = lb != ign
            nll = -torch.log_softmax(lg, -1).gather(-1, lb.clamp(min=0)[..., None])[..., 0]
            nll = torch.where(k, nll, 0)
            if avg == "token":
                return nll.sum() / k.sum()
            if avg == "sequence":
                return (nll.sum(-1) / k.sum(-1)).mean()
            return nll.sum() / k.numel()  # "all": divides by every position

        where = f"random logits of shape (2, 5, {V}), labels={_fmt(labels)}"
        hint_ign = "Positions whose label is ignore_index (-100) must be skipped, not looked up."
        got = c.call(where, logits, labels, hint=hint_ign)
        want = _ref_sft_loss(logits, labels)
        c.require(
            got.dim() == 0,
            f"your SFT loss has shape {tuple(got.shape)} for {where}; it is one number.",
        )
        c.require(
            float(got) >= 0,
            f"your SFT loss is negative ({_fmt(got)}) for {where}; it is a mean negative "
            "log-likelihood, so it is never negative.",
        )
        shift = "logits[:, :-1] predict labels[:, 1:]"
        c.expect(
            got,
            want,
            where,
            what="SFT loss",
            mistakes=(
                (
                    lambda: loss_of(logits, labels, "token"),
                    "You forgot the causal shift: the logits at position t predict the token at "
                    f"t + 1, so {shift}.",
                ),
                (
                    lambda: loss_of(logits[:, 1:], labels[:, :-1], "token"),
                    f"The shift goes the other way: {shift}.",
                ),
                (
                    lambda: loss_of(logits[:, :-1], labels[:, 1:], "sequence"),
                    "With average='token' take the mean over all kept tokens of the batch, not "
                    "the mean of per-sequence means.",
                ),
                (
                    lambda: loss_of(logits[:, :-1], labels[:, 1:], "all"),
                    "Divide by the number of kept labels, not by all positions.",
                ),
                (lambda: want / LN2, _H_BITS),
            ),
        )

        where_s = where + ", average='sequence'"
        c.expect(
            c.call(where_s, logits, labels, average="sequence", hint=hint_ign),
            _ref_sft_loss(logits, labels, average="sequence"),
            where_s,
            what="SFT loss",
            mistakes=(
                (
                    lambda: loss_of(logits[:, :-1], labels[:, 1:], "token"),
                    "With average='sequence' first take each sequence's mean over its kept "
                    "tokens, then the mean over sequences (you used the token average).",
                ),
            ),
        )

        labels_m1 = torch.where(keep, ids, -1)
        where_i = f"ignore_index=-1, labels={_fmt(labels_m1)}"
        c.expect(
            c.call(
                where_i,
                logits,
                labels_m1,
                ignore_index=-1,
                hint="Use the ignore_index argument rather than a hard-coded -100.",
            ),
            _ref_sft_loss(logits, labels_m1, ignore_index=-1),
            where_i,
            what="SFT loss",
            hint="Use the ignore_index argument rather than a hard-coded -100.",
        )

    _run("sft_loss", fn, "SFT loss", body)


# ----------------------------------------------------------------------------------------------
# entropy and KL
# ----------------------------------------------------------------------------------------------


def entropy(fn: Callable) -> None:
    r"""Check the learner's ``entropy(logits)``: the entropy over the last dimension, in nats, with 0 log 0 = 0.

    .. math::

        H(p) = -\sum_{v} p_v \log p_v

    Parameters
    ----------
    fn : callable
        The learner's ``entropy``, with the signature of ``ptcourse.entropy``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.entropy(ptcourse.entropy)  # the reference passes
    ✅ entropy: correct -- all 8 checks passed.
    """

    def body(c: _Check) -> None:
        uni = torch.zeros(1, 4)  # (N=1, V=4): uniform
        where_u = "uniform logits=[[0, 0, 0, 0]] (p = 1/4 each)"
        got_u = c.call(where_u, uni)
        c.require(
            got_u.numel() == 1 and float(got_u.reshape(-1)[0]) >= 0,
            f"your entropy is {_fmt(got_u)} for {where_u}; entropy is never negative "
            "(did you forget the minus sign in -sum p log p?).",
        )
        c.expect(
            got_u,
            _ref_entropy(uni),
            where_u,
            what="entropy",
            shape_hint="One entropy per distribution: sum over the last dimension only.",
            mistakes=(
                (lambda: torch.tensor([2.0]), _H_BITS),
                (lambda: torch.tensor([0.0]), _H_DIM),
            ),
            hint="A uniform distribution over V tokens has entropy log V.",
        )

        logits = torch.tensor([[2.0, 0.0, -1.0], [0.3, 0.2, 0.1]])  # (N=2, V=3)
        where = f"logits={_fmt(logits)}"
        got = c.call(where, logits)
        want = _ref_entropy(logits)
        c.require(
            bool((got >= -1e-6).all()) and bool((got <= math.log(3) + 1e-5).all()),
            f"your entropy {_fmt(got)} for {where} is outside [0, log 3 = 1.099]; the entropy "
            "of a distribution over V tokens lies between 0 and log V.",
        )

        def wrong_dim():
            lp = torch.log_softmax(logits, 0)
            return -(lp.exp() * lp).sum(-1)

        c.expect(
            got,
            want,
            where,
            what="entropy",
            shape_hint="One entropy per row: sum over the last dimension only.",
            mistakes=(
                (wrong_dim, _H_DIM),
                (lambda: want / LN2, _H_BITS),
            ),
        )

        neg = torch.tensor([[0.0, -math.inf, 0.0], [-math.inf, 5.0, -math.inf]])
        where_n = f"logits={_fmt(neg)} (p = [0.5, 0, 0.5] and [0, 1, 0])"
        c.expect(
            c.call(where_n, neg),
            _ref_entropy(neg),
            where_n,
            what="entropy",
            nan_hint="A zero-probability token contributes 0 (0 * log 0 = 0), "
            "but 0 * (-inf) is NaN in floating point: zero those terms out.",
        )

        big = torch.tensor([[1000.0, 0.0, -1000.0]])
        where_b = f"large logits={_fmt(big)}"
        c.expect(
            c.call(where_b, big),
            _ref_entropy(big),
            where_b,
            what="entropy",
            nan_hint=_H_OVERFLOW,
            inf_hint=_H_OVERFLOW,
        )

        x = torch.tensor([[0.0, -math.inf, 1.0]], requires_grad=True)
        where_g = "logits=[[0, -inf, 1]]"
        h = c.call(where_g, x)
        c.require(
            h.requires_grad,
            f"your entropy for {where_g} does not carry a gradient; keep it a differentiable "
            "torch expression (no .item(), .numpy() or .detach()).",
        )
        (grad,) = torch.autograd.grad(h.sum(), x)
        c.require(
            bool(torch.isfinite(grad).all()),
            f"your entropy's value is right, but its gradient is {_fmt(grad)} for {where_g}; "
            "it must stay finite. torch.where(p > 0, p * logp, 0) still back-propagates NaN "
            "through the -inf branch: replace the -inf log-probs BEFORE multiplying, e.g. "
            "logp.masked_fill(p == 0, 0).",
        )

    _run("entropy", fn, "entropy", body)


def kl_divergence(fn: Callable) -> None:
    r"""Check the learner's ``kl_divergence(p_logits, q_logits)``: the exact KL(p || q) over the last dimension.

    .. math::

        \mathrm{KL}(p \,\|\, q) = \sum_v p_v (\log p_v - \log q_v)

    Parameters
    ----------
    fn : callable
        The learner's ``kl_divergence``, with the signature of ``ptcourse.kl_divergence``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.kl_divergence(ptcourse.kl_divergence)  # the reference passes
    ✅ kl_divergence: correct -- all 9 checks passed.
    """

    def body(c: _Check) -> None:
        pairs = [((0.7, 0.3), (0.2, 0.8)), ((0.1, 0.6, 0.3), (0.4, 0.4, 0.2))]
        for p, q in pairs:
            pl, ql = _probs_logits(p), _probs_logits(q)  # (V,)
            where = f"p={list(p)}, q={list(q)} (given as logits log p, log q)"
            got = c.call(where, pl, ql)
            c.require(
                got.numel() == 1 and float(got.reshape(-1)[0]) >= -1e-6,
                f"your KL is negative for p={list(p)}, q={list(q)} (you got {_fmt(got)}); "
                "KL is never negative.",
            )
            want = _ref_kl_divergence(pl, ql)

            def swapped(pl=pl, ql=ql):
                return _ref_kl_divergence(ql, pl)

            c.expect(
                got,
                want,
                where,
                what="KL",
                shape_hint="KL reduces the vocabulary (last) dimension only.",
                mistakes=(
                    (
                        swapped,
                        "You computed KL(q||p): the arguments are swapped. KL(p||q) = sum over "
                        "tokens of p * (log p - log q), weighted by p, the first argument.",
                    ),
                    (lambda want=want: want / LN2, _H_BITS),
                    (
                        lambda want=want, pl=pl: want / pl.shape[-1],
                        "Sum over the vocabulary; don't average.",
                    ),
                ),
            )
            where_s = f"p=q={list(p)}"
            got_s = c.call(where_s, pl, pl)
            c.require(
                _close(got_s.reshape(-1), torch.zeros(1), atol=1e-6),
                f"your KL(p||p) is {_fmt(got_s)} for {where_s}; a distribution's KL from itself is 0.",
            )

        pb = _randn(2, 3, 5, seed=9)  # (B, T, V)
        qb = _randn(2, 3, 5, seed=10)
        where_b = "random logits p, q of shape (2, 3, 5)"
        got_b = c.call(where_b, pb, qb)

        def wrong_dim():
            lp, lq = torch.log_softmax(pb, 0), torch.log_softmax(qb, 0)
            return (lp.exp() * (lp - lq)).sum(-1)

        c.expect(
            got_b,
            _ref_kl_divergence(pb, qb),
            where_b,
            what="KL",
            shape_hint="One KL per position: reduce only the vocabulary (last) dimension.",
            mistakes=(
                (wrong_dim, _H_DIM),
                (
                    lambda: (pb.softmax(-1) * (pb - qb)).sum(-1),
                    "Logits are not log-probabilities: normalise them first with log_softmax.",
                ),
            ),
        )

        pz = _probs_logits([(0.5, 0.0, 0.5), (1.0, 0.0, 0.0)])  # zeros in p (and in q, row 2)
        qz = _probs_logits([(1 / 3, 1 / 3, 1 / 3), (0.5, 0.0, 0.5)])
        where_z = "p=[[0.5, 0, 0.5], [1, 0, 0]], q=[[1/3, 1/3, 1/3], [0.5, 0, 0.5]]"
        c.expect(
            c.call(where_z, pz, qz),
            _ref_kl_divergence(pz, qz),
            where_z,
            what="KL",
            nan_hint="Tokens with p = 0 contribute nothing (0 * log 0 = 0), even where q is 0 "
            "too; but 0 * (-inf) and (-inf) - (-inf) are NaN in floating point, so zero those "
            "terms out (torch.where(p > 0, ..., 0)).",
        )

        pi = _probs_logits((0.5, 0.5))
        qi = _probs_logits((1.0, 0.0))
        where_i = "p=[0.5, 0.5], q=[1, 0]"
        got_i = c.call(where_i, pi, qi)
        c.require(
            bool(torch.isinf(got_i).all() and (got_i > 0).all()),
            f"your KL is {_fmt(got_i)} for {where_i}; expected +inf: when q gives probability 0 "
            "to a token that p can produce, KL(p||q) is infinite.",
        )

    _run("kl_divergence", fn, "KL", body)


def kl_estimate(fn: Callable) -> None:
    r"""Check the learner's ``kl_estimate(logp, logq, kind="k3")``: Schulman's per-sample estimators of KL(p || q).

    .. math::

        k_1 = -\log r,\quad k_2 = \tfrac12 (\log r)^2,\quad k_3 = (r - 1) - \log r,\quad \log r = \log q - \log p

    Parameters
    ----------
    fn : callable
        The learner's ``kl_estimate``, with the signature of ``ptcourse.kl_estimate``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.kl_estimate(ptcourse.kl_estimate)  # the reference passes
    ✅ kl_estimate: correct -- all 7 checks passed.
    """

    def body(c: _Check) -> None:
        logp = torch.tensor([-1.0, -2.0, -0.5, -3.0])  # log p(x) of 4 samples x ~ p
        logq = torch.tensor([-1.5, -1.0, -0.5, -4.0])  # log q(x) of the same samples
        base = f"logp={_fmt(logp)}, logq={_fmt(logq)}"
        lr_sw = logp - logq  # the swapped log-ratio
        swapped = {
            "k1": -lr_sw,
            "k2": 0.5 * lr_sw**2,
            "k3": lr_sw.exp() - 1 - lr_sw,
        }
        sw_msg = (
            "You swapped the log-ratio: with samples from p, log r = logq - logp (the reference "
            "over the policy)."
        )
        for kind in ("k1", "k2", "k3"):
            where = f"{base}, kind={kind!r}"
            got = c.call(where, logp, logq, kind=kind)
            want = _ref_kl_estimate(logp, logq, kind=kind)
            if kind in ("k2", "k3"):
                c.require(
                    got.shape == want.shape and bool((got >= -1e-6).all()),
                    f"your {kind} estimate {_fmt(got)} has a negative value for {where}; "
                    f"{kind} is never negative.",
                )
            mistakes: tuple[Mistake, ...] = ((lambda s=swapped[kind]: s, sw_msg),)
            if kind == "k2":
                mistakes += ((lambda w=want: 2 * w, "k2 is HALF the squared log-ratio."),)
            mistakes += ((lambda w=want: w / LN2, _H_BITS),)
            c.expect(
                got,
                want,
                where,
                what=f"{kind} estimate",
                shape_hint="The estimate is per sample: same shape as logp.",
                mistakes=mistakes,
            )
        where_d = f"{base} and no kind"
        c.expect(
            c.call(where_d, logp, logq),
            _ref_kl_estimate(logp, logq, kind="k3"),
            where_d,
            what="default estimate",
            hint="The default kind is 'k3'.",
        )
        lp2 = _randn(2, 3, seed=11) - 2.0  # (B, T)
        lq2 = _randn(2, 3, seed=12) - 2.0
        where2 = "random logp, logq of shape (2, 3), kind='k3'"
        c.expect(
            c.call(where2, lp2, lq2, kind="k3"),
            _ref_kl_estimate(lp2, lq2, kind="k3"),
            where2,
            what="k3 estimate",
        )

    _run("kl_estimate", fn, "KL estimate", body)


def kl_regularized_policy(fn: Callable) -> None:
    r"""Check the learner's ``kl_regularized_policy(ref_logits, rewards, beta)``: the log-probs of the optimal leashed policy.

    .. math::

        \pi^*(y) = \frac{\pi_\mathrm{ref}(y)\, e^{r(y)/\beta}}{\sum_{y'} \pi_\mathrm{ref}(y')\, e^{r(y')/\beta}}

    Parameters
    ----------
    fn : callable
        The learner's ``kl_regularized_policy``, with the signature of ``ptcourse.kl_regularized_policy``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.kl_regularized_policy(ptcourse.kl_regularized_policy)  # the reference passes
    ✅ kl_regularized_policy: correct -- all 7 checks passed.
    """

    def body(c: _Check) -> None:
        ref = _probs_logits((0.5, 0.3, 0.2))  # (V,)
        r = torch.tensor([1.0, 0.0, 2.0])
        beta = 0.5
        where = f"pi_ref=[0.5, 0.3, 0.2] (as log-probs), rewards={_fmt(r)}, beta={beta}"
        got = c.call(where, ref, r, beta)
        c.require(
            got.shape == ref.shape,
            f"your policy has shape {tuple(got.shape)} for {where}; expected log-probs of the "
            f"reference's shape {tuple(ref.shape)}.",
        )
        total = float(torch.logsumexp(got.double(), -1))
        c.require(
            abs(total) < 1e-4 or abs(float(got.double().sum()) - 1) < 1e-4,
            f"your policy is not normalised for {where}: its probabilities sum to "
            f"{_num(math.exp(total))}. pi* is a distribution: subtract logsumexp (log_softmax).",
        )
        want = _ref_kl_regularized_policy(ref, r, beta)
        c.expect(
            got,
            want,
            where,
            what="log pi*",
            mistakes=(
                (
                    lambda: want.exp(),
                    "Those are probabilities; the function returns log-probabilities.",
                ),
                (
                    lambda: torch.log_softmax(ref + r * beta, -1),
                    "Divide the reward by beta (r / beta), don't multiply.",
                ),
                (
                    lambda: torch.log_softmax(r / beta, -1),
                    "You left out the reference: pi* = pi_ref * exp(r / beta), normalised.",
                ),
            ),
        )

        where_l = f"pi_ref=[0.5, 0.3, 0.2], rewards={_fmt(r)}, beta=1000"
        got_l = c.call(where_l, ref, r, 1000.0)
        c.expect(
            got_l,
            _ref_kl_regularized_policy(ref, r, 1000.0),
            where_l,
            what="log pi*",
            hint="A very loose-and-heavy leash (large beta) keeps pi* close to pi_ref.",
        )

        ref_z = torch.tensor([0.0, -math.inf, 0.0])
        r_z = torch.tensor([0.0, 5.0, 1.0])
        where_z = (
            f"ref_logits={_fmt(ref_z)} (a token pi_ref never says), rewards={_fmt(r_z)}, beta=1"
        )
        c.expect(
            c.call(where_z, ref_z, r_z, 1.0),
            _ref_kl_regularized_policy(ref_z, r_z, 1.0),
            where_z,
            what="log pi*",
            nan_hint="A token with pi_ref = 0 keeps probability 0 whatever its reward.",
        )

        r_big = torch.tensor([1000.0, 0.0, 500.0])
        where_b = f"pi_ref=[0.5, 0.3, 0.2], rewards={_fmt(r_big)}, beta=0.5"
        c.expect(
            c.call(where_b, ref, r_big, 0.5),
            _ref_kl_regularized_policy(ref, r_big, 0.5),
            where_b,
            what="log pi*",
            nan_hint="exp(r / beta) overflows: work in log space: "
            "log_softmax(ref_logits + rewards / beta).",
            inf_hint="exp(r / beta) overflows: work in log space: "
            "log_softmax(ref_logits + rewards / beta).",
        )

        ref3 = _randn(2, 3, 4, seed=13)  # (B, T, V)
        r3 = _randn(2, 3, 4, seed=14)
        where3 = "random ref_logits and rewards of shape (2, 3, 4), beta=0.3"
        c.expect(
            c.call(where3, ref3, r3, 0.3),
            _ref_kl_regularized_policy(ref3, r3, 0.3),
            where3,
            what="log pi*",
            mistakes=(
                (
                    lambda: torch.log_softmax(ref3 + r3 / 0.3, 0),
                    _H_DIM,
                ),
                (
                    lambda: torch.log_softmax(ref3 + r3 / 0.3, -1) - torch.log_softmax(ref3, -1),
                    "Return log pi*, not the log-ratio log pi* - log pi_ref.",
                ),
            ),
        )

    _run("kl_regularized_policy", fn, "log pi*", body)


# ----------------------------------------------------------------------------------------------
# the toolkit: DPO, GRPO, PPO
# ----------------------------------------------------------------------------------------------


def dpo_loss(fn: Callable) -> None:
    r"""Check the learner's ``dpo_loss(policy_chosen_logp, policy_rejected_logp, ref_chosen_logp, ref_rejected_logp, beta=0.1)``.

    .. math::

        \mathcal{L}_\mathrm{DPO} = -\operatorname{mean} \log \sigma\big(\beta [(\pi_c - \mathrm{ref}_c) - (\pi_r - \mathrm{ref}_r)]\big)

    Parameters
    ----------
    fn : callable
        The learner's ``dpo_loss``, with the signature of ``ptcourse.dpo_loss``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.dpo_loss(ptcourse.dpo_loss)  # the reference passes
    ✅ dpo_loss: correct -- all 6 checks passed.
    """

    def body(c: _Check) -> None:
        pc = torch.tensor([-5.0, -3.0, -4.0])
        pr = torch.tensor([-6.0, -2.0, -4.5])
        rc = torch.tensor([-5.5, -3.2, -3.0])
        rr = torch.tensor([-5.8, -2.5, -4.0])
        where = (
            f"policy_chosen_logp={_fmt(pc)}, policy_rejected_logp={_fmt(pr)}, "
            f"ref_chosen_logp={_fmt(rc)}, ref_rejected_logp={_fmt(rr)}"
        )

        def dpo(b, margin):
            return -F.logsigmoid(b * margin).mean()

        m = (pc - rc) - (pr - rr)
        got = c.call(where, pc, pr, rc, rr)
        want = _ref_dpo_loss(pc, pr, rc, rr)
        c.require(
            got.dim() == 0,
            f"your DPO loss has shape {tuple(got.shape)} for {where}; it is one number: the "
            "mean over pairs.",
        )
        c.require(
            float(got) >= 0,
            f"your DPO loss is negative ({_fmt(got)}) for {where}; -log sigmoid(...) is never "
            "negative.",
        )
        c.expect(
            got,
            want,
            where + ", beta=0.1 (default)",
            what="DPO loss",
            mistakes=(
                (
                    lambda: dpo(0.1, -m),
                    "Chosen and rejected are swapped: the margin is (chosen) - (rejected).",
                ),
                (
                    lambda: dpo(0.1, pc - pr),
                    "You left out the reference: each side is a log-ratio policy - reference.",
                ),
                (lambda: dpo(1.0, m), "Multiply the margin by beta."),
                (lambda: -F.logsigmoid(0.1 * m).sum(), "Average over pairs (mean), don't sum."),
            ),
        )
        where_b = where + ", beta=0.5"
        c.expect(
            c.call(where_b, pc, pr, rc, rr, beta=0.5),
            _ref_dpo_loss(pc, pr, rc, rr, beta=0.5),
            where_b,
            what="DPO loss",
            mistakes=((lambda: want, "You ignored the beta argument."),),
        )

        same = torch.tensor([-2.0, -7.0])
        where_s = "the policy equal to the reference (all four log-probs = [-2, -7])"
        c.expect(
            c.call(where_s, same, same, same, same),
            torch.tensor(math.log(2.0)),
            where_s,
            what="DPO loss",
            hint="With no margin, the loss is -log sigmoid(0) = log 2.",
        )

        z = torch.tensor([0.0])
        far = torch.tensor([-5000.0])
        where_f = "policy_chosen_logp=[-5000], the other three [0] (beta * margin = -500)"
        c.expect(
            c.call(where_f, far, z, z, z),
            _ref_dpo_loss(far, z, z, z),
            where_f,
            what="DPO loss",
            inf_hint="log(sigmoid(x)) underflows to log(0) for very negative x: "
            "use F.logsigmoid, which is stable.",
            nan_hint="Use F.logsigmoid, which is stable for large margins.",
        )

    _run("dpo_loss", fn, "DPO loss", body)


def grpo_advantages(fn: Callable) -> None:
    r"""Check the learner's ``grpo_advantages(rewards, *, scale=True, eps=1e-4)``: group-normalised advantages, ``(G, n)``.

    .. math::

        A_{g,i} = \frac{r_{g,i} - \bar r_g}{s_g + \epsilon},\quad s_g^2 = \frac{1}{n-1} \sum_i (r_{g,i} - \bar r_g)^2

    Parameters
    ----------
    fn : callable
        The learner's ``grpo_advantages``, with the signature of ``ptcourse.grpo_advantages``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.grpo_advantages(ptcourse.grpo_advantages)  # the reference passes
    ✅ grpo_advantages: correct -- all 7 checks passed.
    """

    def body(c: _Check) -> None:
        r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.5, 0.2, 0.9, 0.6]])  # (G=2, n=4)
        where = f"rewards={_fmt(r)} (2 groups of 4)"
        got = c.call(where, r)
        c.require(
            got.shape == r.shape,
            f"your advantages have shape {tuple(got.shape)} for {where}; expected one "
            f"advantage per reward, shape {tuple(r.shape)}.",
        )
        c.require(
            bool(torch.isfinite(got).all()) and _close(got.sum(-1), torch.zeros(2), atol=1e-4),
            f"your advantages {_fmt(got)} do not average to 0 within each group for {where}; "
            "subtract each group's own mean (mean over the last dimension, keepdim=True).",
        )
        want = _ref_grpo_advantages(r)
        mean = r.mean(-1, keepdim=True)
        c.expect(
            got,
            want,
            where,
            what="advantages",
            mistakes=(
                (
                    lambda: (r - mean) / (r.std(-1, unbiased=False, keepdim=True) + 1e-4),
                    "That is the population std (divide by n); GRPO uses the Bessel-corrected "
                    "std (divide by n - 1), torch.std's default.",
                ),
                (
                    lambda: (r - mean) / torch.sqrt(r.var(-1, keepdim=True) + 1e-4),
                    "Add eps to the std, not inside the square root: (r - mean) / (std + eps).",
                ),
                (lambda: r - mean, "With scale=True, divide by (std + eps)."),
                (
                    lambda: (r - mean) / r.std(-1, keepdim=True),
                    "Add eps to the std: (r - mean) / (std + eps); without it a constant group "
                    "divides 0 by 0.",
                ),
            ),
        )

        const = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
        where_c = f"rewards={_fmt(const)} (the first group is constant)"
        c.expect(
            c.call(where_c, const),
            _ref_grpo_advantages(const),
            where_c,
            what="advantages",
            nan_hint="A constant group has std 0: add eps to the std so it gives zeros.",
            inf_hint="A constant group has std 0: add eps to the std so it gives zeros.",
        )

        small = torch.tensor([[0.0, 0.0, 0.0, 1e-3]])
        where_s = f"rewards={_fmt(small)}"
        c.expect(
            c.call(where_s, small),
            _ref_grpo_advantages(small),
            where_s,
            what="advantages",
            mistakes=(
                (
                    lambda: (
                        (small - small.mean(-1, keepdim=True))
                        / torch.sqrt(small.var(-1, keepdim=True) + 1e-4)
                    ),
                    "Add eps to the std, not inside the square root: (r - mean) / (std + eps).",
                ),
            ),
        )

        where_e = where + ", eps=0.5"
        c.expect(
            c.call(where_e, r, eps=0.5),
            _ref_grpo_advantages(r, eps=0.5),
            where_e,
            what="advantages",
            mistakes=((lambda: want, "You ignored the eps argument."),),
        )

        where_u = where + ", scale=False"
        c.expect(
            c.call(where_u, r, scale=False),
            _ref_grpo_advantages(r, scale=False),
            where_u,
            what="advantages",
            mistakes=((lambda: want, "With scale=False only subtract the group mean."),),
        )

    _run("grpo_advantages", fn, "advantages", body)


def ppo_clip_loss(fn: Callable) -> None:
    r"""Check the learner's ``ppo_clip_loss(logp, old_logp, advantages, mask, *, clip_eps=0.2, clip_eps_high=None)``.

    .. math::

        \mathcal{L} = -\frac{1}{\sum m} \sum m \min\big(\rho A,\ \mathrm{clip}(\rho, 1-\epsilon, 1+\epsilon_\mathrm{high}) A\big),\quad \rho = e^{\log p - \log p_\mathrm{old}}

    Parameters
    ----------
    fn : callable
        The learner's ``ppo_clip_loss``, with the signature of ``ptcourse.ppo_clip_loss``.

    Raises
    ------
    AssertionError
        When a value or a property is wrong; the message names the property and the input.

    Examples
    --------
    >>> import ptcourse
    >>> from ptcourse import check
    >>> check.ppo_clip_loss(ptcourse.ppo_clip_loss)  # the reference passes
    ✅ ppo_clip_loss: correct -- all 4 checks passed.
    """

    def body(c: _Check) -> None:
        old = torch.tensor([[-1.0, -2.0, -0.5, -1.5], [-0.7, -1.2, -2.0, -1.0]])  # (B=2, T=4)
        log_ratio = torch.tensor([[0.5, -0.5, 0.1, 0.3], [-0.4, 0.05, 0.2, 0.0]])
        new = old + log_ratio
        adv = torch.tensor([[1.0, 1.0, -1.0, 2.0], [-1.0, 2.0, 1.0, 0.5]])
        mask = torch.tensor([[True, True, True, False], [True, True, False, False]])
        where = (
            f"logp={_fmt(new)}, old_logp={_fmt(old)}, advantages={_fmt(adv)}, "
            f"mask={_fmt(mask.int())}"
        )

        def variant(ratio, reduce="min", sign=-1.0, m=mask, per_seq=False, lo=0.8, hi=1.2):
            unclipped, clipped = ratio * adv, ratio.clamp(lo, hi) * adv
            pick = {
                "min": torch.minimum(unclipped, clipped),
                "max": torch.maximum(unclipped, clipped),
                "clipped": clipped,
                "unclipped": unclipped,
            }[reduce]
            x = torch.where(m, sign * pick, 0)
            if per_seq:
                return (x.sum(-1) / m.sum(-1)).mean()
            return x.sum() / m.sum()

        rho = log_ratio.exp()
        got = c.call(where, new, old, adv, mask)
        want = _ref_ppo_clip_loss(new, old, adv, mask)
        c.require(
            got.dim() == 0,
            f"your PPO loss has shape {tuple(got.shape)} for {where}; it is one number: the "
            "mean over kept tokens.",
        )
        c.expect(
            got,
            want,
            where,
            what="PPO loss",
            mistakes=(
                (
                    lambda: variant(rho, "max"),
                    "Take the MINIMUM of the clipped and unclipped terms (the pessimistic bound).",
                ),
                (
                    lambda: variant(rho, sign=1.0),
                    "The loss is the NEGATIVE of the clipped objective (we minimise the loss).",
                ),
                (
                    lambda: variant(rho, m=torch.ones_like(mask)),
                    "You ignored the mask: average only over kept tokens.",
                ),
                (
                    lambda: variant(rho, per_seq=True),
                    "Average over all kept tokens at once (token mean), not per sequence first.",
                ),
                (
                    lambda: variant(1 / rho),
                    "The ratio is rho = exp(logp - old_logp) (new over old).",
                ),
                (
                    lambda: variant(rho, "clipped"),
                    "Take the minimum of the unclipped and the clipped term, not the clipped "
                    "term alone.",
                ),
                (lambda: variant(rho, "unclipped"), "You forgot to clip the ratio."),
            ),
        )

        where_h = where + ", clip_eps_high=0.28"
        c.expect(
            c.call(where_h, new, old, adv, mask, clip_eps_high=0.28),
            _ref_ppo_clip_loss(new, old, adv, mask, clip_eps_high=0.28),
            where_h,
            what="PPO loss",
            mistakes=(
                (
                    lambda: want,
                    "You ignored clip_eps_high: the ratio is clipped to "
                    "[1 - clip_eps, 1 + clip_eps_high] (clip-higher).",
                ),
            ),
        )
        where_e = where + ", clip_eps=0.1"
        c.expect(
            c.call(where_e, new, old, adv, mask, clip_eps=0.1),
            _ref_ppo_clip_loss(new, old, adv, mask, clip_eps=0.1),
            where_e,
            what="PPO loss",
            mistakes=(
                (lambda: want, "You ignored the clip_eps argument."),
                (
                    lambda: variant(rho, lo=0.9, hi=1.2),
                    "clip_eps_high defaults to clip_eps when it is None.",
                ),
            ),
        )

    _run("ppo_clip_loss", fn, "PPO loss", body)


CHECKERS: dict[str, Callable[[Callable], None]] = {
    "token_logprobs": token_logprobs,
    "sequence_logprob": sequence_logprob,
    "cross_entropy": cross_entropy,
    "sft_loss": sft_loss,
    "entropy": entropy,
    "kl_divergence": kl_divergence,
    "kl_estimate": kl_estimate,
    "kl_regularized_policy": kl_regularized_policy,
    "dpo_loss": dpo_loss,
    "grpo_advantages": grpo_advantages,
    "ppo_clip_loss": ppo_clip_loss,
}
"""Checker name -> checker; each name is also the ptcourse reference function it checks against."""
