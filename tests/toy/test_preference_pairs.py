"""Toy preference pairs and the DPO / IPO loops: labels, start values, IPO's finite target."""

from __future__ import annotations

import copy
import math

import pytest

from ptcourse.toy import decode_answers, reward, sft_model
from ptcourse.toy.preference_pairs import on_policy_dpo, preference_pairs, train_on_pairs


@pytest.fixture(scope="module")
def pairs():
    return preference_pairs(sft_model(), 48, seed=0)


def test_labels_are_deterministic_and_ties_dropped(pairs):
    """Every chosen answer scores strictly more than its rejected one."""
    c, r = reward(decode_answers(pairs["chosen"])), reward(decode_answers(pairs["rejected"]))
    assert bool((c > r).all()) and len(pairs["nouns"]) == len(c)


def test_loops_start_at_the_closed_forms(pairs):
    """At policy == reference: DPO loss log 2, IPO loss 1/(4 tau^2), margin 0."""
    ref = sft_model()
    _, d = train_on_pairs(copy.deepcopy(ref), ref, pairs, loss="dpo", steps=1)
    _, i = train_on_pairs(copy.deepcopy(ref), ref, pairs, loss="ipo", beta=0.25, steps=1)
    assert math.isclose(d["loss"][0], math.log(2), rel_tol=1e-5)
    assert math.isclose(i["loss"][0], 1 / (4 * 0.25**2), rel_tol=1e-5)
    assert d["margin"][0] == 0.0


def test_ipo_margin_settles_near_its_target(pairs):
    """IPO's mean margin ends within 0.3 of 1/(2 tau) = 2; DPO's passes it and keeps growing."""
    ref = sft_model()
    _, i = train_on_pairs(copy.deepcopy(ref), ref, pairs, loss="ipo", beta=0.25, steps=30)
    _, d = train_on_pairs(copy.deepcopy(ref), ref, pairs, loss="dpo", beta=0.5, steps=30)
    assert abs(i["margin"][-1] - 2.0) < 0.3
    assert d["margin"][-1] > 4.0 and d["margin"][-1] > d["margin"][15]


def test_on_policy_is_deterministic():
    """Same seed, same history."""
    ref = sft_model()
    a = on_policy_dpo(copy.deepcopy(ref), ref, rounds=2, n_prompts=8, steps_per_round=1)[1]
    b = on_policy_dpo(copy.deepcopy(ref), ref, rounds=2, n_prompts=8, steps_per_round=1)[1]
    assert a == b


def test_bad_loss_is_refused(pairs):
    """An unknown loss names the argument."""
    with pytest.raises(ValueError, match="'loss'"):
        train_on_pairs(sft_model(), sft_model(), pairs, loss="kto")
