"""PTCOURSE_SEED_OFFSET shifts every seed of the toy world's experiments, and nothing else."""

from __future__ import annotations

import copy

import pytest
import torch

from ptcourse import toy
from ptcourse.toy import seeding


def test_the_offset_shifts_a_generator_by_exactly_k(monkeypatch):
    monkeypatch.setenv(seeding.ENV, "1000")
    shifted = torch.rand(5, generator=toy.generator(3))
    monkeypatch.delenv(seeding.ENV)
    assert torch.equal(shifted, torch.rand(5, generator=toy.generator(1003)))
    assert not torch.equal(shifted, torch.rand(5, generator=toy.generator(3)))


def test_the_offset_changes_a_toy_rollout(monkeypatch):
    model = toy.sft_model()
    nouns = toy.data.nouns_for(16)
    _, base = toy.rollout(model, nouns, seed=5)
    monkeypatch.setenv(seeding.ENV, "1000")
    _, moved = toy.rollout(model, nouns, seed=5)
    monkeypatch.delenv(seeding.ENV)
    _, again = toy.rollout(model, nouns, seed=5)
    assert base == again and moved != base


def test_the_offset_changes_an_rl_run_but_not_its_start(monkeypatch):
    start = toy.sft_model()
    kwargs = dict(steps=2, batch_size=8, seed=0)
    _, h0 = toy.rl(copy.deepcopy(start), copy.deepcopy(start), **kwargs)
    monkeypatch.setenv(seeding.ENV, "2000")
    _, h1 = toy.rl(copy.deepcopy(start), copy.deepcopy(start), **kwargs)
    assert h0["reward"] != h1["reward"] or h0["kl"] != h1["kl"]


@pytest.mark.parametrize("raw", ["-1", "abc", "1.5", str(2**62 + 1)])
def test_a_bad_offset_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv(seeding.ENV, raw)
    with pytest.raises(ValueError, match="PTCOURSE_SEED_OFFSET"):
        toy.generator(0)


def test_unshifted_switches_the_offset_off_and_back_on(monkeypatch):
    monkeypatch.setenv(seeding.ENV, "7")
    with seeding.unshifted():
        assert seeding.shifted(1) == 1
    assert seeding.shifted(1) == 8


def test_a_bad_seed_is_refused_by_name():
    with pytest.raises(ValueError, match="'seed'"):
        seeding.shifted(-1)
