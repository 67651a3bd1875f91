"""TinyLM: a small causal transformer (about 100k parameters) for the toy language.

Pre-norm GPT blocks as in minGPT / nanoGPT (Karpathy, 2020-2023; Radford et al., 2019): token +
learned position embeddings, ``n_layer`` blocks of causal self-attention and an MLP, a final
LayerNorm, and an output layer tied to the token embedding (Press & Wolf, 2017). Logits are
``(B, T, V)``, the shape every ``ptcourse`` core function takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import seeding
from .tokenizer import TOKENIZER

__all__ = ["TinyConfig", "TinyLM"]


@dataclass(frozen=True)
class TinyConfig:
    """Sizes of a TinyLM (defaults: vocabulary of the toy language, 16 positions, d=64, 2 layers)."""

    vocab_size: int = len(TOKENIZER)
    block_size: int = 16
    d_model: int = 64
    n_layer: int = 2
    n_head: int = 4


class _Block(nn.Module):
    def __init__(self, cfg: TinyConfig) -> None:
        super().__init__()
        self.n_head, d = cfg.n_head, cfg.d_model
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x: torch.Tensor, cache: list | None = None) -> torch.Tensor:
        B, T, C = x.shape  # (B, T, C)
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=-1)  # 3 x (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        causal = True
        if cache is not None:  # incremental decoding: keys/values of earlier positions
            if cache:
                k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
                causal = T > 1
            cache[:] = [k, v]  # (B, H, t, C/H)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)  # (B, H, T, C/H)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    """A tiny causal language model: ``logits = TinyLM(ids)``.

    :math:`p_\\theta(x_{t+1} \\mid x_{\\le t}) = \\mathrm{softmax}(\\text{logits}_t)`; ``config``
    holds the sizes (default: about 100k parameters), ``seed`` seeds the initialisation (same seed,
    same weights).

    >>> model = TinyLM(seed=0)
    >>> ids = torch.tensor([[1, 6, 16]])  # <bos> the cat
    >>> model(ids).shape  # (B, T, V)
    torch.Size([1, 3, 33])
    >>> model.num_parameters() < 200_000
    True
    """

    def __init__(self, config: TinyConfig | None = None, *, seed: int = 0) -> None:
        super().__init__()
        self.config = cfg = config or TinyConfig()
        with torch.random.fork_rng(devices=[]):  # seed the init without touching the global RNG
            torch.manual_seed(seeding.shifted(seed))
            self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
            self.pos_emb = nn.Embedding(cfg.block_size, cfg.d_model)
            self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layer))
            self.ln_f = nn.LayerNorm(cfg.d_model)
            for name, p in self.named_parameters():  # init scaled for a narrow model (d=64)
                if p.dim() == 2:
                    nn.init.normal_(p, std=0.3 if "emb" in name else cfg.d_model**-0.5)
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

    def num_parameters(self) -> int:
        """The number of parameters (the tied output layer counted once)."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Next-token logits ``(B, T, V)`` of integer ids ``(B, T)``; ValueError if T > block_size."""
        if ids.dim() != 2 or ids.dtype not in (torch.long, torch.int32, torch.int64):
            raise ValueError(
                f"TinyLM: 'ids' must be an integer tensor (B, T), got "
                f"{tuple(ids.shape)} {ids.dtype}"
            )
        T = ids.shape[1]
        if T > self.config.block_size:
            raise ValueError(f"TinyLM: 'ids' has T={T} > block_size={self.config.block_size}")
        return self._run(ids, 0, None)

    def _run(self, ids: torch.Tensor, start: int, caches: list | None) -> torch.Tensor:
        pos = torch.arange(start, start + ids.shape[1], device=ids.device)
        x = self.tok_emb(ids) + self.pos_emb(pos)  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.tok_emb.weight.T  # (B, T, V), tied output layer

    @torch.no_grad()
    def generate(
        self,
        prompt_ids: torch.Tensor,
        max_new_tokens: int = 11,
        *,
        temperature: float = 1.0,
        seed: int | None = 0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Sample a continuation of each prompt, stopping a row at ``<eos>``.

        .. math::

            x_{t+1} \\sim \\mathrm{softmax}(\\text{logits}_t / \\tau), \\quad \\tau = \\text{temperature}
            \\; (\\tau = 0: \\arg\\max)

        ``prompt_ids`` are integer ids ``(B, P)`` or ``(P,)``; at most ``max_new_tokens`` are added
        (capped by ``block_size``); a negative ``temperature`` raises ValueError. Draws come from
        ``generator`` if given (a training loop's one stream), else from a private generator seeded
        with ``seed`` (None: 0). Returns ids ``(B, P + n)``, ``<pad>`` after a row's ``<eos>``.

        >>> from ptcourse.toy.tokenizer import TOKENIZER as tok
        >>> model = TinyLM(seed=0)
        >>> p = torch.tensor([tok.encode("<bos> the")])
        >>> torch.equal(model.generate(p, 4, seed=1), model.generate(p, 4, seed=1))  # same seed
        True
        """
        if temperature < 0:
            raise ValueError(f"generate: 'temperature' must be >= 0, got {temperature}")
        if prompt_ids.dim() == 1:
            prompt_ids = prompt_ids.unsqueeze(0)
        if generator is None:
            generator = torch.Generator(device=prompt_ids.device)
            generator.manual_seed(seeding.shifted(0 if seed is None else seed))
        ids = prompt_ids
        n = min(max_new_tokens, self.config.block_size - ids.shape[1])
        done = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
        caches: list = [[] for _ in self.blocks]  # per block: [keys, values] (B, H, t, C/H)
        logits = self._run(ids, 0, caches)[:, -1, :].float()  # (B, V)
        for i in range(n):
            if i > 0:  # one new position, attending to the cached keys and values
                logits = self._run(ids[:, -1:], ids.shape[1] - 1, caches)[:, -1, :].float()
            if temperature == 0:
                nxt = logits.argmax(-1)  # (B,)
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (B,)
            nxt = torch.where(done, torch.full_like(nxt, TOKENIZER.pad_id), nxt)
            ids = torch.cat([ids, nxt[:, None]], dim=1)  # (B, t + 1)
            done |= nxt == TOKENIZER.eos_id
            if bool(done.all()):
                break
        return ids
