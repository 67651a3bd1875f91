"""The library-defaults table of chapter 8 stays true of the package: each row that names a
ptcourse call is checked against the library's own formula, written out here from its source
(TRL f2cd577, verl b178a3c, OpenRLHF 3c3be62)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ptcourse as pc
from ptcourse.course.library_defaults import ROWS, SOURCES, html_table, markdown_table

GEN = torch.Generator().manual_seed(0)


def _trl_advantages(rewards: torch.Tensor, scale: str) -> torch.Tensor:
    """TRL grpo_trainer: group mean; nanstd (Bessel) of the group or of the batch; + 1e-4."""
    g, n = rewards.shape
    flat = rewards.reshape(-1)
    mean = flat.view(-1, n).mean(1).repeat_interleave(n)
    if scale == "batch":
        std = flat.std().expand_as(flat)
    else:
        std = flat.view(-1, n).std(1).repeat_interleave(n)
    adv = flat - mean
    if scale != "none":
        adv = adv / (std + 1e-4)
    return adv.view(g, n)


def _verl_agg_loss(loss_mat, loss_mask, mode):
    """verl core_algos.agg_loss with dp_size=1 and no global counts."""
    if mode == "token-mean":
        return (loss_mat * loss_mask).sum() / loss_mask.sum()
    seq_mask = (loss_mask.sum(-1) > 0).float()
    if mode == "seq-mean-token-sum":
        seq = (loss_mat * loss_mask).sum(-1)
    else:
        seq = (loss_mat * loss_mask).sum(-1) / (loss_mask.sum(-1) + 1e-8)
    return (seq * seq_mask).sum() / seq_mask.sum()


def _verl_low_var_kl(logprob, ref_logprob):
    """verl kl_penalty_forward(..., "low_var_kl")."""
    kl = (ref_logprob - logprob).clamp(-20, 20)
    return (kl.exp() - kl - 1).clamp(-10, 10)


def _openrlhf_kl(log_probs, log_probs_base, est):
    """OpenRLHF compute_approx_kl."""
    r = log_probs - log_probs_base
    if est == "k2":
        r = r**2 / 2.0
    elif est == "k3":
        r = (-r).exp() - 1 + r
    return r.clamp(-10, 10)


def _logps(*shape):
    return -torch.rand(*shape, generator=GEN, dtype=torch.float64) * 3  # in [-3, 0]


def check_trl_scale_rewards():
    r = torch.rand(4, 6, generator=GEN, dtype=torch.float64)
    r[1] = 0.5  # a constant group
    for scale in ("group", "batch", "none"):
        torch.testing.assert_close(pc.grpo_advantages(r, scale=scale), _trl_advantages(r, scale))


def check_verl_loss_agg_mode():
    loss = torch.randn(5, 7, generator=GEN, dtype=torch.float64)
    mask = torch.rand(5, 7, generator=GEN) < 0.6
    mask[2] = False  # a fully masked answer is left out of the seq means
    mask[0, 0] = True
    for mode in pc.aggregation.LOSS_AGG_MODES:
        torch.testing.assert_close(
            pc.aggregate_loss(loss, mask, mode), _verl_agg_loss(loss, mask.double(), mode)
        )


def check_trl_loss_type():
    """TRL "grpo" is verl's seq-mean-token-mean; "dapo" is token-mean over the accumulated batch."""
    check_verl_loss_agg_mode()
    loss, mask = (
        torch.randn(4, 5, generator=GEN, dtype=torch.float64),
        torch.rand(4, 5, generator=GEN) < 0.7,
    )
    mask[:, 0] = True
    trl_grpo = ((loss * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
    torch.testing.assert_close(pc.aggregate_loss(loss, mask, "seq-mean-token-mean"), trl_grpo)
    halves = [(loss[:2], mask[:2]), (loss[2:], mask[2:])]  # two microbatches
    dapo = sum(pc.aggregate_loss(x, m, num_tokens=int(mask.sum())) for x, m in halves)
    torch.testing.assert_close(dapo, (loss * mask).sum() / mask.sum())


def check_kl_k3():
    """TRL's per_token_kl and verl's low_var_kl equal pc's k3 where no clamp binds."""
    logp, ref = _logps(50), _logps(50)
    trl = torch.exp(ref - logp) - (ref - logp) - 1
    torch.testing.assert_close(pc.kl_estimate(logp, ref, kind="k3"), trl)
    torch.testing.assert_close(pc.kl_estimate(logp, ref, kind="k3"), _verl_low_var_kl(logp, ref))
    far = torch.tensor([0.0], dtype=torch.float64), torch.tensor([15.0], dtype=torch.float64)
    assert _verl_low_var_kl(*far).item() == 10.0 < pc.kl_estimate(*far, kind="k3").item()


def check_openrlhf_kl():
    logp, ref = _logps(50), _logps(50)
    for kind in ("k1", "k2", "k3"):
        torch.testing.assert_close(
            pc.kl_estimate(logp, ref, kind=kind), _openrlhf_kl(logp, ref, kind)
        )


def check_verl_kl_reward():
    logp, ref = _logps(3, 4), _logps(3, 4)
    mask = torch.ones(3, 4, dtype=torch.bool)
    scores = torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64)
    got = pc.kl_penalized_rewards(scores, logp, ref, mask, 0.001, kind="k1")
    want = -0.001 * (logp - ref)  # verl: token_level_scores - beta * kld, score at the last token
    want[:, -1] += scores
    torch.testing.assert_close(got, want.to(got.dtype))


def check_clip():
    """TRL/OpenRLHF clip defaults: epsilon 0.2, epsilon_high None (= epsilon) is ppo_clip_loss's default."""
    import inspect

    sig = inspect.signature(pc.ppo_clip_loss).parameters
    assert sig["clip_eps"].default == 0.2 and sig["clip_eps_high"].default is None


def check_trl_ipo():
    """TRL DPOTrainer loss_type="ipo": (chosen/len_c - rejected/len_r - 1/(2 beta))^2, mean."""
    pc_, pr, rc, rr = (_logps(6) * 5 for _ in range(4))
    nc, nr = torch.randint(1, 9, (6,), generator=GEN), torch.randint(1, 9, (6,), generator=GEN)
    beta = 0.1
    want = (((pc_ - rc) / nc - (pr - rr) / nr - 1 / (2 * beta)) ** 2).mean()
    got = pc.ipo_loss(pc_, pr, rc, rr, beta, chosen_tokens=nc, rejected_tokens=nr)
    torch.testing.assert_close(got, want)


def check_verl_grpo_std():
    """verl compute_grpo_outcome_advantage: torch.std (Bessel) of the group, + 1e-6."""
    r = torch.rand(3, 5, generator=GEN, dtype=torch.float64)
    want = (r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-6)
    torch.testing.assert_close(pc.grpo_advantages(r, scale="group", eps=1e-6), want)
    torch.testing.assert_close(pc.grpo_advantages(r, scale="none"), r - r.mean(1, keepdim=True))


CHECKS = {
    "verl_grpo_std": check_verl_grpo_std,
    "trl_beta": check_kl_k3,
    "trl_loss_type": check_trl_loss_type,
    "trl_scale_rewards": check_trl_scale_rewards,
    "trl_epsilon": check_clip,
    "trl_epsilon_high": check_clip,
    "trl_ipo": check_trl_ipo,
    "verl_loss_agg_mode": check_verl_loss_agg_mode,
    "verl_kl_loss": check_kl_k3,
    "verl_kl_reward": check_verl_kl_reward,
    "openrlhf_kl": check_openrlhf_kl,
    "openrlhf_clip": check_clip,
}


def test_every_implemented_row_has_a_check():
    """A row that names a ptcourse call has a check below, and every check names a row."""
    implemented = {r["id"] for r in ROWS if r["ptcourse"]}
    assert implemented == set(CHECKS)


@pytest.mark.parametrize("row_id", sorted(CHECKS))
def test_implemented_rows_match_the_library_formula(row_id):
    """The package call of each row computes what the library's source computes."""
    CHECKS[row_id]()


def test_table_renders_every_row_with_its_source():
    """The chapter's table has one line per row and names each library's commit."""
    lines = markdown_table().splitlines()
    assert len(lines) == 2 + len(ROWS)
    for lib, (_, commit, _) in SOURCES.items():
        assert any(lib in line and commit in line for line in lines[2:])
    rows = html_table().split("<tr>")[2:]  # the chapter shows the HTML form
    assert len(rows) == len(ROWS) and all(
        r["setting"].split(" ")[0] in h for r, h in zip(ROWS, rows, strict=True)
    )


def test_the_chapter_keeps_three_rows_and_the_appendix_the_whole_table():
    """Chapter 08 shows SURPRISES; the appendix page renders every row through the directive."""
    from ptcourse.course.library_defaults import SURPRISES

    assert html_table(SURPRISES).count("<tr>") == 1 + len(SURPRISES) == 4
    with pytest.raises(ValueError, match="'ids' names no row"):
        html_table(["no_such_row"])
    root = Path(__file__).resolve().parents[2]
    assert "```{library-defaults} all" in (root / "book" / "library_defaults.md").read_text()
    assert "html_table(SURPRISES)" in (root / "book" / "08_preferences_in_practice.md").read_text()
