"""press/claims_matrix.py: the report says which claim failed where, and the spread of glued numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location(
        "claims_matrix", ROOT / "press" / "claims_matrix.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(cap, offset, value, holds=True, glued=1.0, errors=()):
    return {
        "chapter": "06_x.md",
        "cap": cap,
        "offset": offset,
        "seconds": 1.0,
        "errors": list(errors),
        "native": "AVX2",
        "torch": "2.13.0",
        "records": [
            {
                "kind": "claim",
                "name": "claim_a",
                "value": value,
                "at_least": 1.0,
                "at_most": None,
                "holds": holds,
                "error": "",
            },
            {"kind": "glue", "name": "g", "value": glued},
        ],
    }


def test_every_claim_holding_reports_ok():
    text, ok = _tool().report([_run("native", 0, 2.0), _run("default", 1000, 3.0, glued=2.0)])
    assert ok and "**2 of 2 claim checks hold**" in text
    assert "| 06 | `g` | 1 | 2 | 2 | 50.0% |" in text  # the spread of the glued number


def test_one_failing_claim_fails_the_matrix_and_is_marked():
    text, ok = _tool().report([_run("native", 0, 2.0), _run("default", 1000, 0.5, holds=False)])
    assert not ok and "0.5 **FAILS**" in text and "**1 of 2 claim checks hold**" in text


def test_a_cell_error_or_a_missing_claim_fails_the_matrix():
    _, ok = _tool().report(
        [_run("native", 0, 2.0), _run("default", 0, 2.0, errors=["ValueError: x"])]
    )
    assert not ok
    missing = _run("default", 0, 2.0)
    missing["records"] = missing["records"][1:]
    text, ok = _tool().report([_run("native", 0, 2.0), missing])
    assert not ok and "missing" in text


def test_the_recorder_cell_wraps_claim_without_raising(tmp_path, monkeypatch):
    """The injected cell records a failed claim instead of raising, and still glues what holds."""
    import json

    import ptcourse.course.glue as g

    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("PTCOURSE_CLAIMS_LOG", str(log))
    saved = g.claim, g.glue
    try:
        exec(_tool().RECORDER, {})
        g.claim("c_fails", 0.5, at_least=1.0)
        g.claim("c_holds", 2.0, at_least=1.0)
    finally:
        g.claim, g.glue = saved
    recs = [json.loads(x) for x in log.read_text().splitlines()]
    claims = {r["name"]: r["holds"] for r in recs if r["kind"] == "claim"}
    assert claims == {"c_fails": False, "c_holds": True}
