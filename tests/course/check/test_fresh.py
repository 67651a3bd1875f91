"""Fresh draws: each checker runs its value cases again on values drawn from a seed, new each run.

A fixed probe set is blind where its values never go; an answer tuned to the probes (here, one that
remembers the checker's inputs and the reference's outputs on them) passes every fixed case and must
fail on the fresh values, with the seed in the message so the learner can reproduce it.
"""

from __future__ import annotations

import contextlib
import io
import re

import pytest
import torch

import ptcourse
from ptcourse import check
from ptcourse.course.check._common import redraw


def _memoriser(name):
    """The reference on the inputs it was shown during a first check, zeros anywhere else."""
    ref = getattr(ptcourse, name)
    seen = []

    def remember(*args, **kwargs):
        out = ref(*args, **kwargs)
        seen.append((args, kwargs, out.detach().clone()))
        return out

    with contextlib.redirect_stdout(io.StringIO()):
        check.CHECKERS[name](remember, seed=0)

    def same(x, y):
        if isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):
            return (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.shape == y.shape
                    and x.dtype == y.dtype and torch.equal(x, y))  # fmt: skip
        return x == y

    def tuned(*args, **kwargs):
        for a, k, _ in seen:
            if (
                len(a) == len(args)
                and all(map(same, a, args))
                and k.keys() == kwargs.keys()
                and all(same(k[n], kwargs[n]) for n in k)
            ):
                return ref(*args, **kwargs)  # a probe it has seen: the right answer, with a graph
        return ref(*args, **kwargs) * 0  # anything else: wrong

    return tuned, seen


@pytest.mark.parametrize("name", ["entropy", "token_logprobs", "kl_divergence", "sft_loss",
                                  "dpo_loss", "ppo_clip_loss", "grpo_advantages"])  # fmt: skip
def test_an_answer_tuned_to_the_fixed_probes_fails_on_fresh_values(name):
    tuned, seen = _memoriser(name)
    assert seen
    with pytest.raises(AssertionError) as failed, contextlib.redirect_stdout(io.StringIO()):
        check.CHECKERS[name](tuned, seed=123)
    msg = str(failed.value)
    assert "seed=123" in msg and f"check.{name}({name}, seed=123)" in msg, msg


def test_the_same_seed_draws_the_same_values_and_a_new_run_draws_new_ones():
    x = torch.randn(3, 5)
    assert torch.equal(
        redraw(x, torch.Generator().manual_seed(7)), redraw(x, torch.Generator().manual_seed(7))
    )
    assert not torch.equal(
        redraw(x, torch.Generator().manual_seed(7)), redraw(x, torch.Generator().manual_seed(8))
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        seeds = {re.search(r"seed=(\d+)", " ".join(check.entropy(ptcourse.entropy).checks)).group(1)
                 for _ in range(4)}  # fmt: skip
    assert len(seeds) > 1, "every run drew the same fresh values"


def test_redraw_keeps_the_kind_of_each_input():
    g = torch.Generator().manual_seed(0)
    mask = torch.tensor([[1.0, 0.0, 1.0]])
    assert torch.equal(redraw(mask, g), mask)  # a 0/1 mask stays
    ids = torch.tensor([3, 1, 4])
    assert redraw(ids, g) is ids  # ids and labels stay
    logp = torch.tensor([[-0.5, -2.0, -float("inf")], [-1.0, -0.1, -3.0]])
    new = redraw(logp, g)
    assert (new <= 0).all() and torch.isinf(new[0, 2]) and torch.isfinite(new[1]).all()
    p = torch.tensor([0.2, 0.5, 0.3])
    assert ((redraw(p, g) >= 0) & (redraw(p, g) <= 1)).all()


def _msg(name, fn):
    with pytest.raises(AssertionError) as failed, contextlib.redirect_stdout(io.StringIO()):
        check.CHECKERS[name](fn, seed=0)
    return str(failed.value)


def test_common_errors_in_the_learners_code_are_explained():
    """Errors a learner run met, each with what it means (not only 'the error is in your function')."""

    def ce_3d(logits, targets, mask=None):
        return torch.nn.functional.cross_entropy(logits, targets)  # classes belong in dim 1

    def dpo_if(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta=0.1
    ):
        margin = beta * (
            (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)
        )
        if margin:  # a tensor in an if
            return -margin
        return margin

    def entropy_no_f(logits):
        return -(Fx.softmax(logits, -1) * Fx.log_softmax(logits, -1)).sum(-1)  # noqa: F821

    assert "classes in dim 1" in _msg("cross_entropy", ce_3d)
    assert "torch.where" in _msg("dpo_loss", dpo_if)
    assert "`Fx` is not defined" in _msg("entropy", entropy_no_f)
