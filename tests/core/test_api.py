"""The public API: every contract function is re-exported from ptcourse, and core imports only torch."""

from __future__ import annotations

import ptcourse as pc

CONTRACT = {
    "token_logprobs",
    "sequence_logprob",
    "cross_entropy",
    "perplexity",
    "sft_loss",
    "kl_divergence",
    "kl_estimate",
    "kl_penalized_rewards",
    "kl_regularized_policy",
    "entropy",
    "dpo_loss",
    "grpo_advantages",
    "ppo_clip_loss",
    "token_stats",
    "TokenStats",
}


def test_all_contract_names_exported():
    """Every contract name is in ptcourse.__all__ and resolves to a documented callable."""
    assert CONTRACT <= set(pc.__all__)
    for name in CONTRACT:
        obj = getattr(pc, name)
        assert callable(obj) and obj.__doc__, name


PUBLIC = CONTRACT | {
    "__version__",
    "aggregate_loss",
    "bradley_terry_loss",
    "ipo_loss",
    "rloo_advantages",
}


def test_the_public_names_are_exactly_all():
    """`pc.__all__` is the pinned public list, and every other public name of `pc` is a module."""
    import types

    assert set(pc.__all__) == PUBLIC
    extra = [
        n
        for n in dir(pc)
        if not n.startswith("_")
        and n not in PUBLIC
        and not isinstance(getattr(pc, n), types.ModuleType)
    ]
    assert extra == []


def _core_modules():
    import importlib
    import pathlib

    folder = pathlib.Path(pc.__file__).parent
    names = sorted(
        p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__", "cli")
    )
    return [importlib.import_module(f"ptcourse.{n}") for n in names]


def test_every_core_module_declares_all_and_its_names_resolve():
    """Each core module lists its public names in `__all__` (empty for a private `_module`), and they exist."""
    for mod in _core_modules():
        assert isinstance(mod.__all__, list), mod.__name__
        if mod.__name__.rpartition(".")[2].startswith("_"):
            assert all(not n.startswith("_") for n in mod.__all__), mod.__name__
        for name in mod.__all__:
            assert hasattr(mod, name), (mod.__name__, name)


def test_every_core_and_toy_module_is_at_most_400_lines():
    """No module of the core or the toy world is over 400 lines: one concept per module.

    (tests/test_layers.py checks the course modules it owns the same way.)"""
    import pathlib

    folder = pathlib.Path(pc.__file__).parent
    long = {
        str(p.relative_to(folder)): n
        for p in [*folder.glob("*.py"), *folder.glob("toy/**/*.py")]
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}
