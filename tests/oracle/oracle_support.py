"""Shared pieces of the oracle tests: the optional-import rule and a tiny random causal LM.

The oracle tests hold ``ptcourse`` to what TRL (and verl, through committed golden values)
compute. TRL is an optional extra (``pip install 'ptcourse[trl]'``, after torch): without it
these tests skip with that reason, except under ``CI=true``, where a missing TRL is a failure
(the lock pins it, so CI must have it).

Nothing here imports TRL or transformers at import time: pytest's ``--doctest-modules`` imports
this file in every run, with or without the extra.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

INSTALL = "pip install 'ptcourse[trl]' after torch (make install does it from requirements.lock)"

#: The tiny world's vocabulary: four special tokens and twenty words.
SPECIAL = ("<pad>", "<unk>", "<bos>", "<eos>")
WORDS = tuple(
    "the a cat dog sat ran on mat log is big small red blue yes no and or up down".split()
)


def require(name: str):
    """Import ``name`` or skip the calling module (fail it under ``CI=true``) with a clear reason."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        message = f"{name} is not installed ({exc}); the oracle tests need it: {INSTALL}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message, allow_module_level=True)


class Lazy:
    """A module imported on first attribute access, through :func:`require`.

    Test modules name their TRL modules at import time with ``Lazy("trl.trainer.utils")``; the
    import (about 17 s of CPU for trl, transformers and datasets) happens in the first test that
    uses one. pytest imports every test module on every xdist worker to collect it, so a
    module-level import would cost each worker that time, while the oracle tests run on one
    (``xdist_group("oracle")``).
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        if attr.startswith(
            "__"
        ):  # inspect / doctest probe __wrapped__ etc.: do not import for that
            raise AttributeError(attr)
        return getattr(require(self._name), attr)


def build_tiny(path: Path, *, seed: int = 0, hidden: int = 16) -> Path:
    """Save a random 2-layer Llama (vocabulary 24) and its in-process word tokenizer to ``path``.

    No download: the tokenizer is a ``tokenizers`` WordLevel model over :data:`WORDS`, the model
    a ``LlamaForCausalLM`` from a ``LlamaConfig`` with random weights (seeded). The trainers load
    both from the directory, as they would a Hub checkpoint, and build their reference model from
    it the same way (bit-identical weights).
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIAL + WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<bos>",
        eos_token="<eos>",
    )
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=64,
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<bos>"],
        eos_token_id=vocab["<eos>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def quiet_args(config_cls, out: Path, **kw):
    """A TRL config for a seconds-long CPU run: fp32 (TRL defaults to ``bf16=True``), no logging out."""
    base = dict(
        output_dir=str(out),
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        seed=0,
        dataloader_num_workers=0,
    )
    base.update(kw)
    return config_cls(**base)
