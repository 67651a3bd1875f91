"""rloo_advantages and bradley_terry_loss against closed forms and a direct loop reference."""

from __future__ import annotations

import math

import pytest
import torch

import ptcourse as pc


def _rloo_loop(r: torch.Tensor) -> torch.Tensor:
    """The definition, one sample at a time: r_i minus the mean of the others of its row."""
    out = torch.empty_like(r, dtype=torch.float64)
    G, n = r.shape
    for g in range(G):
        for i in range(n):
            others = [float(r[g, j]) for j in range(n) if j != i]
            out[g, i] = float(r[g, i]) - sum(others) / len(others)
    return out


def test_rloo_matches_the_leave_one_out_definition():
    """rloo_advantages equals r_i - mean_{j != i} r_j computed by a plain loop."""
    r = torch.randn(5, 7, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(pc.rloo_advantages(r).double(), _rloo_loop(r), atol=1e-6, rtol=0)


def test_rloo_is_n_over_n_minus_1_times_the_centred_reward():
    """The closed form A = n/(n-1) (r - mean r) holds, and each group sums to zero."""
    r = torch.randn(3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    want = 4 / 3 * (r - r.mean(-1, keepdim=True))
    got = pc.rloo_advantages(r)
    torch.testing.assert_close(got, want)
    assert got.dtype == torch.float64
    assert got.sum(-1).abs().max() < 1e-12


def test_rloo_constant_group_is_exactly_zero_and_no_overflow():
    """A constant group gives exact zeros, also for rewards near the fp32 maximum."""
    r = torch.tensor([[3e38, 3e38, 3e38], [1.0, 1.0, 1.0]])
    assert torch.equal(pc.rloo_advantages(r), torch.zeros(2, 3))


@pytest.mark.parametrize(
    "bad, match",
    [
        (torch.ones(4), "rewards"),
        (torch.ones(3, 1), "n >= 2"),
        (torch.tensor([[1.0, float("nan")]]), "rewards"),
        (torch.ones(2, 2, dtype=torch.long), "rewards"),
    ],
)
def test_rloo_bad_input_names_the_argument(bad, match):
    """Bad shapes, NaN and integer rewards raise an error naming 'rewards'."""
    with pytest.raises((ValueError, TypeError), match=match):
        pc.rloo_advantages(bad)


def test_bt_loss_matches_the_formula_and_log2_at_ties():
    """BT loss = mean of log(1 + exp(-(rc - rr - m))); equal rewards give log 2."""
    rc, rr = torch.tensor([1.0, -0.5, 3.0]), torch.tensor([0.0, 0.5, 3.5])
    want = torch.log1p(torch.exp(-(rc - rr))).mean()
    torch.testing.assert_close(pc.bradley_terry_loss(rc, rr), want)
    torch.testing.assert_close(pc.bradley_terry_loss(rc, rc), torch.tensor(math.log(2.0)))
    m = torch.tensor([0.5, 0.0, 1.0])
    torch.testing.assert_close(
        pc.bradley_terry_loss(rc, rr, m), torch.log1p(torch.exp(-(rc - rr - m))).mean()
    )
    torch.testing.assert_close(
        pc.bradley_terry_loss(rc, rr, 0.5), torch.log1p(torch.exp(-(rc - rr - 0.5))).mean()
    )


def test_bt_loss_gradient_is_sigmoid_of_minus_the_gap():
    """d loss / d r_chosen = -sigmoid(-(rc - rr)) / P, and the rejected side gets the opposite."""
    rc = torch.tensor([1.0, -2.0], requires_grad=True)
    rr = torch.tensor([0.0, 1.0], requires_grad=True)
    pc.bradley_terry_loss(rc, rr).backward()
    g = torch.sigmoid(-(rc - rr)).detach() / 2
    torch.testing.assert_close(rc.grad, -g)
    torch.testing.assert_close(rr.grad, g)


def test_bt_loss_is_stable_for_a_huge_wrong_way_gap():
    """A gap of -1e4 gives the finite loss 1e4 (logsigmoid), not inf."""
    loss = pc.bradley_terry_loss(torch.tensor([0.0]), torch.tensor([1e4]))
    assert torch.isfinite(loss) and abs(loss.item() - 1e4) < 1e-2


@pytest.mark.parametrize(
    "args, match",
    [
        ((torch.ones(2), torch.ones(3)), "rejected_rewards"),
        ((torch.ones(0), torch.ones(0)), "chosen_rewards"),
        ((torch.tensor([float("inf")]), torch.ones(1)), "chosen_rewards"),
        ((torch.ones(2), torch.ones(2), -1.0), "margin"),
        ((torch.ones(2), torch.ones(2), torch.tensor([0.0, -1.0])), "margin"),
        (([1.0], torch.ones(1)), "chosen_rewards"),
    ],
)
def test_bt_loss_bad_input_names_the_argument(args, match):
    """Mismatched shapes, empty or non-finite rewards, negative margins raise naming the argument."""
    with pytest.raises((ValueError, TypeError), match=match):
        pc.bradley_terry_loss(*args)
