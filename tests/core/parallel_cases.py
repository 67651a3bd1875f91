"""What each rank runs for tests/core/test_parallel.py (imported inside the ranks of dist_pool).

Every function takes ``rank`` and ``world`` first, receives the *whole* inputs (small), cuts its own
vocabulary slice, runs a :mod:`ptcourse.parallel` function and returns plain tensors: the outputs
(replicated) and the gradient of its slice, which the test glues back together and compares with
the unsharded function.
"""

from __future__ import annotations

import torch


def bounds_for(vocab: int, world: int, sizes: list[int] | None = None) -> list[tuple[int, int]]:
    """``[(start, end)]`` by rank: equal shards, or the given sizes."""
    sizes = sizes or [vocab // world] * world
    assert sum(sizes) == vocab, (sizes, vocab)
    out, s = [], 0
    for n in sizes:
        out.append((s, s + n))
        s += n
    return out


FIELDS = ("logp", "entropy", "kl", "ref_logp")


def sharded(
    rank,
    world,
    fn,
    logits,
    targets=None,
    ref_logits=None,
    bounds=None,
    weights=None,
    pass_start=False,
    dtype=None,
    device="cpu",
    **kwargs,
):
    """Run ``ptcourse.parallel.<fn>`` on this rank's slice; outputs and slice gradients (CPU)."""
    from ptcourse import parallel

    s, e = bounds[rank] if bounds else bounds_for(logits.shape[-1], world)[rank]
    dev = torch.device(device if device == "cpu" else f"cuda:{rank}")

    def cut(t):
        if t is None:
            return None
        t = t[..., s:e].to(dev)
        t = t.to(dtype) if dtype is not None else t.clone()
        return t.requires_grad_()

    x, y = cut(logits), cut(ref_logits)
    tg = targets.to(dev) if targets is not None else None
    if pass_start:
        kwargs["vocab_start"] = s
    if fn == "entropy":
        outs = {"entropy": parallel.entropy(x, **kwargs)}
    elif fn == "token_logprobs":
        outs = {"logp": parallel.token_logprobs(x, tg, **kwargs)}
    elif fn == "kl_divergence":
        outs = {"kl": parallel.kl_divergence(x, y, **kwargs)}
    else:
        st = parallel.token_stats(x, tg, y, **kwargs)
        outs = {k: getattr(st, k) for k in FIELDS if getattr(st, k) is not None}
    loss = sum((weights[k].to(dev) * v).sum() for k, v in outs.items()) if weights else None
    grads = {}
    if loss is not None and loss.requires_grad:
        inputs = [t for t in (x, y) if t is not None]
        gs = torch.autograd.grad(loss, inputs, allow_unused=True)
        grads = {"x": gs[0], "y": gs[1] if y is not None else None}
        grads = {k: (g.cpu() if g is not None else None) for k, g in grads.items()}
    return {"outs": {k: v.detach().cpu() for k, v in outs.items()}, "grads": grads}


def communication(rank, world, n, vocab, with_ref):
    """Bytes and calls this rank contributes to token_stats at (n, vocab), from the counter."""
    from ptcourse import parallel

    g = torch.Generator().manual_seed(n * 7 + vocab)
    v_local = vocab // world
    x = torch.randn(n, v_local, generator=g)
    y = torch.randn(n, v_local, generator=g) if with_ref else None
    t = torch.randint(0, vocab, (n,), generator=torch.Generator().manual_seed(n))
    with parallel.count_communication() as c:
        parallel.token_stats(x, t, y)
    return c


def different_per_rank(rank, world, what):
    """Inputs that disagree between ranks (each rank raises the same way, none waits forever)."""
    from ptcourse import parallel

    x = torch.randn(4, 8)
    t = torch.zeros(4, dtype=torch.long)
    if what == "rows":
        x = torch.randn(4 + rank, 8)
        t = torch.zeros(4 + rank, dtype=torch.long)
    elif what == "targets":
        t = torch.full((4,), rank, dtype=torch.long)
    elif what == "dtype":
        x = x.double() if rank == 0 else x
    elif what == "uneven":
        x = torch.randn(4, 8 + rank)
    elif what == "start_on_one_rank":
        return parallel.token_logprobs(x, t, vocab_start=0 if rank == 0 else None)
    elif what == "overlap":
        return parallel.token_logprobs(x, t, vocab_start=0)
    elif what == "bad_type_on_one_rank":
        return parallel.token_logprobs(x if rank else x.numpy(), t)
    elif what == "bad_chunk_on_one_rank":
        return parallel.token_logprobs(x, t, chunk_size=0 if rank == world - 1 else None)
    return parallel.token_logprobs(x, t)


def megatron_oracle(rank, world, logits, targets):
    """Megatron-core's vocab_parallel_cross_entropy on this rank's slice: -log p and its gradient."""
    import inspect

    import torch.distributed as dist
    from megatron.core import parallel_state
    from megatron.core.tensor_parallel.cross_entropy import vocab_parallel_cross_entropy

    v = logits.shape[-1] // world
    x = logits[..., rank * v : (rank + 1) * v].clone().requires_grad_()
    kw = {}
    if "tp_group" in inspect.signature(vocab_parallel_cross_entropy).parameters:
        kw["tp_group"] = dist.group.WORLD  # newer Megatron (main)
    elif not parallel_state.model_parallel_is_initialized():  # 0.16: its global TP group
        parallel_state.initialize_model_parallel(tensor_model_parallel_size=world)
    # Megatron subtracts the max in place: hand it a copy (x stays the leaf)
    loss = vocab_parallel_cross_entropy(x.clone(), targets, **kw)
    (g,) = torch.autograd.grad(loss.sum(), x)
    return {"nll": loss.detach(), "grad": g}


def second_derivative(rank, world):
    """create_graph=True is refused clearly."""
    from ptcourse import parallel

    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    h = parallel.entropy(x)
    (g,) = torch.autograd.grad(h.sum(), x, create_graph=True)
    return torch.autograd.grad(g.sum(), x)
