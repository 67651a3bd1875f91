"""ptcourse against what TRL's trainers compute and log, on a tiny random Llama (seconds each).

Each test runs TRL's own trainer (SFTTrainer, DPOTrainer, GRPOTrainer) for one to four steps
on the tiny model of ``oracle_support.build_tiny``, records the batch and the logits the trainer
saw, and recomputes with ``ptcourse`` what the trainer returned and logged:

* SFT: the loss is ``pc.sft_loss`` with ``average="token"``; with gradient accumulation,
  ``num_items_in_batch`` (the kept tokens of *all* micro-batches of the step) is the denominator
  of every micro-batch's token sum, so the logged step loss is the token mean of the whole step.
* DPO: at initialisation the loss is ln 2 (sigmoid) and 1/(4 beta^2) (IPO, TRL's beta being
  IPO's tau); after a step, the loss is ``pc.dpo_loss`` / ``pc.ipo_loss`` with TRL's length
  normalisation (``chosen_tokens=``, ``rejected_tokens=``), and ``rewards/chosen``,
  ``rewards/rejected`` are beta times pc's sequence log-ratios.
* GRPO: the advantages are ``pc.grpo_advantages(eps=1e-4)``, the ``kl`` metric is the masked
  mean of ``pc.kl_estimate(logp, ref_logp, "k3")``, ``entropy`` of ``pc.token_stats``, the clip
  ratios those of ``pc.ppo_clip_loss`` (a clipped token is one whose gradient is 0), and the
  loss is 0 at the first step, because the ratio is 1 (``old_per_token_logps`` is the detached
  current log-prob) and each group's advantages sum to 0.

TRL's configs default to ``bf16=True`` (autocast, also on CPU); these runs set ``bf16=False``,
so the policy and its reference compute in fp32 and "exactly ln 2" is exact to fp32 rounding.
"""

from __future__ import annotations

import math

import oracle_support as S
import pytest
import torch

import ptcourse as pc

trl = S.Lazy("trl")
datasets = S.Lazy("datasets")

pytestmark = [pytest.mark.oracle, pytest.mark.xdist_group("oracle")]

GRPO_STD_EPS = 1e-4  # TRL: advantages / (std_rewards + 1e-4)
FP32 = dict(rtol=2e-6, atol=2e-6)


# ----------------------------------------------------------------------------------------- SFT


@pytest.fixture(scope="module")
def sft_run(tiny_model_dir, tmp_path_factory):
    """One optimizer step of SFTTrainer over two micro-batches of 2 (gradient accumulation 2)."""
    ds = datasets.Dataset.from_dict(
        {
            "prompt": ["the cat", "a dog ran", "the big red", "is"],
            "completion": [" sat on the mat", " on a log", " cat", " yes and no or yes up down"],
        }
    )
    args = S.quiet_args(
        trl.SFTConfig,
        tmp_path_factory.mktemp("sft"),
        max_steps=1,
        per_device_train_batch_size=2,
        gradient_accumulation_steps=2,
        learning_rate=1e-3,
    )
    trainer = trl.SFTTrainer(model=str(tiny_model_dir), args=args, train_dataset=ds)
    seen = []
    original = trainer.compute_loss

    def recording(model, inputs, return_outputs=False, num_items_in_batch=None):
        with torch.no_grad():
            logits = model(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
            ).logits
        loss = original(model, inputs, return_outputs, num_items_in_batch)
        seen.append(
            dict(
                logits=logits.float(),
                labels=inputs["labels"].clone(),
                num_items=num_items_in_batch,
                loss=loss.detach().clone(),
            )
        )
        return loss

    trainer.compute_loss = recording
    trainer.train()
    trainer.compute_loss = original
    return trainer, seen


def test_sft_loss_is_pc_sft_loss_token_average(sft_run):
    """SFTTrainer.compute_loss without num_items_in_batch = pc.sft_loss(average="token")."""
    trainer, seen = sft_run
    batch = next(iter(trainer.get_train_dataloader()))
    model = trainer.model.eval()
    with torch.no_grad():
        theirs = trainer.compute_loss(model, dict(batch))
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    torch.testing.assert_close(theirs, pc.sft_loss(logits, batch["labels"]), **FP32)
    assert not torch.allclose(theirs, pc.sft_loss(logits, batch["labels"], average="sequence"))


def test_sft_num_items_in_batch_is_the_step_token_count(sft_run):
    """With gradient accumulation each micro-batch's token sum is divided by the step's count.

    ``num_items_in_batch`` is the number of kept labels (after the causal shift) in *all*
    micro-batches of the optimizer step; the logged loss, the sum of the micro-batch losses, is
    then the token mean of the whole step: pc's token-averaged SFT loss of the step, not the
    mean of the micro-batches' own token means (the pre-2024 gradient-accumulation bug).
    """
    trainer, seen = sft_run
    assert len(seen) == 2
    kept = [int((s["labels"][:, 1:] != -100).sum()) for s in seen]
    assert kept[0] != kept[1]  # unequal micro-batches, so the two averages differ
    for s in seen:
        assert int(s["num_items"]) == sum(kept)
    ours = [pc.sft_loss(s["logits"], s["labels"]) for s in seen]
    step_token_mean = sum(o * k for o, k in zip(ours, kept, strict=True)) / sum(kept)
    for s, o, k in zip(seen, ours, kept, strict=True):
        torch.testing.assert_close(s["loss"], o * k / sum(kept), **FP32)
    logged = trainer.state.log_history[0]["loss"]
    assert logged == pytest.approx(step_token_mean.item(), rel=1e-5)
    assert logged != pytest.approx(((ours[0] + ours[1]) / 2).item(), rel=1e-4)


def test_sft_entropy_metric_is_pc_entropy(sft_run):
    """The logged ``entropy`` is the mean of pc.entropy over the kept (label) positions."""
    trainer, _ = sft_run
    batch = next(iter(trainer.get_train_dataloader()))
    model = trainer.model.eval()
    trainer._metrics["eval"].clear()
    with torch.no_grad():
        trainer.compute_loss(model, dict(batch))
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    keep = batch["labels"][:, 1:] != -100
    ours = pc.entropy(logits[:, :-1])[keep].mean().item()
    assert trainer._metrics["eval"]["entropy"][-1] == pytest.approx(ours, rel=1e-5)


# ----------------------------------------------------------------------------------------- DPO

PAIRS = {
    "prompt": ["the cat", "a dog ran", "the big red", "is"],
    "chosen": [" sat on the mat", " on a log", " cat", " yes"],
    "rejected": [" ran", " no no no", " dog is small", " no and or"],
}
BETA = 0.1


def _dpo(tiny_model_dir, tmp_path_factory, loss_type):
    args = S.quiet_args(
        trl.DPOConfig,
        tmp_path_factory.mktemp(f"dpo-{loss_type}"),
        max_steps=1,
        per_device_train_batch_size=4,
        learning_rate=5e-2,
        beta=BETA,
        loss_type=[loss_type],
    )
    trainer = trl.DPOTrainer(
        model=str(tiny_model_dir), args=args, train_dataset=datasets.Dataset.from_dict(PAIRS)
    )
    batch = next(iter(trainer.get_train_dataloader()))
    return trainer, batch


def _pc_sequence_logps(model, batch):
    """pc.sequence_logprob of each completion: the batch is [chosen; rejected], completion_mask marks them."""
    ids, mask = batch["input_ids"], batch["completion_mask"][:, 1:].bool()
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=batch["attention_mask"]).logits
    logp = pc.sequence_logprob(logits[:, :-1], ids[:, 1:], mask)
    return logp.chunk(2), mask.sum(-1).to(logp.dtype).chunk(2)


@pytest.fixture(scope="module", params=["sigmoid", "ipo"])
def dpo_run(request, tiny_model_dir, tmp_path_factory):
    """DPOTrainer's loss at initialisation, then one step, then its loss and metrics on one batch."""
    trainer, batch = _dpo(tiny_model_dir, tmp_path_factory, request.param)
    trainer.model.eval()
    with torch.no_grad():
        init_loss = trainer.compute_loss(trainer.model, dict(batch)).item()
    trainer.train()
    trainer.model.eval()
    trainer._metrics["eval"].clear()
    with torch.no_grad():
        loss = trainer.compute_loss(trainer.model, dict(batch))
    metrics = {k: v[-1] for k, v in trainer._metrics["eval"].items() if v}
    return request.param, trainer, batch, init_loss, loss, metrics


def test_dpo_loss_at_initialisation(dpo_run):
    """Policy = reference: the DPO loss is ln 2 and the IPO loss 1/(4 beta^2) (= 25 at beta 0.1).

    As pc computes it: ``pc.dpo_loss`` and ``pc.ipo_loss`` of equal log-probabilities.
    """
    loss_type, _, _, init_loss, _, _ = dpo_run
    lp = torch.tensor([-5.0, -7.0, -3.0, -9.0])
    if loss_type == "sigmoid":
        assert init_loss == pytest.approx(math.log(2), rel=1e-7)
        assert pc.dpo_loss(lp, lp, lp, lp, beta=BETA).item() == pytest.approx(init_loss, rel=1e-7)
    else:
        assert init_loss == pytest.approx(1 / (4 * BETA**2), rel=1e-7)
        assert pc.ipo_loss(lp, lp, lp, lp, tau=BETA).item() == pytest.approx(init_loss, rel=1e-7)


def test_dpo_loss_after_a_step_is_pc_loss(dpo_run):
    """After one step the policy moved: TRL's loss is pc's, with IPO's per-token normalisation.

    TRL's IPO divides each log-ratio by its completion's token count (dpo_trainer.py, "we
    therefore normalize by the number of completion tokens"): pc.ipo_loss with
    ``chosen_tokens=`` / ``rejected_tokens=``; without them the value differs.
    """
    loss_type, trainer, batch, _, loss, _ = dpo_run
    (pol_c, pol_r), (n_c, n_r) = _pc_sequence_logps(trainer.model, batch)
    (ref_c, ref_r), _ = _pc_sequence_logps(trainer.ref_model, batch)
    assert not torch.equal(pol_c, ref_c)  # the step moved the policy
    if loss_type == "sigmoid":
        ours = pc.dpo_loss(pol_c, pol_r, ref_c, ref_r, beta=BETA)
    else:
        ours = pc.ipo_loss(
            pol_c, pol_r, ref_c, ref_r, tau=BETA, chosen_tokens=n_c, rejected_tokens=n_r
        )
        unnormalised = pc.ipo_loss(pol_c, pol_r, ref_c, ref_r, tau=BETA)
        assert not torch.allclose(unnormalised, loss, rtol=1e-3)
    torch.testing.assert_close(loss, ours, rtol=1e-5, atol=1e-6)


def test_dpo_logged_rewards_are_beta_times_pc_log_ratios(dpo_run):
    """``rewards/chosen`` / ``rewards/rejected`` = beta * (log pi - log pi_ref), pc's sequence log-probs.

    Also ``logps/chosen`` and ``rewards/margins``; the same beta for IPO (TRL logs beta times the
    un-normalised log-ratio whatever the loss type).
    """
    _, trainer, batch, _, _, metrics = dpo_run
    (pol_c, pol_r), _ = _pc_sequence_logps(trainer.model, batch)
    (ref_c, ref_r), _ = _pc_sequence_logps(trainer.ref_model, batch)
    chosen, rejected = BETA * (pol_c - ref_c), BETA * (pol_r - ref_r)
    assert metrics["rewards/chosen"] == pytest.approx(chosen.mean().item(), rel=1e-5, abs=1e-7)
    assert metrics["rewards/rejected"] == pytest.approx(rejected.mean().item(), rel=1e-5, abs=1e-7)
    margins = (chosen - rejected).mean().item()
    assert metrics["rewards/margins"] == pytest.approx(margins, rel=1e-5, abs=1e-7)
    assert metrics["logps/chosen"] == pytest.approx(pol_c.mean().item(), rel=1e-6)


# ---------------------------------------------------------------------------------------- GRPO

PROMPTS = ["the cat", "a dog ran", "the big red", "is"] * 4
N_GEN = 4


def _toy_reward(completions, **kwargs):
    """+1 per "yes", -0.1 per word: groups whose answers differ in length get spread rewards."""
    return [float(c.split().count("yes")) - 0.1 * len(c.split()) for c in completions]


def _grpo(tiny_model_dir, out, **kw):
    """Run GRPOTrainer, recording each generation (rewards, advantages) and each loss call."""
    args = S.quiet_args(
        trl.GRPOConfig,
        out,
        per_device_train_batch_size=8,
        num_generations=N_GEN,
        max_completion_length=6,
        beta=0.04,
        **kw,
    )
    rewards_seen = []

    def reward(completions, **kwargs):
        r = _toy_reward(completions)
        rewards_seen.append(r)
        return r

    trainer = trl.GRPOTrainer(
        model=str(tiny_model_dir),
        reward_funcs=reward,
        args=args,
        train_dataset=datasets.Dataset.from_dict({"prompt": PROMPTS}),
    )
    generations, steps = [], []
    generate, compute = trainer._generate_and_score_completions, trainer._compute_loss

    def recording_generate(inputs):
        out = generate(inputs)
        generations.append(dict(rewards=torch.tensor(rewards_seen[-1]), out=out))
        return out

    def recording_compute(model, inputs):
        ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
        attn = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
        t = inputs["completion_ids"].shape[1]
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=attn).logits[:, -t - 1 : -1]
            ref = trainer.ref_model(input_ids=ids, attention_mask=attn).logits[:, -t - 1 : -1]
        loss = compute(model, inputs)
        steps.append(
            dict(
                inputs={k: v.clone() if torch.is_tensor(v) else v for k, v in inputs.items()},
                logits=logits.float(),
                ref_logits=ref.float(),
                loss=loss.detach().clone(),
            )
        )
        return loss

    trainer._generate_and_score_completions = recording_generate
    trainer._compute_loss = recording_compute
    trainer.train()
    logs = [h for h in trainer.state.log_history if "kl" in h]
    return trainer, generations, steps, logs


@pytest.fixture(scope="module")
def grpo_run(tiny_model_dir, tmp_path_factory):
    """Three GRPO steps, loss_type "grpo" (mean over answers of token means), one pass per batch."""
    return _grpo(
        tiny_model_dir, tmp_path_factory.mktemp("grpo"), max_steps=3, loss_type="grpo",
        learning_rate=1e-2,
    )  # fmt: skip


@pytest.fixture(scope="module")
def grpo_clip_run(tiny_model_dir, tmp_path_factory):
    """Four steps, two passes over each generation (num_iterations=2), a small clip: ratios != 1.

    loss_type is TRL's default, "dapo": the token sum over ``num_items_in_batch`` (the kept
    tokens of the generation batch; one accumulation step here).
    """
    return _grpo(
        tiny_model_dir, tmp_path_factory.mktemp("grpo-clip"), max_steps=4, loss_type="dapo",
        num_iterations=2, epsilon=0.02, learning_rate=5e-2,
    )  # fmt: skip


def _stats(step):
    inp = step["inputs"]
    s = pc.token_stats(step["logits"], inp["completion_ids"], step["ref_logits"])
    mask = inp["completion_mask"].bool()
    return s, mask


def test_grpo_advantages_are_pc_grpo_advantages(grpo_run):
    """TRL's advantages = pc.grpo_advantages of the recorded rewards, groups of 4, std + 1e-4."""
    _, generations, _, _ = grpo_run
    assert generations
    for gen in generations:
        ours = pc.grpo_advantages(gen["rewards"].view(-1, N_GEN), eps=GRPO_STD_EPS).flatten()
        torch.testing.assert_close(gen["out"]["advantages"], ours, **FP32)


def test_grpo_loss_is_zero_at_the_first_step(grpo_run):
    """Why the GRPO loss is 0 at the first step, computed.

    With one pass per batch TRL sets ``old_per_token_logps = per_token_logps.detach()``: the
    ratio is exactly 1, the clipped surrogate is ``-A`` at every token, its mean over each
    answer's tokens is ``-A_i``, and the mean over answers is ``-mean(A)``, which is 0 because
    each group's advantages sum to 0. The KL term is 0 too: policy = reference at step 1. The
    gradient is not 0: d(ratio)/d(logp) = 1, so the step still moves the policy.
    """
    trainer, _, steps, logs = grpo_run
    first = steps[0]
    s, mask = _stats(first)
    adv = first["inputs"]["advantages"][:, None].expand_as(s.logp)
    assert "old_per_token_logps" not in first["inputs"]
    policy_term = pc.aggregate_loss(-adv, mask, "seq-mean-token-mean")
    assert abs(policy_term.item()) < 1e-6
    assert pc.kl_estimate(s.logp, s.ref_logp, "k3")[mask].abs().max().item() == 0.0
    assert abs(first["loss"].item()) < 1e-6
    assert logs[0]["loss"] == pytest.approx(0.0, abs=1e-6)
    assert logs[0]["grad_norm"] > 1e-3


def test_grpo_loss_kl_entropy_every_step(grpo_run):
    """Each step's loss, ``kl`` and ``entropy`` as pc recomputes them from the same batch.

    loss = seq-mean-token-mean of ``-A + beta * k3``; kl = masked mean of
    ``pc.kl_estimate(logp, ref_logp, "k3")`` (k3 with log r = log pi_ref - log pi: TRL's
    ``exp(ref - logp) - (ref - logp) - 1``); entropy = masked mean of pc's entropy.
    """
    trainer, _, steps, logs = grpo_run
    assert len(steps) == len(logs) == 3
    beta = trainer.beta
    for step, log in zip(steps, logs, strict=True):
        s, mask = _stats(step)
        torch.testing.assert_close(s.ref_logp[mask], step["inputs"]["ref_per_token_logps"][mask])
        k3 = pc.kl_estimate(s.logp, s.ref_logp, "k3")
        adv = step["inputs"]["advantages"][:, None].expand_as(k3)
        ours = pc.aggregate_loss(-adv + beta * k3, mask, "seq-mean-token-mean")
        torch.testing.assert_close(step["loss"], ours, rtol=1e-5, atol=1e-7)
        assert log["loss"] == pytest.approx(ours.item(), rel=1e-5, abs=1e-7)
        assert log["kl"] == pytest.approx(k3[mask].mean().item(), rel=1e-5, abs=1e-8)
        assert log["entropy"] == pytest.approx(s.entropy[mask].mean().item(), rel=1e-5)
    assert logs[-1]["kl"] > 0  # the policy left the reference


def test_grpo_kl_is_k3_not_k1_or_k2(grpo_run):
    """The logged kl is k3 in the (pi, pi_ref) direction, not k1, k2, nor k3 with the roles swapped."""
    _, _, steps, logs = grpo_run
    s, mask = _stats(steps[-1])
    logged = logs[-1]["kl"]
    k3 = pc.kl_estimate(s.logp, s.ref_logp, "k3")[mask].mean().item()
    assert logged == pytest.approx(k3, rel=1e-5)
    for other in (
        pc.kl_estimate(s.logp, s.ref_logp, "k1"),
        pc.kl_estimate(s.logp, s.ref_logp, "k2"),
        pc.kl_estimate(s.ref_logp, s.logp, "k3"),
    ):
        assert logged != pytest.approx(other[mask].mean().item(), rel=1e-3)


def test_grpo_clip_ratio_kl_and_loss_with_two_passes(grpo_clip_run):
    """num_iterations=2, clip 0.02: ratios leave [0.98, 1.02]; the logged clip ratios, kl and loss.

    A token counts as clipped (TRL's ``clip_ratio/region_mean``) exactly where pc.ppo_clip_loss
    gives it no gradient: ratio above 1 + eps with A > 0, or below 1 - eps with A < 0.

    TRL 1.x multiplies the k3 term by the ratio pi / pi_old (``use_bias_correction_kl=True`` by
    default, after DeepSeek-V3.2: its gradient is then the reverse KL's), in the loss *and* in the
    logged ``kl``: on the second pass over a batch the logged kl is the masked mean of
    ``ratio * k3``, not of k3. The loss (``dapo``) is the token sum over ``num_items_in_batch``:
    ``pc.ppo_clip_loss`` (a token mean) ``+ beta * aggregate_loss(ratio * k3, "token-mean",
    num_tokens=num_items_in_batch)``.
    """
    trainer, _, steps, logs = grpo_clip_run
    eps, beta = trainer.epsilon_low, trainer.beta
    assert trainer.args.use_bias_correction_kl is True
    assert len(steps) == len(logs) == 4
    clipped_any = off_policy = False
    for step, log in zip(steps, logs, strict=True):
        s, mask = _stats(step)
        inp = step["inputs"]
        old = inp.get("old_per_token_logps")
        assert old is not None  # two passes: TRL keeps the log-probs of the sampling policy
        adv = inp["advantages"][:, None].expand_as(s.logp)
        logp = s.logp.detach().requires_grad_()
        surrogate = pc.ppo_clip_loss(logp, old, adv, mask, clip_eps=eps)
        (grad,) = torch.autograd.grad(surrogate, logp)
        clipped = mask & (grad == 0) & (adv != 0)
        ratio = torch.exp(s.logp - old)
        high = mask & (ratio > 1 + eps) & (adv > 0)
        low = mask & (ratio < 1 - eps) & (adv < 0)
        assert torch.equal(clipped, high | low)
        n = mask.sum().item()
        assert log["clip_ratio/region_mean"] == pytest.approx(clipped.sum().item() / n, abs=1e-7)
        assert log["clip_ratio/high_mean"] == pytest.approx(high.sum().item() / n, abs=1e-7)
        assert log["clip_ratio/low_mean"] == pytest.approx(low.sum().item() / n, abs=1e-7)
        kl = ratio * pc.kl_estimate(s.logp, s.ref_logp, "k3")
        assert log["kl"] == pytest.approx(kl[mask].mean().item(), rel=1e-5, abs=1e-8)
        assert int(inp["num_items_in_batch"]) == n
        ours = surrogate + beta * pc.aggregate_loss(kl, mask, "token-mean", num_tokens=n)
        torch.testing.assert_close(step["loss"], ours.detach(), rtol=1e-5, atol=1e-6)
        clipped_any |= bool(clipped.any())
        off_policy |= bool((ratio[mask] - 1).abs().max() > 0.1)
    assert clipped_any, "no token was clipped: the check of the clip ratio would be vacuous"
    assert off_policy, "the ratio stayed near 1: the bias correction of the kl was not exercised"
