"""book/cheatsheet.md: every formula of the course on one page, each with its ptcourse function.

That it prints on one A4 and one Letter sheet is checked in a browser (tests/site/test_site_workshop.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import ptcourse

ROOT = Path(__file__).resolve().parents[2]
SHEET = ROOT / "book" / "cheatsheet.md"
NAMED = re.compile(r"`ptcourse\.(\w+)`")
# The topics issue 16 lists, each with the function the sheet must name for it.
REQUIRED = {
    "Log-softmax": "token_logprobs",
    "Cross-entropy and perplexity": "perplexity",
    "CE = H + KL": "kl_divergence",
    "SFT loss": "sft_loss",
    "KL and its direction": "kl_divergence",
    "k1, k2, k3": "kl_estimate",
    "KL-penalised reward": "kl_penalized_rewards",
    "optimal leashed policy": "kl_regularized_policy",
    "DPO": "dpo_loss",
    "GRPO advantages": "grpo_advantages",
    "PPO clip": "ppo_clip_loss",
    "why RL lowers it": "entropy",
}


def entries() -> dict[str, str]:
    """Bold title of each entry -> its text up to the next entry."""
    text = SHEET.read_text(encoding="utf-8")
    parts = re.split(r"^\*\*(.+?)\*\*", text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_every_named_function_exists_in_ptcourse():
    """Each `ptcourse.NAME` on the sheet is a public callable of the package (no stale name)."""
    names = NAMED.findall(SHEET.read_text(encoding="utf-8"))
    assert len(names) >= 12
    missing = [n for n in names if not callable(getattr(ptcourse, n, None))]
    assert not missing, f"the cheat sheet names functions ptcourse does not have: {missing}"
    assert all(n in ptcourse.__all__ for n in names)


def test_every_required_topic_has_an_entry_with_its_function():
    """Each topic of the issue has an entry whose first line names its ptcourse function."""
    got = entries()
    for topic, function in REQUIRED.items():
        entry = next((body for title, body in got.items() if topic in title), None)
        assert entry is not None, f"no cheat-sheet entry for {topic!r}"
        assert f"`ptcourse.{function}`" in entry.splitlines()[0], (topic, function)


def test_the_estimators_say_what_each_is_unbiased_for():
    """The k1/k2/k3 entry gives each formula and says which is unbiased and which is never negative."""
    body = next(b for t, b in entries().items() if "k1, k2, k3" in t)
    assert (
        "k_1 = -\\log r" in body and "\\tfrac12(\\log r)^2" in body and "(r - 1) - \\log r" in body
    )
    assert body.count("unbiased") == 2 and "\\ge 0" in body and "biased" in body


def test_the_sheet_is_in_the_reference_part():
    """The cheat sheet is a page of the book, in the Reference part of _toc.yml."""
    toc = (ROOT / "_toc.yml").read_text()
    assert toc.index("caption: Reference") < toc.index("file: book/cheatsheet")
