"""The configurations the chapters run (read from the chapters) produce the behaviour they claim.

The chapters assert their claims when the book executes; these tests run the same configurations
(steps, beta, alpha, batch size, seed, read from the chapter source, so they cannot drift apart) in
the unit suite, so a change of the toy world that breaks a chapter's story fails here first, without
a book build. The bounds are the chapters' own claims (see the hidden claim cells there).
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest

from ptcourse import toy
from ptcourse.toy.topic import on_topic_rate

BOOK = Path(__file__).resolve().parents[2] / "book"
_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def _value(node: ast.expr):
    """A literal, a tuple of literals, ``dict(k=literal, ...)`` or ``toy.NAME``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "toy"
    ):
        return getattr(toy, node.attr)
    return ast.literal_eval(node)


def chapter_constants(name: str) -> dict:
    """Top-level ``NAME = value`` (and ``A, B = x, y``) assignments of a chapter's code cells."""
    text = (BOOK / name).read_text(encoding="utf-8")
    out = {}
    for cell in _CELL.findall(text):
        if cell.startswith("---\n"):  # a YAML header of cell options (tags, image alt text)
            cell = cell.split("\n---\n", 1)[1]
        cell = "\n".join(line for line in cell.splitlines() if not line.startswith((":", "%")))
        for node in ast.parse(cell).body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            try:
                if isinstance(target, ast.Name) and target.id.isupper():
                    out[target.id] = _value(node.value)
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for t, v in zip(target.elts, node.value.elts, strict=True):
                        if isinstance(t, ast.Name) and t.id.isupper():
                            out[t.id] = _value(v)
            except (ValueError, TypeError, AttributeError):
                continue  # not a plain constant (a tensor, a computed value): not a configuration
    return out


def test_chapter_constants_reads_the_configurations():
    """The reader finds the run configurations the tests below depend on, in every chapter."""
    assert chapter_constants("02_likelihood_sft.md")["SFT_STEPS"] == toy.SFT_STEPS
    ch04 = chapter_constants("05_entropy.md")
    assert set(ch04["TOY_RUN"]) == {"steps", "batch_size", "seed"} and ch04["ENTROPY_COEF"] > 0
    assert chapter_constants("06_toolkit.md")["GRPO_STEPS"] >= 1


def test_ch02_sft_run_learns_the_task(sft):
    """Chapter 2 trains SFT_STEPS steps, as the checkpoint does; the checkpoint answers on topic.

    The chapter's bound: at least 0.75 of 64 answers (8 per animal) are about the requested animal
    (chance is 1/8); 64 answers have a standard error of at most 0.06.
    """
    assert chapter_constants("02_likelihood_sft.md")["SFT_STEPS"] == toy.SFT_STEPS
    nouns = list(toy.grammar.NOUNS) * 8
    assert on_topic_rate(toy.sample(sft, nouns=nouns, seed=1), nouns) >= 0.75


@pytest.fixture(scope="module")
def ch04_runs(sft):
    """Chapter 5's three runs (no leash, leash, entropy bonus), evaluated as the chapter does."""
    c = chapter_constants("05_entropy.md")
    configs = {
        "free": dict(beta=0.0),
        "leash": dict(beta=toy.DEFAULT_BETA),
        "bonus": dict(beta=0.0, entropy_coef=c["ENTROPY_COEF"]),
    }
    out = {}
    for name, kwargs in configs.items():
        policy, _ = toy.rl(copy.deepcopy(sft), ref=copy.deepcopy(sft), **c["TOY_RUN"], **kwargs)
        out[name] = toy.evaluate(policy, sft)
    return out


def test_ch04_no_leash_collapses_onto_the_hack(ch04_runs, sft_eval):
    """beta = 0: the samples hack the reward, lose grammar, entropy and diversity (chapter 5's claims)."""
    free = ch04_runs["free"]
    assert free["hack_rate"] >= 0.5 and free["grammatical"] <= 0.1
    assert free["entropy"] <= 0.25 * sft_eval["entropy"]
    assert free["distinct_2"] <= 0.5 * sft_eval["distinct_2"]


def test_ch04_leash_keeps_the_text_grammatical(ch04_runs, sft_eval):
    """Default beta: KL small and a tenth of the free run's, grammatical, half the entropy kept."""
    leash, free = ch04_runs["leash"], ch04_runs["free"]
    assert leash["kl"] <= min(5.0, 0.1 * free["kl"])
    assert leash["grammatical"] >= 0.85
    assert leash["entropy"] >= 0.5 * sft_eval["entropy"]


def test_ch05_entropy_bonus_keeps_spread_not_sense(ch04_runs, sft_eval):
    """The entropy bonus without a leash: entropy at least the SFT model's, but far drift, word salad."""
    bonus, leash = ch04_runs["bonus"], ch04_runs["leash"]
    assert bonus["entropy"] >= sft_eval["entropy"]
    assert bonus["kl"] >= 10 * leash["kl"]
    assert bonus["grammatical"] <= 0.25


def test_ch05_beta_depends_on_where_the_kl_goes(sft):
    """At the same beta and steps, k3 in the GRPO loss drifts 3x further than KL in the reward and
    writes at least 0.2 fewer grammatical answers (chapter 6's claims; 128 answers, se <= 0.044)."""
    steps = chapter_constants("06_toolkit.md")["GRPO_STEPS"]
    runs = {}
    for kind in ("grpo", "reinforce"):
        policy, _ = toy.rl(
            copy.deepcopy(sft),
            ref=copy.deepcopy(sft),
            advantage=kind,
            group_size=8,
            steps=steps,
            batch_size=64,
            seed=0,
        )
        runs[kind] = toy.evaluate(policy, sft, n=128)
    assert runs["grpo"]["kl"] >= 3 * runs["reinforce"]["kl"]
    assert runs["reinforce"]["grammatical"] - runs["grpo"]["grammatical"] >= 0.2
    assert runs["reinforce"]["grammatical"] >= 0.8
