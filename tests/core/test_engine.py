"""Tests for the chunked engine (ptcourse._vocab): second derivatives, shift invariance, non-viewable
inputs, torch.func, chunk-size arguments, and the cache-based chunk sizing (issues 14 and 18)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import ptcourse as pc
import ptcourse._chunks as chunks
import ptcourse._vocab as engine
from ptcourse.stats import vocab_stats

Cat = torch.distributions.Categorical


def naive(x, t, y):
    """The four statistics by plain torch composition (the reference)."""
    logp = torch.log_softmax(x, -1).gather(-1, t[..., None]).squeeze(-1)
    ent = Cat(logits=x).entropy()
    kl = torch.distributions.kl_divergence(Cat(logits=x), Cat(logits=y))
    ref = torch.log_softmax(y, -1).gather(-1, t[..., None]).squeeze(-1)
    return logp, ent, kl, ref


def log_space_ref(x, t, y):
    """float64 reference computed in log space: KL stays finite where q underflows but log q does not.

    (torch.distributions' KL returns +inf wherever q rounds to 0, even when log q is finite.)
    """
    zx, zy = torch.log_softmax(x.double(), -1), torch.log_softmax(y.double(), -1)
    p = zx.exp()
    ent = -(p * zx).nan_to_num(0.0).sum(-1)
    kl = (p * (zx - zy)).masked_fill(p == 0, 0.0).sum(-1)
    pick = t[..., None]
    return zx.gather(-1, pick).squeeze(-1), ent, kl, zy.gather(-1, pick).squeeze(-1)


def ours(x, t, y, **kw):
    s = pc.token_stats(x, t, y, **kw)
    return s.logp, s.entropy, s.kl, s.ref_logp


# ---------------------------------------------------------------- second derivatives


def _inputs(gen, n=3, v=5):
    x = torch.randn(n, v, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(n, v, generator=gen, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, v, (n,), generator=gen)
    return x, y, t


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, y, t: pc.entropy(x),
        lambda x, y, t: pc.token_logprobs(x, t, chunk_size=2),
        lambda x, y, t: pc.kl_divergence(x, y),
        lambda x, y, t: ours(x, t, y, chunk_size=2),
    ],
    ids=["entropy", "token_logprobs", "kl_divergence", "token_stats"],
)
def test_gradgradcheck(fn, gen):
    """Second derivatives through the engine are correct (gradgradcheck, float64, both inputs)."""
    x, y, t = _inputs(gen)
    assert torch.autograd.gradgradcheck(lambda a, b: fn(a, b, t), (x, y))


def test_hessian_of_entropy_matches_naive(gen):
    """The Hessian of the summed entropy equals the naive one, and is not the zero matrix."""
    x = torch.randn(2, 4, generator=gen, dtype=torch.float64)
    h = torch.autograd.functional.hessian(lambda a: pc.entropy(a).sum(), x)
    h_ref = torch.autograd.functional.hessian(lambda a: Cat(logits=a).entropy().sum(), x)
    assert h.abs().max() > 1e-3
    torch.testing.assert_close(h, h_ref, rtol=1e-9, atol=1e-12)


def test_gradient_penalty_keeps_second_order_term(gen):
    """A gradient penalty built with create_graph=True backpropagates its second-order term."""
    x, y, t = _inputs(gen)
    x2 = x.detach().clone().requires_grad_()
    y2 = y.detach().clone().requires_grad_()
    for a, b, f in ((x, y, ours), (x2, y2, naive)):
        logp, ent, kl, ref = f(a, t, b)
        (g,) = torch.autograd.grad((logp + 0.3 * ent - 0.5 * kl + ref).sum(), a, create_graph=True)
        g.square().sum().backward()
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(y.grad, y2.grad, rtol=1e-9, atol=1e-12)
    assert x.grad.abs().max() > 1e-3


# ---------------------------------------------------------------- shift invariance


def test_huge_equal_logits():
    """[1e30, 1e30, -1e30] in fp32 is a fair coin over two tokens: logp = -log 2, H = log 2."""
    x = torch.tensor([[1e30, 1e30, -1e30]])
    y = torch.tensor([[1e30, -1e30, 1e30]])  # log q = [-log 2, -2e30 - log 2, -log 2]
    logp, ent, kl, ref = ours(x, torch.tensor([0]), y)
    torch.testing.assert_close(logp, torch.tensor([-math.log(2)]))
    torch.testing.assert_close(ent, torch.tensor([math.log(2)]))
    torch.testing.assert_close(kl, torch.tensor([1e30]))  # (1/2)(log q(0) - log q(1)) = 1e30
    torch.testing.assert_close(ref, torch.tensor([-math.log(2)]))
    torch.testing.assert_close(pc.kl_divergence(x, x + 0.0), torch.tensor([0.0]))


def test_logits_near_1000_give_nonnegative_entropy(gen):
    """Logits around 1000 (fp32): entropy is >= 0 and equals the float64 reference."""
    x = 1000 + torch.randn(64, 257, generator=gen) * 0.01
    ent = pc.entropy(x)
    assert bool((ent >= 0).all())
    torch.testing.assert_close(ent.double(), Cat(logits=x.double()).entropy(), rtol=1e-5, atol=1e-5)


offsets = st.one_of(
    st.sampled_from([0.0, 1e3, -1e3, 1e8, 1e20, 1e30, -1e30]),
    st.floats(min_value=-1e30, max_value=1e30, allow_nan=False),
)


@given(
    off_x=offsets,
    off_y=offsets,
    spread=st.sampled_from([0.01, 1.0, 30.0, 1e25]),
    seed=st.integers(0, 2**31 - 1),
    v=st.integers(2, 12),
)
def test_shift_invariance_fp32(off_x, off_y, spread, seed, v):
    """For fp32 logits offset by up to 1e30, all four statistics match float64 references."""
    gen = torch.Generator().manual_seed(seed)
    x = (torch.randn(4, v, generator=gen, dtype=torch.float64) * spread + off_x).float()
    y = (torch.randn(4, v, generator=gen, dtype=torch.float64) * spread + off_y).float()
    t = torch.randint(0, v, (4,), generator=gen)
    for a, b in zip(ours(x, t, y), log_space_ref(x, t, y), strict=True):
        assert a.dtype == torch.float32
        torch.testing.assert_close(a.double(), b, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- non-viewable logits


class _Largest(torch.utils._python_dispatch.TorchDispatchMode):
    """Record the numel of the largest new tensor any aten op produces."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        ins = {a.untyped_storage().data_ptr() for a in args if isinstance(a, torch.Tensor)}
        for o in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(o, torch.Tensor) and o.untyped_storage().data_ptr() not in ins:
                self.largest = max(self.largest, o.numel())
        return out


LAYOUTS = {  # name -> (leaf shape, view of the leaf that the engine receives)
    "expanded-batch": ((4, 1, 256), lambda a: a.expand(4, 32, 256)),  # not viewable as (N, V)
    "expanded-rows": ((1, 256), lambda a: a.expand(128, 256)),  # (N, V) with row stride 0
    "permuted": ((32, 4, 256), lambda a: a.transpose(0, 1)),  # (4, 32, V), not viewable
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_non_viewable_logits_copied_one_chunk_at_a_time(layout, gen, monkeypatch):
    """Expanded or permuted logits: right values and gradients, and no op allocates (N, V).

    The largest allocation allowed is ``Workspace.pair``: two 8-row chunks side by side.
    """
    monkeypatch.setattr(engine, "default_chunk_rows", lambda *args: 8)
    shape, view = LAYOUTS[layout]
    leaf = torch.randn(shape, generator=gen, dtype=torch.float64, requires_grad=True)
    leaf2 = leaf.detach().clone().requires_grad_()
    x = view(leaf)
    v = x.shape[-1]
    y = torch.randn(x.shape, generator=gen, dtype=torch.float64)
    t = torch.randint(0, v, x.shape[:-1], generator=gen)
    with _Largest() as mode:
        out = ours(x, t, y)
    assert mode.largest <= 2 * 8 * v, (mode.largest, x.shape)  # vs N * V = 128 * V
    ref = naive(view(leaf2), t, y)
    for a, b in zip(out, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    sum(o.sum() for o in out).backward()
    sum(o.sum() for o in ref).backward()
    torch.testing.assert_close(leaf.grad, leaf2.grad, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- torch.func


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("entropy", lambda x, t: torch.func.vmap(pc.entropy)(x)),
        (
            "token_logprobs",
            lambda x, t: torch.func.grad(lambda a: pc.token_logprobs(a, t).sum())(x),
        ),
        ("kl_divergence", lambda x, t: torch.func.vmap(lambda a: pc.kl_divergence(a, a))(x)),
        (
            "token_stats",
            lambda x, t: torch.func.grad(lambda a: pc.token_stats(a, t).entropy.sum())(x),
        ),
    ],
)
def test_torch_func_refused_by_name(name, call, gen):
    """torch.func transforms raise a RuntimeError that names the function, not torch's generic one."""
    x = torch.randn(3, 6, generator=gen)
    t = torch.randint(0, 6, (3,), generator=gen)
    with pytest.raises(RuntimeError, match=rf"ptcourse\.{name} does not support torch\.func"):
        call(x, t)


# ---------------------------------------------------------------- arguments


def test_numpy_integer_chunk_size_accepted(gen):
    """A numpy integer chunk size works like the int; floats, bools and strings are refused by name."""
    np = pytest.importorskip("numpy")
    x = torch.randn(7, 9, generator=gen)
    t = torch.randint(0, 9, (7,), generator=gen)
    torch.testing.assert_close(
        pc.token_logprobs(x, t, chunk_size=np.int64(3)), pc.token_logprobs(x, t, chunk_size=3)
    )
    torch.testing.assert_close(pc.token_stats(x, t, chunk_size=np.int32(2)).entropy, pc.entropy(x))
    for bad in (np.float64(3.0), 3.0, True, "3", np.int64(0)):
        with pytest.raises(ValueError, match="'chunk_size'"):
            pc.token_logprobs(x, t, chunk_size=bad)
        with pytest.raises(ValueError, match="'chunk_size'"):
            pc.token_stats(x, t, chunk_size=bad)


def test_missing_targets_or_reference_named(gen):
    """None for targets or for the reference logits raises a TypeError naming the argument."""
    x = torch.randn(2, 5, generator=gen)
    with pytest.raises(TypeError, match="'targets'"):
        pc.token_logprobs(x, None)
    with pytest.raises(TypeError, match="'q_logits'"):
        pc.kl_divergence(x, None)


# ---------------------------------------------------------------- chunk sizing


def test_cache_size_read_from_the_machine():
    """The cache size is read (a positive number of bytes, at least 256 KiB on any real CPU)."""
    assert chunks.cache_bytes() >= 256 * 2**10


def test_chunk_rows_depend_on_vocab_and_dtype(monkeypatch):
    """Rows per chunk = cache budget / bytes per row, so they scale with V and the dtype."""
    monkeypatch.setattr(chunks, "CACHE_BYTES", 64 * 2**20)
    r32 = chunks.default_chunk_rows(32768, 4, 1, 3)  # 32768 * (4 + 3 * 4) bytes per row
    assert r32 == 64 * 2**20 // (32768 * 16) == 128
    assert chunks.default_chunk_rows(131072, 4, 1, 3) == 32  # 4x the vocabulary: 1/4 the rows
    assert chunks.default_chunk_rows(32768, 8, 1, 3) == 64  # fp64: buffers and input twice as big
    assert chunks.default_chunk_rows(32768, 2, 2, 3) == 64 * 2**20 // (32768 * 16)  # bf16 pair
    assert chunks.default_chunk_rows(10**9, 4) == 1


def test_default_chunk_has_a_floor_per_thread(monkeypatch):
    """Without an explicit budget, a chunk holds at least 8 rows per torch thread."""
    monkeypatch.setattr(chunks, "CACHE_BYTES", None)
    rows = chunks.default_chunk_rows(10**8, 4)
    assert rows == chunks.MIN_ROWS_PER_THREAD * torch.get_num_threads()


def test_results_do_not_depend_on_cache_budget(gen, monkeypatch):
    """Any cache budget (hence chunk size) gives the same statistics through vocab_stats."""
    x = torch.randn(9, 33, generator=gen, dtype=torch.float64)
    y = torch.randn(9, 33, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 33, (9,), generator=gen)
    kw = dict(want_logp=True, want_ent=True, want_kl=True, chunk_size=None)
    results = []
    for budget in (1, 5000, 10**9):
        monkeypatch.setattr(chunks, "CACHE_BYTES", budget)
        results.append(vocab_stats(x, t, y, **kw))
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- backward from saved row sums


@pytest.mark.parametrize("weights", [(1, 1, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1)])
def test_frozen_reference_backward_matches_autograd(weights, gen):
    """The backward from the saved row max and log-sum (frozen reference) equals autograd of the
    naive formulas, for any mix of log-prob, entropy and KL weights, -inf rows included."""
    x = torch.randn(30, 64, generator=gen, dtype=torch.float64)
    x[3, :5] = float("-inf")  # a careful row inside a chunk of ordinary ones
    y = torch.randn(30, 64, generator=gen, dtype=torch.float64)
    t = torch.randint(5, 64, (30,), generator=gen)
    w = torch.randn(3, 30, generator=gen, dtype=torch.float64) * torch.tensor(weights)[:, None]
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    st_ = pc.token_stats(a, t, y, chunk_size=7)
    (w[0] * st_.logp + w[1] * st_.entropy + w[2] * st_.kl).sum().backward()
    z = torch.log_softmax(b, -1)
    p, zc = z.exp(), z.clamp(min=chunks.LOG_FLOOR)
    ent = -(p * zc).sum(-1)
    kl = (p * (zc - torch.log_softmax(y, -1)).masked_fill(p == 0, 0.0)).sum(-1)
    (w[0] * z.gather(1, t[:, None]).squeeze(1) + w[1] * ent + w[2] * kl).sum().backward()
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12)
