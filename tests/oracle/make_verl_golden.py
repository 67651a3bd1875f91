"""Regenerate tests/oracle/verl_golden.json: verl's own functions run on fixed inputs.

verl is too heavy for the course's lock (ray, tensordict, omegaconf, codetiming, hydra, and
``transformers<5.11``, which conflicts with the lock's 5.15.0), so the oracle tests compare
``ptcourse`` with values that verl computed once, committed with verl's version and source.
Run this in a scratch venv outside the repository, torch first::

    python3 -m venv /tmp/verlvenv
    /tmp/verlvenv/bin/pip install torch==<the lock's torch>        # the CPU wheel
    /tmp/verlvenv/bin/pip install --no-deps verl==0.9.1
    /tmp/verlvenv/bin/pip install "transformers>=5.5.3,<5.11,!=5.6.0" \\
        "tensordict>=0.8.0,<=0.10.0,!=0.9.0" omegaconf codetiming ray numpy hydra-core
    /tmp/verlvenv/bin/python tests/oracle/make_verl_golden.py [--wheel-sha256 HASH]

The inputs are written into the JSON next to verl's outputs (no random generator is re-run by
the tests), fp32 as verl's trainers use them. ``tests/oracle/test_verl_golden.py`` reads it.
verl is imported inside ``main`` only: pytest's doctest collection imports this file.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from pathlib import Path

OUT = Path(__file__).with_name("verl_golden.json")

#: Where the functions used here come from. verl 0.9.1 on PyPI has no v0.9.1 tag in
#: verl-project/verl (as mirrored on 2026-12-07); its core_algos.py differs from tag v0.9.0
#: (483b8a0) only in compute_policy_loss_gspo's aggregation, and utils/torch_functional.py is
#: identical, so every function called below is the one at 483b8a0.
SOURCE = {
    "repository": "verl-project/verl (formerly volcengine/verl)",
    "functions_identical_to_commit": "483b8a009ba3a97563edee3a19887e4862b8094a (tag v0.9.0)",
    "files": ["verl/trainer/ppo/core_algos.py", "verl/utils/torch_functional.py"],
}


def _floats(t):
    """A tensor as nested lists of floats; nan / inf as strings (JSON has neither)."""
    out = t.detach().double().tolist()

    def fix(x):
        if isinstance(x, list):
            return [fix(v) for v in x]
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x

    return fix(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel-sha256", default=None, help="sha256 of the verl wheel installed")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    import numpy as np
    import torch
    import verl
    from verl.trainer.ppo import core_algos as ca
    from verl.utils import torch_functional as F

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20261207)
    golden: dict = {
        "verl_version": verl.__version__,
        "verl_wheel_sha256": args.wheel_sha256,
        "source": SOURCE,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "dtype": "float32",
    }

    # GRPO outcome advantages: groups of 4; group 1 constant, group 2 of tiny spread (std 1e-5 so
    # verl's epsilon 1e-6 decides a tenth of the value), the reward on each answer's last token.
    rewards = torch.randn(4, 4, generator=gen)
    rewards[1] = 0.5
    rewards[2] = torch.tensor([0.0, 1e-5, 2e-5, 0.0])
    rewards = rewards.float()
    B, T = rewards.numel(), 5
    lengths = torch.randint(1, T + 1, (B,), generator=gen)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).float()  # (B, T)
    token_rewards = torch.zeros(B, T)
    token_rewards[torch.arange(B), lengths - 1] = rewards.flatten()
    index = np.repeat(np.arange(4), 4)
    grpo = {"rewards": _floats(rewards), "lengths": lengths.tolist()}
    for norm in (True, False):
        adv, _ = ca.compute_grpo_outcome_advantage(
            token_rewards, mask, index, norm_adv_by_std_in_grpo=norm
        )
        grpo[f"advantages_norm_{norm}"] = _floats(adv[:, 0])  # the same on every kept token
        vec, _ = ca.compute_grpo_vectorized_outcome_advantage(
            token_rewards, mask, index, norm_adv_by_std_in_grpo=norm
        )
        grpo[f"vectorized_advantages_norm_{norm}"] = _floats(vec[:, 0])
    grpo["epsilon_default"] = 1e-6  # compute_grpo_outcome_advantage(epsilon=1e-6)
    rloo, _ = ca.compute_rloo_outcome_advantage(token_rewards, mask, index)
    grpo["rloo_advantages"] = _floats(rloo[:, 0])
    golden["grpo"] = grpo

    # KL penalties on fixed log-ratios, including 29 and -29 (k3's clamp at 10) and 30 (log r
    # clamped at 20 first).
    logprob = torch.tensor([-1.0, -2.0, -0.5, -3.0, -30.0, -0.1, -40.0, -1.5])
    ref_logprob = torch.tensor([-1.0, -1.0, -2.5, -2.9, -1.0, -29.1, -10.0, -1.2])
    kl = {"logprob": _floats(logprob), "ref_logprob": _floats(ref_logprob), "values": {}}
    for kind in ("kl", "k1", "abs", "mse", "k2", "low_var_kl", "k3", "k3+", "k1+"):
        kl["values"][kind] = _floats(ca.kl_penalty(logprob, ref_logprob, kind))
    kl["grad_logprob"] = {}
    for kind in ("k3", "k3+", "k1", "k2"):
        lp = logprob.clone().requires_grad_()
        (grad,) = torch.autograd.grad(ca.kl_penalty(lp, ref_logprob, kind).sum(), lp)
        kl["grad_logprob"][kind] = _floats(grad)
    golden["kl_penalty"] = kl

    # agg_loss: one answer fully masked, unequal lengths; with and without the global counts.
    loss_mat = torch.randn(4, 6, generator=gen).float()
    loss_mask = torch.tensor(
        [[1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]]
    ).float()
    agg = {"loss_mat": _floats(loss_mat), "loss_mask": _floats(loss_mask), "values": {}}
    modes = (
        "token-mean",
        "token-sum",
        "seq-mean-token-sum",
        "seq-mean-token-mean",
        "seq-mean-token-sum-norm",
    )
    for mode in modes:
        agg["values"][mode] = float(ca.agg_loss(loss_mat, loss_mask, mode))
    agg["global"] = {"batch_num_tokens": 40, "global_batch_size": 8, "values": {}}
    for mode in ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean"):
        agg["global"]["values"][mode] = float(
            ca.agg_loss(loss_mat, loss_mask, mode, batch_num_tokens=40, global_batch_size=8)
        )
    golden["agg_loss"] = agg

    # Entropy and log-probs from logits: random, large (1e4) and with a -inf entry.
    logits = (3.0 * torch.randn(5, 11, generator=gen)).float()
    large = (1.0e4 * torch.randn(3, 11, generator=gen)).float()
    with_inf = logits[:2].clone()
    with_inf[:, 0] = -math.inf
    labels = torch.randint(1, 11, (5,), generator=gen)
    ent = {"logits": _floats(logits), "large": _floats(large), "with_minus_inf": _floats(with_inf)}
    ent["entropy"] = _floats(F.entropy_from_logits(logits))
    ent["entropy_large"] = _floats(F.entropy_from_logits(large))
    ent["entropy_with_minus_inf"] = _floats(F.entropy_from_logits(with_inf))
    ent["entropy_chunked"] = _floats(F.entropy_from_logits_with_chunking(logits, chunk_size=2))
    ent["labels"] = labels.tolist()
    ent["logprobs"] = _floats(F.logprobs_from_logits(logits, labels))
    ent["logprobs_large"] = _floats(F.logprobs_from_logits(large, labels[:3]))
    ent["logprobs_with_minus_inf"] = _floats(F.logprobs_from_logits(with_inf, labels[:2]))
    golden["entropy_logprobs"] = ent

    args.out.write_text(json.dumps(golden, indent=1) + "\n")
    print(f"wrote {args.out} (verl {verl.__version__})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
