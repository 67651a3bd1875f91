r"""Supervised fine-tuning (SFT) loss: next-token cross-entropy on the response tokens only.

SFT maximises the likelihood of demonstrations given their prompts (InstructGPT, Ouyang et al.,
2022, step 1), with the labels of the Hugging Face causal-LM losses.
"""

from __future__ import annotations

import torch

from . import _guards as G
from .logprobs import token_logprobs

__all__ = ["sft_loss"]


def sft_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    *,
    ignore_index: int = -100,
    average: str = "token",
) -> torch.Tensor:
    r"""Causal-LM SFT loss with the shift done inside (position t predicts label t+1).

    With :math:`\ell_{b,t} = -\log p(\text{labels}_{b,t+1} \mid \text{input}_{b,\le t})`,
    :math:`m_{b,t} = [\text{labels}_{b,t+1} \ne \text{ignore}]`, :math:`B'` the rows keeping any:

    .. math:: \mathcal{L}_{\text{token}} = \frac{\sum_{b,t} m_{b,t}\ell_{b,t}}{\sum_{b,t} m_{b,t}},
        \qquad \mathcal{L}_{\text{sequence}} = \frac{1}{|B'|} \sum_{b \in B'}
        \frac{\sum_t m_{b,t}\,\ell_{b,t}}{\sum_t m_{b,t}}

    ``average="token"`` is maximum likelihood, every kept token weighing the same; "sequence" weighs
    a token of a row with :math:`|y_b|` kept tokens :math:`1/|y_b|`, so the fit favours short
    answers (chapter 02 measures it; DAPO, Yu et al., 2025, and Dr. GRPO, Liu et al., 2025, study it
    in the RL loss). ``logits``: ``(B, T, V)`` of a causal LM on ``input_ids`` ``(B, T)``;
    ``labels``: ``(B, T)``, the input ids with prompt and padding at ``ignore_index`` (-100, as in
    PyTorch and Hugging Face), which their dtype must hold (``uint8`` labels with -100 are refused:
    they would store 156, a real id); compared as int64. Returns a scalar fp32 in nats; a ValueError
    if no label is kept; ``torch.func`` is refused (:mod:`ptcourse._vocab`).

    >>> labels = torch.tensor([[-100, -100, 7, 2]])  # a prompt of 2 tokens, an answer of 2
    >>> sft_loss(torch.zeros(1, 4, 10), labels)  # uniform over 10 tokens: log 10
    tensor(2.3026)
    """
    ig = G.sft_labels(logits, labels, ignore_index, average)
    labels = labels.long()  # compare in a wide type
    # Shift the labels, not the logits (logits[:, :-1] is not contiguous and would be copied):
    # target[b, t] = labels[b, t + 1]; the last position predicts nothing.
    shifted = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], ig)], dim=1)  # (B, T)
    keep = shifted != ig  # (B, T)
    targets = torch.where(keep, shifted, torch.zeros((), dtype=shifted.dtype))  # (B, T)
    nll = -token_logprobs(logits, targets)  # (B, T)
    nll = torch.where(keep, nll, torch.zeros((), dtype=nll.dtype, device=nll.device))
    if average == "token":
        return nll.sum() / keep.sum()
    per_seq_n = keep.sum(-1)  # (B,)
    has = per_seq_n > 0  # (B,)
    return (nll.sum(-1)[has] / per_seq_n[has]).mean()  # (B',) means, averaged
