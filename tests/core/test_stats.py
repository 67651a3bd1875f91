"""Tests for ptcourse.stats: token_stats, the chunked engine of ptcourse._vocab, its memory bound."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from hypothesis import given
from strategies import cases
from torch.utils._python_dispatch import TorchDispatchMode

import ptcourse as pc

Cat = torch.distributions.Categorical


def naive_stats(x, t, y):
    logp = torch.log_softmax(x, -1).gather(-1, t[..., None]).squeeze(-1)
    ent = Cat(logits=x).entropy()
    kl = torch.distributions.kl_divergence(Cat(logits=x), Cat(logits=y))
    ref_logp = torch.log_softmax(y, -1).gather(-1, t[..., None]).squeeze(-1)
    return logp, ent, kl, ref_logp


def fields(s: pc.TokenStats):
    return s.logp, s.entropy, s.kl, s.ref_logp


def test_matches_naive_composition(gen):
    """Every field equals its naive torch composition, for (B, T, V) input."""
    x = torch.randn(2, 3, 15, generator=gen, dtype=torch.float64)
    y = torch.randn(2, 3, 15, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 15, (2, 3), generator=gen)
    for a, b in zip(fields(pc.token_stats(x, t, y)), naive_stats(x, t, y), strict=True):
        assert a.shape == (2, 3)
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_without_reference(gen):
    """Without ref_logits, kl and ref_logp are None and logp/entropy are unchanged."""
    x = torch.randn(4, 9, generator=gen)
    t = torch.randint(0, 9, (4,), generator=gen)
    s = pc.token_stats(x, t)
    assert s.kl is None and s.ref_logp is None
    torch.testing.assert_close(s.logp, pc.token_logprobs(x, t))
    torch.testing.assert_close(s.entropy, pc.entropy(x))


def test_frozen_dataclass(gen):
    """TokenStats is a frozen dataclass: fields cannot be reassigned."""
    s = pc.token_stats(torch.zeros(2, 3), torch.tensor([0, 1]))
    assert dataclasses.is_dataclass(s)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.logp = torch.zeros(2)


@given(cases(neg_inf=True))
def test_chunked_equals_unchunked(case):
    """Any chunk size gives the same four fields and the same gradients for both logits."""
    results = []
    for chunk in (case.chunk, 10**6):
        x = case.logits.clone().requires_grad_()
        y = case.other.clone().requires_grad_()
        out = fields(pc.token_stats(x, case.targets, y, chunk_size=chunk))
        w = torch.linspace(-1, 1, case.targets.numel(), dtype=torch.float64)
        sum(((o * (k + 1) * w).sum() for k, o in enumerate(out))).backward()
        results.append([o.detach() for o in out] + [x.grad, y.grad])
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@given(cases())
def test_gradients_match_naive(case):
    """Gradients of any weighted sum of the fields equal autograd through the naive composition."""
    x1, y1 = case.logits.clone().requires_grad_(), case.other.clone().requires_grad_()
    x2, y2 = case.logits.clone().requires_grad_(), case.other.clone().requires_grad_()
    w = (1.0, -0.5, 2.0, 0.7)
    sum(
        wi * o.sum() for wi, o in zip(w, fields(pc.token_stats(x1, case.targets, y1)), strict=True)
    ).backward()
    sum(wi * o.sum() for wi, o in zip(w, naive_stats(x2, case.targets, y2), strict=True)).backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(y1.grad, y2.grad, rtol=1e-9, atol=1e-12)


def test_gradcheck_float64(gen):
    """All four outputs pass gradcheck w.r.t. both logits tensors (float64, chunked)."""
    x = torch.randn(5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(5, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, 6, (5,), generator=gen)
    assert torch.autograd.gradcheck(
        lambda a, b: fields(pc.token_stats(a, t, b, chunk_size=2)), (x, y)
    )


def test_only_reference_needs_grad(gen):
    """A frozen policy with a trainable reference still gets correct reference gradients."""
    x = torch.randn(3, 7, generator=gen, dtype=torch.float64)
    y1 = torch.randn(3, 7, generator=gen, dtype=torch.float64, requires_grad=True)
    y2 = y1.detach().clone().requires_grad_()
    t = torch.tensor([0, 3, 6])
    s = pc.token_stats(x, t, y1)
    (s.kl.sum() + s.ref_logp.sum()).backward()
    _, _, kl, ref_logp = naive_stats(x, t, y2)
    (kl.sum() + ref_logp.sum()).backward()
    torch.testing.assert_close(y1.grad, y2.grad)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision(dtype, gen):
    """bf16/fp16 logits: fields are fp32 and equal the fp32 stats; gradients keep the input dtype."""
    x = torch.randn(4, 32, generator=gen).to(dtype).requires_grad_()
    y = torch.randn(4, 32, generator=gen).to(dtype).requires_grad_()
    t = torch.randint(0, 32, (4,), generator=gen)
    out = fields(pc.token_stats(x, t, y))
    for a, b in zip(out, naive_stats(x.detach().float(), t, y.detach().float()), strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a, b)
    sum(o.sum() for o in out).backward()
    assert x.grad.dtype == dtype and y.grad.dtype == dtype


class _LargestTensor(TorchDispatchMode):
    """Record the largest new tensor any aten op produces (views allocate nothing; skipped)."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        inputs = {
            a.untyped_storage().data_ptr()
            for a in [*args, *(kwargs or {}).values()]
            if isinstance(a, torch.Tensor)
        }
        for o in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(o, torch.Tensor) and o.untyped_storage().data_ptr() not in inputs:
                self.largest = max(self.largest, o.numel())
        return out


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, t, y: pc.token_logprobs(x, t),
        lambda x, t, y: pc.entropy(x),
        lambda x, t, y: pc.kl_divergence(x, y),
        lambda x, t, y: fields(pc.token_stats(x, t, y)),
    ],
    ids=["token_logprobs", "entropy", "kl_divergence", "token_stats"],
)
def test_forward_never_builds_full_temporary(fn, monkeypatch):
    """In the forward pass no op creates a tensor larger than a small fraction of (N, V).

    The largest allowed is ``Workspace.pair``, two 4-row chunks side by side (1/32 of (N, V)).
    """
    import ptcourse._vocab as engine

    monkeypatch.setattr(engine, "default_chunk_rows", lambda *args: 4)
    n, v = 256, 1024  # chunks of 4 rows
    x, y = torch.randn(n, v, requires_grad=True), torch.randn(n, v)
    t = torch.randint(0, v, (n,))
    with _LargestTensor() as mode:
        fn(x, t, y)
    assert mode.largest <= 2 * 4096, mode.largest  # two chunks, vs n * v = 262144


def test_backward_saves_only_inputs_and_writes_one_gradient(monkeypatch):
    """Autograd saves no (N, V) activation beyond the inputs; backward's only full tensor is the grad."""
    import ptcourse._vocab as engine

    monkeypatch.setattr(engine, "default_chunk_rows", lambda *args: 4)
    n, v = 128, 512
    x, y = torch.randn(n, v, requires_grad=True), torch.randn(n, v, requires_grad=True)
    t = torch.randint(0, v, (n,))
    saved = []

    def pack(tensor):
        saved.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda s: s):
        out = fields(pc.token_stats(x, t, y))
    big = [s for s in saved if s.numel() >= n * v]
    assert all(s.data_ptr() in (x.data_ptr(), y.data_ptr()) for s in big)
    loss = sum(o.sum() for o in out)
    with _LargestTensor() as mode:
        loss.backward()
    assert mode.largest == n * v  # the gradients themselves; every temporary is one chunk
    torch.testing.assert_close(x.grad.sum(1), torch.zeros(n), atol=1e-4, rtol=0)
