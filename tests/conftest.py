"""Shared pytest configuration for the ptcourse test suite.

Hypothesis runs a small, derandomized number of examples so the suite stays fast and every run
checks the same cases (property tests here are about exactness, not about fuzzing for hours).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ptcourse",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ptcourse")


@pytest.fixture
def gen() -> torch.Generator:
    """A freshly seeded CPU generator: same seed, same numbers."""
    return torch.Generator().manual_seed(0)
