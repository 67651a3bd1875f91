"""ptcourse against verl's functions, through golden values that verl computed (verl_golden.json).

verl does not fit the course's lock (see make_verl_golden.py, which regenerates the file in a
scratch venv), so these tests need neither verl nor TRL and always run. Each compares a
``ptcourse`` call with verl's output on the same fixed inputs, stored in the file:

* GRPO outcome advantages (std epsilon 1e-6; TRL's is 1e-4) and RLOO advantages;
* ``kl_penalty`` k1 / k2 / k3 (``low_var_kl``) and its clamps: log r to [-20, 20], k3 to
  [-10, 10], where ptcourse returns the true value; the straight-through ``k3+``;
* ``agg_loss`` in its five modes, with and without the global token and answer counts;
* ``entropy_from_logits`` and ``logprobs_from_logits``, with logits of 1e4 and -inf entries.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import ptcourse as pc

pytestmark = pytest.mark.oracle

GOLDEN = json.loads(Path(__file__).with_name("verl_golden.json").read_text())
VERL_GRPO_EPS = 1e-6  # compute_grpo_outcome_advantage(epsilon=1e-6)
TRL_GRPO_EPS = 1e-4
FP32 = dict(rtol=2e-6, atol=2e-6)


def _t(x, dtype=torch.float32):
    def conv(v):
        if isinstance(v, list):
            return [conv(u) for u in v]
        return float(v)  # "nan", "inf", "-inf" included

    return torch.tensor(conv(x), dtype=dtype)


def test_golden_file_names_its_source():
    """The file records verl's version, wheel hash and the commit its functions come from."""
    assert GOLDEN["verl_version"] == "0.9.1"
    assert len(GOLDEN["verl_wheel_sha256"]) == 64
    assert "483b8a0" in GOLDEN["source"]["functions_identical_to_commit"]


def test_grpo_advantages_match_verl_with_its_epsilon():
    """pc.grpo_advantages(eps=1e-6) = verl's compute_grpo_outcome_advantage (loop and vectorized)."""
    g = GOLDEN["grpo"]
    r = _t(g["rewards"])
    ours = pc.grpo_advantages(r, eps=VERL_GRPO_EPS).flatten()
    torch.testing.assert_close(ours, _t(g["advantages_norm_True"]), **FP32)
    torch.testing.assert_close(ours, _t(g["vectorized_advantages_norm_True"]), **FP32)
    assert g["epsilon_default"] == VERL_GRPO_EPS


def test_grpo_epsilon_differs_between_trl_and_verl():
    """Where the libraries differ: on a group of std 1e-5, TRL's epsilon (1e-4) shrinks the
    advantages about tenfold against verl's (1e-6); on a group of std about 1 they agree to 1e-4.
    """
    g = GOLDEN["grpo"]
    r = _t(g["rewards"])
    verl = _t(g["advantages_norm_True"]).view_as(r)
    trl_like = pc.grpo_advantages(r, eps=TRL_GRPO_EPS)
    tiny = 2  # the group of rewards 0, 1e-5, 2e-5, 0 (std 9.6e-6)
    ratio = (verl[tiny] / trl_like[tiny]).abs()
    std = r[tiny].std().item()
    assert ratio.mean().item() == pytest.approx(
        (std + TRL_GRPO_EPS) / (std + VERL_GRPO_EPS), rel=1e-4
    )
    assert ratio.min().item() > 9.0
    torch.testing.assert_close(trl_like[0], verl[0], rtol=2e-4, atol=2e-4)


def test_dr_grpo_and_rloo_match_verl():
    """norm_adv_by_std_in_grpo=False is pc's scale="none"; verl's RLOO is n/(n-1) (r - mean)."""
    g = GOLDEN["grpo"]
    r = _t(g["rewards"])
    torch.testing.assert_close(
        pc.grpo_advantages(r, scale="none").flatten(), _t(g["advantages_norm_False"]), **FP32
    )
    torch.testing.assert_close(pc.rloo_advantages(r).flatten(), _t(g["rloo_advantages"]), **FP32)


def _kl_inputs():
    k = GOLDEN["kl_penalty"]
    logp, ref = _t(k["logprob"]), _t(k["ref_logprob"])
    return k, logp, ref, (ref.double() - logp.double())


def test_kl_estimators_match_verl_where_unclamped():
    """verl's "kl" (k1), "mse" (k2) and "low_var_kl" (k3) are pc.kl_estimate(logp, ref_logp, kind).

    k1 everywhere, k2 everywhere, k3 where |log r| <= ~2.4 (below verl's clamp of k3 at 10).
    """
    k, logp, ref, log_r = _kl_inputs()
    v = k["values"]
    torch.testing.assert_close(pc.kl_estimate(logp, ref, "k1"), _t(v["kl"]), **FP32)
    torch.testing.assert_close(pc.kl_estimate(logp, ref, "k1"), _t(v["k1"]), **FP32)
    torch.testing.assert_close(pc.kl_estimate(logp, ref, "k2"), _t(v["mse"]), **FP32)
    ours = pc.kl_estimate(logp, ref, "k3")
    small = ours < 10
    assert small.sum() >= 4
    torch.testing.assert_close(ours[small], _t(v["low_var_kl"])[small], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(_t(v["k3"]), _t(v["low_var_kl"]))


def test_verl_clamps_k3_at_10_where_pc_returns_the_true_value():
    """At a log-ratio of 29 verl's k3 is 10; the estimate is e^29 - 1 - 29 = 3.9e12 (pc's value).

    verl first clamps log r to [-20, 20], then k3 to [-10, 10]; at log r = -29 the true k3 is
    28, verl's 10 again. ptcourse does not clamp (its kl_estimate refuses only a value the
    dtype cannot hold).
    """
    k, logp, ref, log_r = _kl_inputs()
    verl = _t(k["values"]["low_var_kl"])
    ours = pc.kl_estimate(logp, ref, "k3")
    at29 = int(torch.nonzero(log_r.round() == 29)[0])
    assert verl[at29].item() == 10.0
    assert ours[at29].item() == pytest.approx(math.expm1(29) - 29, rel=1e-6)
    assert ours[at29].item() > 3.9e12
    at_minus29 = int(torch.nonzero(log_r.round() == -29)[0])
    assert verl[at_minus29].item() == 10.0
    assert ours[at_minus29].item() == pytest.approx(math.exp(-29) + 29 - 1, rel=1e-6)
    clamped = ours > 10
    assert (verl[clamped] == 10).all() and (verl[~clamped] < 10).all()


def test_kl_gradients_match_verl_and_the_straight_through_k3plus():
    """d k3 / d logp as verl computes it: pc's where unclamped, 0 where verl clamps.

    verl's "k3+" keeps k3's value with k2's gradient (logp - ref_logp), which is pc's k2 gradient.
    """
    k, logp, ref, _ = _kl_inputs()
    grads = {}
    for kind in ("k1", "k2", "k3"):
        lp = logp.clone().requires_grad_()
        (grads[kind],) = torch.autograd.grad(pc.kl_estimate(lp, ref, kind).sum(), lp)
    verl = {kind: _t(g) for kind, g in k["grad_logprob"].items()}
    torch.testing.assert_close(grads["k1"], verl["k1"])
    torch.testing.assert_close(grads["k2"], verl["k2"], **FP32)
    torch.testing.assert_close(grads["k2"], verl["k3+"], **FP32)
    torch.testing.assert_close(_t(k["values"]["k3+"]), _t(k["values"]["low_var_kl"]))
    clamped = pc.kl_estimate(logp, ref, "k3") > 10
    assert (verl["k3"][clamped] == 0).all()
    torch.testing.assert_close(grads["k3"][~clamped], verl["k3"][~clamped], rtol=1e-5, atol=1e-6)


def test_agg_loss_modes_match_verl():
    """verl's agg_loss modes through pc.aggregate_loss (one answer fully masked).

    token-mean, seq-mean-token-sum and seq-mean-token-mean are pc's modes; verl's
    seq-mean-token-sum-norm is seq-mean-token-sum over the padded length T (Dr. GRPO's
    constant), and token-sum is the token mean with ``num_tokens=1``.
    """
    a = GOLDEN["agg_loss"]
    loss, mask = _t(a["loss_mat"]), _t(a["loss_mask"])
    v = a["values"]
    for mode in ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean"):
        assert pc.aggregate_loss(loss, mask, mode).item() == pytest.approx(v[mode], rel=1e-6)
    T = loss.shape[1]
    norm = pc.aggregate_loss(loss, mask, "seq-mean-token-sum") / T
    assert norm.item() == pytest.approx(v["seq-mean-token-sum-norm"], rel=1e-6)
    token_sum = pc.aggregate_loss(loss, mask, "token-mean", num_tokens=1)
    assert token_sum.item() == pytest.approx(v["token-sum"], rel=1e-6)
    # the modes really differ on this batch, so each comparison pins one convention
    assert len({round(x, 6) for x in v.values()}) == len(v)


def test_agg_loss_global_counts_match_verl():
    """batch_num_tokens / global_batch_size are pc's num_tokens / num_seqs (gradient accumulation)."""
    g = GOLDEN["agg_loss"]["global"]
    a = GOLDEN["agg_loss"]
    loss, mask = _t(a["loss_mat"]), _t(a["loss_mask"])
    n_tok, n_seq = g["batch_num_tokens"], g["global_batch_size"]
    v = g["values"]
    ours = pc.aggregate_loss(loss, mask, "token-mean", num_tokens=n_tok).item()
    assert ours == pytest.approx(v["token-mean"], rel=1e-6)
    for mode in ("seq-mean-token-sum", "seq-mean-token-mean"):
        ours = pc.aggregate_loss(loss, mask, mode, num_seqs=n_seq).item()
        assert ours == pytest.approx(v[mode], rel=1e-6)


def test_entropy_and_logprobs_match_verl():
    """verl's entropy_from_logits (and its chunked form) and logprobs_from_logits against pc."""
    e = GOLDEN["entropy_logprobs"]
    logits, large, labels = _t(e["logits"]), _t(e["large"]), torch.tensor(e["labels"])
    torch.testing.assert_close(pc.entropy(logits), _t(e["entropy"]), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(pc.entropy(logits), _t(e["entropy_chunked"]), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(pc.entropy(large), _t(e["entropy_large"]), rtol=0, atol=1e-6)
    lp = pc.token_logprobs(logits, labels)
    torch.testing.assert_close(lp, _t(e["logprobs"]), rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(
        pc.token_logprobs(large, labels[:3]), _t(e["logprobs_large"]), rtol=1e-6, atol=1e-3
    )


def test_minus_inf_logits_verl_entropy_nan_pc_finite():
    """A -inf logit: verl's entropy_from_logits gives NaN (softmax 0 times logit -inf), pc a
    finite entropy, that of the other tokens; the log-probs of the other tokens agree.
    """
    e = GOLDEN["entropy_logprobs"]
    x = _t(e["with_minus_inf"])
    labels = torch.tensor(e["labels"][:2])
    assert all(v == "nan" for v in e["entropy_with_minus_inf"])
    ours = pc.entropy(x)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, pc.entropy(x[:, 1:]), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(
        pc.token_logprobs(x, labels), _t(e["logprobs_with_minus_inf"]), rtol=1e-6, atol=1e-5
    )
