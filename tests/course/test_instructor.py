"""book/instructor.md: both plans are timed end to end, every slot has speaker notes, every live
demo's expected output is glued from book/workshop/live_demos.md, and the FAQ and Plan B are there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "book" / "instructor.md").read_text(encoding="utf-8")
DEMOS = (ROOT / "book" / "workshop" / "live_demos.md").read_text(encoding="utf-8")
GLUED = ROOT / "_build" / "jupyter_execute" / "book" / "workshop" / "live_demos.glue.json"


def section(title: str) -> str:
    """The text of the ``## title`` section."""
    start = PAGE.index(f"## {title}")
    end = PAGE.find("\n## ", start + 3)
    return PAGE[start : end if end > 0 else None]


def rows(plan: str) -> list[tuple[int, int, str, str]]:
    """(start, end) minutes, chapter and exercise column of each row of a plan's table."""
    out = []
    for m in re.finditer(r"^\| (\d):(\d\d)–(\d):(\d\d) \| ([^|]+) \|[^|]*\|([^|]*)\|", plan, re.M):
        h0, m0, h1, m1, chapter, exercise = m.groups()
        out.append((int(h0) * 60 + int(m0), int(h1) * 60 + int(m1), chapter.strip(), exercise))
    return out


PLANS = {"A 90-minute workshop": 90, "A half-day workshop (4 hours, two breaks)": 240}


@pytest.mark.parametrize("plan", PLANS)
def test_each_plan_is_timed_end_to_end(plan):
    """The slots of each plan follow each other without gap or overlap, from 0:00 to its length."""
    slots = rows(section(plan))
    assert slots[0][0] == 0 and slots[-1][1] == PLANS[plan]
    assert all(a[1] == b[0] for a, b in zip(slots, slots[1:], strict=False))


def test_the_toolkit_gets_more_than_five_minutes_and_exercises_are_timed():
    """In the 90-minute plan chapter 06 has more than 5 minutes, and every in-class exercise row
    gives its coding and walk-through minutes, which add up to the row's length."""
    slots = rows(section("A 90-minute workshop"))
    assert sum(b - a for a, b, ch, _ in slots if ch.startswith("06")) > 5
    exercises = [s for s in slots if re.search(r"`\w+`", s[3]) and "Wrap-up" not in s[2]]
    assert len(exercises) == 3
    for a, b, chapter, _ in exercises:
        line = next(
            r
            for r in section("A 90-minute workshop").splitlines()
            if chapter in r and f"{a // 60}:{a % 60:02d}–" in r
        )
        code, walk = map(int, re.search(r"Coding (\d+) min, walk-through (\d+) min", line).groups())
        assert code + walk == b - a, line


def test_the_half_day_plan_has_the_practice_chapters():
    """The half-day plan has a slot for chapter 07 and one for chapter 08."""
    chapters = [ch for _, _, ch, _ in rows(section("A half-day workshop (4 hours, two breaks)"))]
    assert any(c.startswith("07") for c in chapters) and any(c.startswith("08") for c in chapters)


def test_every_chapter_slot_has_speaker_notes():
    """Every chapter of either plan has a notes section with what to say, what to run and a question."""
    notes = section("Speaker notes")
    chapters = {
        ch for plan in PLANS for _, _, ch, _ in rows(section(plan)) if re.match(r"\d\d ", ch)
    }
    for chapter in chapters:
        m = re.search(rf"^### {re.escape(chapter)} \(.*?(?=^### |\Z)", notes, re.M | re.S)
        assert m, f"no speaker notes for {chapter}"
        body = m.group(0)
        assert "**Say**" in body and "**Run live**" in body and "**Ask**" in body, chapter


def test_every_demo_in_the_notes_has_its_output_glued():
    """Each `ptcourse demo ...` the plans and notes run is run by the live-demos page, and the
    notes quote its numbers from there (cross-page glue), never typed in."""
    commands = set(re.findall(r"`(ptcourse demo [a-z]+(?: --[a-z-]+ [\d.]+)*)`", PAGE))
    live = dict(re.findall(r'"(\w+)": \(\s*"(ptcourse demo [^"]+)"', DEMOS))
    assert commands and commands <= set(live.values()), commands - set(live.values())
    notes = section("Speaker notes")
    for slug, command in live.items():
        if command in notes:
            assert f"live_demos.md::{slug}_" in notes, f"no glued output for {command}"


def test_glue_keys_exist_in_the_built_demo_page():
    """Every key the instructor page pastes from the live-demos page was glued by the build."""
    if not GLUED.exists():
        pytest.skip("the book is not built (make book)")
    glued = json.loads(GLUED.read_text())
    keys = set(re.findall(r"live_demos\.md::(\w+):", PAGE))
    assert keys and keys <= set(glued), keys - set(glued)


def test_the_faq_answers_the_rooms_questions():
    """The FAQ has the five questions a room asks (issue 16)."""
    faq = section("Questions the room will ask")
    for q in (
        'also say "great"',
        "KL of the `--beta 0` run {glue:text}",
        "distinct-2 and the hack rate",
        "REINFORCE and not PPO",
        "TRL",
    ):
        assert q in faq, q


def test_plan_b_covers_install_network_and_slow_laptops():
    """Plan B says what to do when Colab's install fails, offline, and on a slow laptop, with the
    cache variable and the warm-up command."""
    plan_b = section("Plan B")
    for needle in (
        "install cell fails",
        "no internet",
        "slow",
        "PTCOURSE_TOY_CACHE",
        "ptcourse demo --warm",
    ):
        assert needle in plan_b, needle
