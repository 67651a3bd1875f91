"""Tests for the optional compiled chunk kernel (ptcourse._fused): opt-in only, same results."""

from __future__ import annotations

import shutil

import pytest
import torch

import ptcourse as pc
import ptcourse._fused as fused


def _fields(s):
    return s.logp, s.entropy, s.kl, s.ref_logp


@pytest.fixture
def spy(monkeypatch):
    """Replace the compiled kernel by its eager body and count the calls."""
    calls = []

    def fake(*args):
        calls.append(args[0].shape)
        return fused._chunk(*args)

    monkeypatch.setattr(fused, "fused_chunk", fake)
    return calls


def test_not_used_by_default(spy, monkeypatch, gen):
    """Without compile=True or PTCOURSE_COMPILE=1 the fused kernel is never called."""
    monkeypatch.delenv("PTCOURSE_COMPILE", raising=False)
    x = torch.randn(5, 7, generator=gen)
    pc.token_stats(x, torch.zeros(5, dtype=torch.long), x.flip(0))
    pc.entropy(x)
    monkeypatch.setenv("PTCOURSE_COMPILE", "0")
    pc.kl_divergence(x, x.flip(0))
    assert spy == []


def test_env_var_read_at_call_time(spy, monkeypatch, gen):
    """PTCOURSE_COMPILE=1 turns the fused path on for every engine function, at call time."""
    x = torch.randn(5, 7, generator=gen)
    monkeypatch.setenv("PTCOURSE_COMPILE", "1")
    pc.entropy(x)
    pc.token_logprobs(x, torch.zeros(5, dtype=torch.long))
    assert len(spy) == 2
    assert pc.token_stats(x, torch.zeros(5, dtype=torch.long), compile=False) and len(spy) == 2


def test_compile_argument_checked(gen):
    """compile must be a bool or None; anything else is refused by name."""
    x = torch.randn(2, 3, generator=gen)
    with pytest.raises(TypeError, match="'compile'"):
        pc.token_stats(x, torch.tensor([0, 1]), compile="yes")


def test_fused_body_matches_eager(gen):
    """The kernel's body (what torch.compile traces) equals the eager engine, -inf rows included."""
    x = torch.randn(9, 40, generator=gen, dtype=torch.float64)
    x[0, :10] = float("-inf")
    y = torch.randn(9, 40, generator=gen, dtype=torch.float64)
    t = torch.randint(10, 40, (9,), generator=gen)
    eager = _fields(pc.token_stats(x, t, y, chunk_size=4))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fused, "fused_chunk", fused._chunk)
        body = _fields(pc.token_stats(x, t, y, chunk_size=4, compile=True))
    for a, b in zip(body, eager, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.slow  # compiling takes 25 s of CPU (about a minute on a busy 2-core machine)
@pytest.mark.skipif(
    shutil.which("c++") is None and shutil.which("g++") is None,
    reason="torch.compile on CPU needs a C++ compiler (none on PATH)",
)
def test_compiled_kernel_matches_eager(gen):
    """The compiled kernel gives the eager results to 1e-5 relative (fp32), gradients unchanged."""
    x = torch.randn(37, 50, generator=gen)
    x[0, :10] = float("-inf")  # a careful row: NaN from the kernel, redone eagerly
    y = torch.randn(37, 50, generator=gen)
    t = torch.randint(10, 50, (37,), generator=gen)
    xs = [x.clone().requires_grad_() for _ in range(2)]
    outs = [
        _fields(pc.token_stats(a, t, y, chunk_size=8, compile=c))
        for a, c in zip(xs, (True, False), strict=True)
    ]
    for a, b in zip(*outs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    for o in outs:
        sum(f.sum() for f in o).backward()
    torch.testing.assert_close(xs[0].grad, xs[1].grad, rtol=1e-5, atol=1e-6)
