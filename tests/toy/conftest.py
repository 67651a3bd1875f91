"""Shared, session-scoped runs of the toy world (each trained once for all behaviour tests)."""

from __future__ import annotations

import pytest

from ptcourse import toy

BETAS = (0.0, 0.1, 0.3, toy.DEFAULT_BETA, 1.0)
ENTROPY_COEF = 0.3


@pytest.fixture(scope="session")
def pretrained():
    return toy.pretrained_model(0)


@pytest.fixture(scope="session")
def sft():
    return toy.sft_model(0)


@pytest.fixture(scope="session")
def sft_eval(sft):
    """The SFT model measured like every RL policy (256 fresh answers)."""
    return toy.evaluate(sft, sft)


@pytest.fixture(scope="session")
def rl_runs():
    """beta -> (final evaluation, history) of an RL run from the SFT model, default settings."""
    runs = {}
    for beta in BETAS:
        ref = toy.sft_model(0)
        policy, hist = toy.rl(toy.sft_model(0), ref, beta=beta)
        runs[beta] = (toy.evaluate(policy, ref), hist)
    return runs


@pytest.fixture(scope="session")
def bonus_run():
    """(final evaluation, history) of RL with beta=0 and an entropy bonus."""
    ref = toy.sft_model(0)
    policy, hist = toy.rl(toy.sft_model(0), ref, beta=0.0, entropy_coef=ENTROPY_COEF)
    return toy.evaluate(policy, ref), hist
