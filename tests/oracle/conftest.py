"""Fixtures of the oracle tests (tests/oracle): the tiny random model, built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """Directory holding the tiny random Llama and its word tokenizer (oracle_support.build_tiny)."""
    import oracle_support as S

    S.require("transformers")
    return S.build_tiny(tmp_path_factory.mktemp("tiny-llama"))
