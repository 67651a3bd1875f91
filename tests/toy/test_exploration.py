"""pass@k's unbiased estimator against brute-force enumeration; the success rule; determinism."""

from __future__ import annotations

import itertools
import math

import pytest

from ptcourse.toy import sft_model
from ptcourse.toy.exploration import pass_at_k, pass_at_k_curve, successes


@pytest.mark.parametrize("n,c", [(5, 0), (5, 2), (6, 3), (7, 6)])
def test_pass_at_k_is_the_chance_a_k_subset_holds_a_success(n, c):
    """1 - C(n-c,k)/C(n,k) equals the fraction of all k-subsets of the n samples with a success."""
    samples = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(samples, k))
        want = sum(any(s) for s in subsets) / len(subsets)
        assert math.isclose(pass_at_k(n, c, k), want, abs_tol=1e-12)


def test_pass_at_k_refuses_bad_counts():
    """k outside 1..n, c outside 0..n, or a non-int name the argument."""
    with pytest.raises(ValueError, match="k"):
        pass_at_k(4, 1, 5)
    with pytest.raises(ValueError, match="c"):
        pass_at_k(4, 5, 1)
    with pytest.raises(TypeError, match="'n'"):
        pass_at_k(4.0, 1, 1)


def test_success_needs_grammar_and_the_topic():
    """An on-topic salad and a grammatical off-topic sentence both fail."""
    assert successes(
        ["the cat is red .", "the cat great great", "a dog sees the cat ."], ["cat"] * 3
    ) == [
        True,
        False,
        False,
    ]


def test_curve_is_deterministic_and_monotone():
    """Same seed, same curve; pass@k never falls with k."""
    m = sft_model()
    a, b = pass_at_k_curve(m, (1, 2, 4), n=8), pass_at_k_curve(m, (1, 2, 4), n=8)
    assert a == b
    assert a[1] <= a[2] <= a[4]
