"""Tests for ptcourse.sft.sft_loss: the causal shift, ignore_index, token vs sequence averaging."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import ptcourse as pc


def hf_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """The Hugging Face causal-LM loss: shift, flatten, F.cross_entropy with ignore_index."""
    v = logits.shape[-1]
    return F.cross_entropy(
        logits[:, :-1].reshape(-1, v), labels[:, 1:].reshape(-1), ignore_index=ignore_index
    )


def make(gen, b=3, t=6, v=11):
    logits = torch.randn(b, t, v, generator=gen, dtype=torch.float64)
    labels = torch.randint(0, v, (b, t), generator=gen)
    labels[0, :2] = -100  # prompt
    labels[1, :4] = -100
    labels[2, -2:] = -100  # padding
    return logits, labels


def test_token_average_matches_hugging_face(gen):
    """average='token' equals the shifted F.cross_entropy with ignore_index (value and gradient)."""
    logits, labels = make(gen)
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    la, lb = pc.sft_loss(a, labels), hf_loss(b, labels)
    torch.testing.assert_close(la, lb)
    la.backward()
    lb.backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_sequence_average_is_mean_of_sequence_means(gen):
    """average='sequence' is the mean over sequences of each sequence's own token mean."""
    logits, labels = make(gen)
    per_seq = torch.stack([hf_loss(logits[i : i + 1], labels[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(pc.sft_loss(logits, labels, average="sequence"), per_seq.mean())


def test_sequence_average_skips_empty_sequences(gen):
    """A sequence whose labels are all ignored is left out of the sequence average."""
    logits, labels = make(gen)
    labels[1] = -100
    per_seq = torch.stack([hf_loss(logits[i : i + 1], labels[i : i + 1]) for i in (0, 2)])
    torch.testing.assert_close(pc.sft_loss(logits, labels, average="sequence"), per_seq.mean())


def test_length_bias_token_vs_sequence():
    """With unequal lengths, 'token' weighs the long answer more than 'sequence' does."""
    v = 4
    logits = torch.zeros(2, 5, v)
    logits[1, :, 0] = 5.0  # sequence 1 is confident about token 0 (low loss)
    labels = torch.tensor([[-100, 1, -100, -100, -100], [-100, 0, 0, 0, 0]])
    short = hf_loss(logits[:1], labels[:1])  # 1 token, loss log 4
    long = hf_loss(logits[1:], labels[1:])  # 4 tokens, small loss
    tok = pc.sft_loss(logits, labels, average="token")
    seq = pc.sft_loss(logits, labels, average="sequence")
    torch.testing.assert_close(tok, (short + 4 * long) / 5)
    torch.testing.assert_close(seq, (short + long) / 2)
    assert seq > tok


def test_custom_ignore_index(gen):
    """A custom ignore_index is honoured exactly like torch's."""
    logits, labels = make(gen)
    labels = labels.masked_fill(labels == -100, 7 + 100)  # out-of-vocab marker 107
    torch.testing.assert_close(
        pc.sft_loss(logits, labels, ignore_index=107), hf_loss(logits, labels, ignore_index=107)
    )


def test_first_label_is_never_predicted(gen):
    """labels[:, 0] has no preceding position, so changing it does not change the loss."""
    logits, labels = make(gen)
    labels[:, 0] = 3
    a = pc.sft_loss(logits, labels)
    labels[:, 0] = 5
    torch.testing.assert_close(pc.sft_loss(logits, labels), a)


def test_bf16_logits_give_fp32_loss(gen):
    """bf16 logits are computed in fp32 and give the fp32 loss of the upcast logits."""
    logits, labels = make(gen)
    half = logits.to(torch.bfloat16)
    out = pc.sft_loss(half, labels)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, hf_loss(half.float(), labels))


def test_all_ignored_raises():
    """Labels that keep no token after the shift raise a ValueError naming 'labels'."""
    labels = torch.tensor([[5, -100, -100]])  # only position 0 is kept, which nothing predicts
    with pytest.raises(ValueError, match="labels"):
        pc.sft_loss(torch.zeros(1, 3, 8), labels)
