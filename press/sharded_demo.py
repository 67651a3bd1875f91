r"""A worked run of ptcourse.parallel on 2 gloo ranks: shards, all-reduced row quantities, the match.

    .venv/bin/python press/sharded_demo.py          # about 10-30 s (two processes import torch)

Two CPU processes form a ``torch.distributed`` group (gloo). The logits of 2 positions over a
vocabulary of 8 tokens are split along the vocabulary: rank 0 holds tokens 0-3, rank 1 tokens 4-7.
Each rank computes its *local* row quantities, the two all-reduces combine them, and
:func:`ptcourse.parallel.token_stats` gives the same log-probs, entropies and KLs as the unsharded
:func:`ptcourse.token_stats` -- having sent 8 numbers per row per rank (2 maxima, 6 sums), however
large the vocabulary. The output is deterministic (fixed seed, float64); the course quotes it.

Why O(N): the maximum and the sums that define :math:`\log p_t`, :math:`H` and KL are over the
vocabulary, and a sum over the vocabulary is the sum of the per-shard sums. So each rank reduces
its own ``(N, V_r)`` slice to a few numbers per row, and only those cross the network. Megatron-LM
(``megatron/core/tensor_parallel/cross_entropy.py``) and verl
(``verl/utils/megatron/tensor_parallel.py``) do the same for the cross-entropy and the entropy;
see the module docstring of :mod:`ptcourse.parallel`.
"""

from __future__ import annotations

import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

N, VOCAB, WORLD = 2, 8, 2


def _fmt(t: torch.Tensor) -> str:
    return "[" + ", ".join(f"{v:8.4f}" for v in t.flatten().tolist()) + "]"


def _rank(rank: int, store_path: str) -> None:
    import ptcourse as pc
    from ptcourse import parallel

    dist.init_process_group(
        "gloo", store=dist.FileStore(store_path, WORLD), rank=rank, world_size=WORLD
    )
    g = torch.Generator().manual_seed(0)
    x = 2.0 * torch.randn(N, VOCAB, generator=g, dtype=torch.float64)  # the whole logits
    y = 2.0 * torch.randn(N, VOCAB, generator=g, dtype=torch.float64)  # a reference model's
    t = torch.tensor([1, 6])  # token 1 lives on rank 0, token 6 on rank 1
    v = VOCAB // WORLD
    s, e = rank * v, (rank + 1) * v
    xs, ys = x[:, s:e], y[:, s:e]  # all this rank ever holds

    # the local row quantities, by hand (what ptcourse.parallel does chunk by chunk)
    m_local = xs.amax(-1)
    m = m_local.clone()
    dist.all_reduce(m, op=dist.ReduceOp.MAX)  # N numbers
    d = xs - m[:, None]
    ex = d.exp()
    mine = (t >= s) & (t < e)
    d_t = torch.where(mine, d.gather(1, (t - s).clamp(0, v - 1)[:, None]).squeeze(1), 0.0)
    local = torch.stack([ex.sum(-1), (ex * d).sum(-1), d_t])  # (3, N)
    total = local.clone()
    dist.all_reduce(total)  # 3N numbers
    S, A, dt = total
    by_hand = {"logp": dt - S.log(), "entropy": S.log() - A / S}

    with parallel.count_communication() as sent:
        st = parallel.token_stats(xs, t, ys)
    ref = pc.token_stats(x, t, y)  # the unsharded result, for comparison only
    lines = [
        f"rank {rank}: tokens [{s}, {e}), logits slice (N={N}, V_r={v})",
        *(f"    row {i}: {_fmt(xs[i])}" for i in range(N)),
        f"    local row max        m_r = {_fmt(m_local)}",
        f"    sum_j exp(x_j - M)   S_r = {_fmt(local[0])}",
        f"    sum_j e_j d_j        A_r = {_fmt(local[1])}",
        f"    x_t - M (owner only)     = {_fmt(local[2])}",
    ]
    report = [None] * WORLD if rank == 0 else None
    dist.gather_object("\n".join(lines), report, dst=0)
    if rank == 0:
        print(f"logits: N={N} positions, V={VOCAB} tokens, {WORLD} ranks; targets {t.tolist()}")
        print("\n".join(report))
        print("all-reduce MAX:  M = max_r m_r          =", _fmt(m))
        print("all-reduce SUM:  S = sum_r S_r          =", _fmt(S))
        print("                 A = sum_r A_r          =", _fmt(A))
        print("                 x_t - M                =", _fmt(dt))
        print("log p_t = (x_t - M) - log S             =", _fmt(by_hand["logp"]))
        print("H       = log S - A / S                 =", _fmt(by_hand["entropy"]))
        print()
        print("ptcourse.parallel.token_stats (any rank) vs ptcourse.token_stats (whole logits):")
        for k in ("logp", "entropy", "kl", "ref_logp"):
            a, b = getattr(st, k), getattr(ref, k)
            print(f"    {k:9s} {_fmt(a)}   max |diff| = {float((a - b).abs().max()):.1e}")
        gathered = N * VOCAB * (WORLD - 1) // WORLD * 8 * 2  # both inputs, float64
        print(
            f"communicated by this rank: {sent['calls']} collectives, {sent['bytes']} bytes "
            f"({sent['by_op']}); gathering the logits instead: {gathered} bytes at V={VOCAB}, "
            f"{gathered // VOCAB * 131072} at V=131072 (the collectives stay {sent['bytes']})"
        )
    dist.destroy_process_group()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_rank, args=(os.path.join(tmp, "store"),), nprocs=WORLD, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
