"""``glue`` publishes a number to the book; ``claim`` publishes it and asserts what the prose says."""

from __future__ import annotations

import builtins
import math

import pytest
import torch
from ptcourse.glue import ClaimError, claim, glue


def test_claim_within_bounds_returns_the_value_unchanged():
    """A value inside its stated bounds passes and comes back as it went in."""
    assert claim("inside", 0.5, at_least=0.0, at_most=1.0) == 0.5
    t = torch.tensor(2.0)
    assert claim("tensor_inside", t, at_least=1.0) is t


def test_claim_bounds_are_inclusive():
    """A value equal to a bound satisfies it (the prose says "at least", not "more than")."""
    assert claim("on_low_edge", 1.0, at_least=1.0) == 1.0
    assert claim("on_high_edge", 1.0, at_most=1.0) == 1.0


def test_violated_lower_bound_fails_naming_the_claim():
    """A value below at_least raises ClaimError whose message names the claim and the bound."""
    with pytest.raises(
        ClaimError, match=r"claim 'sft_on_topic' does not hold: 0.12 is below at_least=0.8"
    ):
        claim("sft_on_topic", 0.12, at_least=0.8)


def test_violated_upper_bound_fails_naming_the_claim():
    """A value above at_most raises ClaimError whose message names the claim and the bound."""
    with pytest.raises(ClaimError, match=r"claim 'leash_kl' does not hold: 4.2 is above at_most=2"):
        claim("leash_kl", torch.tensor(4.2), at_most=2.0)


def test_claim_error_is_an_assertion_error():
    """A broken claim is an assertion failure, so pytest and nbval report it as one."""
    assert issubclass(ClaimError, AssertionError)


def test_nan_never_passes():
    """NaN satisfies no bound: it is reported as a broken claim, not silently accepted."""
    with pytest.raises(ClaimError, match="'reward' does not hold: the value is NaN"):
        claim("reward", math.nan, at_least=0.0)


def test_yes_no_claims():
    """A bool with no bounds is asserted true; False fails with the claim's name."""
    assert claim("lands_on_heavier_bump", True) is True
    with pytest.raises(ClaimError, match="'lands_on_heavier_bump' does not hold"):
        claim("lands_on_heavier_bump", False)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "give 'at_least', 'at_most' or both"),
        ({"at_least": 2.0, "at_most": 1.0}, "'at_least'=2.0 is above 'at_most'=1.0"),
        ({"at_least": "1"}, "'at_least' must be a real number"),
    ],
)
def test_bad_arguments_give_clear_errors(kwargs, match):
    """Missing or inconsistent bounds are the caller's mistake: ValueError naming the claim."""
    with pytest.raises(ValueError, match=match):
        claim("some_claim", 1.5, **kwargs)


def test_bad_name_and_value_give_clear_errors():
    """An empty name or a non-numeric value is rejected with the argument named."""
    with pytest.raises(ValueError, match="'name' must be a non-empty string"):
        claim("", 1.0, at_least=0.0)
    with pytest.raises(ValueError, match="value must be a real number"):
        claim("text", "high", at_least=0.0)


def test_without_myst_nb_glue_is_a_no_op_but_claims_still_assert(monkeypatch):
    """Where myst-nb is missing (Colab), glue does nothing and claim still checks its bound."""
    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError("no myst_nb here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst)
    assert glue("anything", 1) is None
    assert claim("colab_ok", 3.0, at_least=1.0) == 3.0
    with pytest.raises(ClaimError, match="'colab_broken'"):
        claim("colab_broken", 0.0, at_least=1.0)


def test_claim_glues_under_its_name(monkeypatch):
    """claim publishes the checked value under the claim's name (as a plain number, not a tensor)."""
    seen = {}
    import ptcourse.course.glue as glue_module

    monkeypatch.setattr(
        glue_module, "glue", lambda name, value, display=False: seen.update({name: value})
    )
    claim("published", torch.tensor(0.25), at_most=1.0)
    claim("unpublished", 0.25, at_most=1.0, glue_it=False)
    assert seen == {"published": 0.25}
