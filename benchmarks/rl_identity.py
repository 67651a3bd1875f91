"""Bit-identity check of ``ptcourse.toy.rl`` across a refactor.

``save PATH`` runs representative configurations of ``rl`` (those chapters 5-8 use, plus every
hook of chapter 7) from the shipped SFT checkpoint and saves their histories and final state dicts;
``compare PATH`` runs them again and checks every tensor with ``torch.equal`` and every history
value with ``==``. Run both on the same machine and torch build: bit identity holds for one CPU
kernel set, not across machines.

    .venv/bin/python benchmarks/rl_identity.py save /tmp/rl_before.pt
    .venv/bin/python benchmarks/rl_identity.py compare /tmp/rl_before.pt
"""

from __future__ import annotations

import copy
import sys

import torch

from ptcourse import toy

SMALL = dict(steps=3, batch_size=16)


def _true_reward(texts, nouns):
    return torch.tensor(
        [float(n in t) + 0.1 * len(t.split()) for t, n in zip(texts, nouns, strict=True)]
    )


CONFIGS = {
    "ch04 no leash": dict(beta=0.0),
    "ch04 leash": dict(beta=toy.DEFAULT_BETA),
    "ch04 entropy bonus": dict(beta=0.0, entropy_coef=1.0),
    "ch05 grpo": dict(advantage="grpo", group_size=4),
    "ch05 reinforce k3 temp": dict(kl_kind="k3", temperature=0.8, beta=0.3),
    "rloo kl in reward": dict(advantage="rloo", group_size=4, kl_in="reward", kl_kind="k2"),
    "ch06 reward_fn": dict(beta=0.0, reward_fn=_true_reward, lr=1e-3),
    "ch06 kl in loss": dict(beta=toy.DEFAULT_BETA, kl_in="loss"),
    "ch06 kl in reward grpo": dict(advantage="grpo", group_size=4, kl_in="reward"),
    "ch06 adaptive kl": dict(kl_target=2.0, kl_horizon=320, diagnostics=True),
    "ch06 ppo": dict(
        advantage="grpo",
        group_size=4,
        beta=0.0,
        reward_fn=_true_reward,
        lr=1e-3,
        ppo_epochs=2,
        minibatches=4,
        diagnostics=True,
    ),
    "ch06 clip-higher": dict(
        advantage="grpo",
        group_size=4,
        ppo_epochs=2,
        minibatches=2,
        clip_eps_high=0.28,
        clip_eps=0.1,
        diagnostics=True,
    ),  # fmt: skip
    "ch06 clip-cov": dict(
        advantage="grpo",
        group_size=4,
        ppo_epochs=2,
        minibatches=4,
        clip_cov=(0.2, -1.0, 5.0),
        diagnostics=True,
    ),  # fmt: skip
    "ppo epochs whole batch entropy": dict(ppo_epochs=3, entropy_coef=0.3, diagnostics=True),
}


def run_all() -> dict:
    """Every configuration's history (with the callback's rows) and final state dict."""
    start = toy.sft_model()
    out = {}
    for name, kw in CONFIGS.items():
        rows = []
        policy = copy.deepcopy(start).requires_grad_(True)
        pol, hist = toy.rl(
            policy, ref=copy.deepcopy(start), seed=1, callback=rows.append, **SMALL, **kw
        )
        out[name] = {"history": hist, "rows": rows, "state": pol.state_dict()}
        print(f"{name:32s} reward {hist['reward'][-1]:.6f} loss {hist['loss'][-1]:.6f}")
    return out


def _same(a, b, where, bad):
    if isinstance(a, torch.Tensor):
        if not (isinstance(b, torch.Tensor) and torch.equal(a, b)):
            bad.append(where)
    elif isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            bad.append(f"{where}: keys {list(a)} != {list(b) if isinstance(b, dict) else b}")
            return
        for k in a:
            _same(a[k], b[k], f"{where}.{k}", bad)
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            bad.append(f"{where}: length")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]", bad)
    elif a != b or type(a) is not type(b):
        bad.append(f"{where}: {a!r} != {b!r}")


def main(argv: list[str]) -> int:
    mode, path = argv
    torch.set_num_threads(1)
    now = run_all()
    if mode == "save":
        torch.save(now, path)
        print(f"saved {len(now)} runs to {path}")
        return 0
    before = torch.load(path, weights_only=False)
    bad: list[str] = []
    _same(before, now, "runs", bad)
    n = sum(len(r["state"]) for r in now.values())
    print(f"compared {len(now)} runs ({n} state tensors, every history value): {len(bad)} differ")
    for b in bad[:20]:
        print("  DIFFERS:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
