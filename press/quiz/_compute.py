"""Small helpers the quiz data modules use to compute their numeric answers with the ptcourse core."""

from __future__ import annotations

import torch


def target_logits(probs: list[float], vocab: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """``(logits (1, T, V), targets (1, T))`` of a model that gives token t probability probs[t].

    The rest of each position's mass is spread evenly over the other ``vocab - 1`` tokens.

    Examples
    --------
    >>> logits, targets = target_logits([0.5, 0.25])
    >>> round(float(torch.softmax(logits, -1)[0, 1, targets[0, 1]]), 6)
    0.25
    """
    p = torch.tensor(probs, dtype=torch.float64)  # (T,)
    rest = ((1 - p) / (vocab - 1))[:, None].expand(-1, vocab).clone()  # (T, V)
    rest[:, 0] = p  # the target is token 0
    return rest.log().float()[None], torch.zeros(1, len(probs), dtype=torch.long)
