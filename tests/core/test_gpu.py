"""On CUDA, every core function matches its CPU result and keeps outputs on the input's device."""

from __future__ import annotations

import pytest
import torch

import ptcourse as pc

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def _inputs():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 6, 50, generator=gen)
    y = torch.randn(3, 6, 50, generator=gen)
    t = torch.randint(0, 50, (3, 6), generator=gen)
    m = torch.rand(3, 6, generator=gen) < 0.7
    m[:, 0] = True
    lp = -torch.rand(3, 6, generator=gen)
    return x, y, t, m, lp


CALLS = {
    "token_logprobs": lambda x, y, t, m, lp: pc.token_logprobs(x, t, chunk_size=4),
    "sequence_logprob": lambda x, y, t, m, lp: pc.sequence_logprob(x, t, m),
    "cross_entropy": lambda x, y, t, m, lp: pc.cross_entropy(x, t, m),
    "perplexity": lambda x, y, t, m, lp: pc.perplexity(x, t, m),
    "sft_loss": lambda x, y, t, m, lp: pc.sft_loss(x, t.masked_fill(~m, -100), average="sequence"),
    "entropy": lambda x, y, t, m, lp: pc.entropy(x),
    "kl_divergence": lambda x, y, t, m, lp: pc.kl_divergence(x, y),
    "kl_estimate": lambda x, y, t, m, lp: pc.kl_estimate(lp, lp - 0.3, kind="k3"),
    "kl_penalized_rewards": lambda x, y, t, m, lp: pc.kl_penalized_rewards(
        lp[:, 0], lp, lp - 0.2, m, 0.1
    ),
    "kl_regularized_policy": lambda x, y, t, m, lp: pc.kl_regularized_policy(x, y, 0.5),
    "dpo_loss": lambda x, y, t, m, lp: pc.dpo_loss(lp[:, 0], lp[:, 1], lp[:, 2], lp[:, 3]),
    "grpo_advantages": lambda x, y, t, m, lp: pc.grpo_advantages(lp),
    "ppo_clip_loss": lambda x, y, t, m, lp: pc.ppo_clip_loss(lp, lp - 0.1, lp + 1, m),
    "token_stats": lambda x, y, t, m, lp: pc.token_stats(x, t, y, chunk_size=5).kl,
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_cuda_matches_cpu(name):
    """The function gives the same value on CUDA as on CPU, and returns a CUDA tensor."""
    cpu = _inputs()
    gpu = tuple(a.cuda() for a in cpu)
    a, b = CALLS[name](*cpu), CALLS[name](*gpu)
    assert b.device.type == "cuda"
    torch.testing.assert_close(b.cpu(), a, rtol=1e-4, atol=1e-5)


def test_cuda_gradients_match_cpu():
    """token_stats gradients on CUDA equal those on CPU, and stay on the GPU in the input dtype."""
    x, y, t, _, _ = _inputs()
    grads = []
    for dev in ("cpu", "cuda"):
        xs = x.to(dev, torch.bfloat16).requires_grad_()
        ys = y.to(dev).requires_grad_()
        s = pc.token_stats(xs, t.to(dev), ys, chunk_size=4)
        (s.logp.sum() + s.entropy.sum() + s.kl.sum() + s.ref_logp.sum()).backward()
        assert xs.grad.device.type == dev and xs.grad.dtype == torch.bfloat16
        grads.append((xs.grad.float().cpu(), ys.grad.cpu()))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=2e-2, atol=2e-3)


def test_mixed_devices_rejected():
    """Targets on a different device than the logits raise a ValueError naming 'targets'."""
    x, _, t, _, _ = _inputs()
    with pytest.raises(ValueError, match="'targets'"):
        pc.token_logprobs(x.cuda(), t)


def test_cuda_engine_edge_cases():
    """On CUDA: expanded logits, 1e30 offsets and second derivatives give the CPU results."""
    gen = torch.Generator().manual_seed(1)
    base = torch.randn(2, 1, 40, generator=gen, dtype=torch.float64)
    t = torch.randint(0, 40, (2, 5), generator=gen)
    for dev in ("cpu", "cuda"):
        x = base.to(dev).expand(2, 5, 40)  # not viewable as (N, V): copied chunk by chunk
        s = pc.token_stats(x, t.to(dev), x.flip(-1), chunk_size=3)
        big = pc.entropy(torch.tensor([[1e30, 1e30, -1e30]], device=dev))
        leaf = base.to(dev).requires_grad_()
        (g,) = torch.autograd.grad(pc.entropy(leaf).sum(), leaf, create_graph=True)
        (h,) = torch.autograd.grad(g.square().sum(), leaf)
        out = [s.logp, s.entropy, s.kl, big, h]
        if dev == "cpu":
            cpu = out
    for a, b in zip(cpu, out, strict=True):
        assert b.device.type == "cuda"
        torch.testing.assert_close(b.cpu(), a, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(cpu[3], torch.tensor([0.6931472]))
