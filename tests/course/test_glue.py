"""``glue`` publishes a number to the book; ``claim`` publishes it and asserts what the prose says."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest
import torch

from ptcourse.course.glue import ClaimError, claim, glue


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


# ---------------------------------------------------------------- issue 30


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        (math.inf, {"at_least": 1.0}),
        (-math.inf, {"at_most": 1.0}),
        (torch.tensor(math.inf), {"at_least": 0.0, "at_most": math.pi}),
    ],
)
def test_an_infinite_value_never_passes(value, bounds):
    """claim("r", inf, at_least=1) held: a diverged run satisfied a one-sided claim."""
    with pytest.raises(ClaimError, match="'reward' does not hold: the value is -?inf"):
        claim("reward", value, glue_it=False, **bounds)


@pytest.mark.parametrize("value", [torch.ones(2), np.ones(3), np.ones((1, 2)), np.ones(0)])
def test_a_value_of_several_numbers_is_named(value):
    """A 2-element tensor raised torch's RuntimeError, a numpy array numpy's: neither named the claim."""
    with pytest.raises(ValueError, match="claim 'kl_small': value must be one number"):
        claim("kl_small", value, at_most=1.0, glue_it=False)


def test_one_element_arrays_and_numpy_scalars_still_work():
    """The accepted forms keep working: numpy scalars, 1-element arrays and tensors."""
    for v in (np.float32(0.5), np.array([0.5]), torch.tensor([0.5]), np.int64(0)):
        assert claim("kl_small", v, at_most=1.0, glue_it=False) is v


@pytest.mark.parametrize("bound", ["at_least", "at_most"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_bound_is_a_value_error(bound, bad):
    """at_least=nan raised ClaimError, not the documented ValueError for wrong arguments."""
    with pytest.raises(ValueError, match=f"claim 'c': '{bound}' must be a finite number") as info:
        claim("c", 1.0, glue_it=False, **{bound: bad})
    assert not isinstance(info.value, ClaimError)


@pytest.mark.parametrize("kwargs", [{"value": 10**400}, {"value": 1, "at_most": 10**400}])
def test_an_int_beyond_the_float_range_is_named(kwargs):
    """10**400 raised a raw OverflowError ("int too large to convert to float")."""
    kwargs.setdefault("at_least", 0.0)
    with pytest.raises(ValueError, match="claim 'c': .* an int of 401 digits, beyond the float"):
        claim("c", glue_it=False, **kwargs)


def test_a_meta_tensor_value_is_named():
    """A meta tensor raised torch's "Tensor.item() cannot be called on meta tensors"."""
    with pytest.raises(ValueError, match="claim 'c': value has no number to read"):
        claim("c", torch.ones(1, device="meta"), at_least=0.0, glue_it=False)
