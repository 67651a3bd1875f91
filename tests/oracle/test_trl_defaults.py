"""The library-defaults table (ptcourse.course.library_defaults) against TRL's own config classes.

Each TRL row's ``default`` is compared with the default of TRL's config class, instantiated:
a TRL release that changes one (as ``use_bias_correction_kl`` went from False at f2cd577 to
True in 1.16.0) fails here by name, and the table, the chapters that quote it and the oracle
tests that assume it must follow. Every row's ``checked_by`` must name tests that exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import oracle_support as S
import pytest

from ptcourse.course.library_defaults import ROWS

pytestmark = [pytest.mark.oracle, pytest.mark.xdist_group("oracle")]

trl = S.Lazy("trl")
ROOT = Path(__file__).resolve().parents[2]

#: row id -> (TRL config class name, attribute)
TRL_SETTINGS = {
    "trl_beta": ("GRPOConfig", "beta"),
    "trl_loss_type": ("GRPOConfig", "loss_type"),
    "trl_scale_rewards": ("GRPOConfig", "scale_rewards"),
    "trl_epsilon": ("GRPOConfig", "epsilon"),
    "trl_epsilon_high": ("GRPOConfig", "epsilon_high"),
    "trl_bias_correction_kl": ("GRPOConfig", "use_bias_correction_kl"),
    "trl_ipo": ("DPOConfig", "loss_type"),
}


def test_every_trl_row_has_its_setting_here():
    assert {r["id"] for r in ROWS if r["library"] == "TRL"} == set(TRL_SETTINGS)


def test_table_defaults_are_trls(tmp_path):
    """The table's default of each TRL row is what TRL's config class defaults to, instantiated."""
    configs = {}
    for row in ROWS:
        if row["library"] != "TRL":
            continue
        cls, attr = TRL_SETTINGS[row["id"]]
        if cls not in configs:
            configs[cls] = getattr(trl, cls)(
                output_dir=str(tmp_path), use_cpu=True, report_to="none"
            )
        table = ast.literal_eval(row["default"])
        actual = getattr(configs[cls], attr)
        assert actual == table, (
            f"TRL {trl.__version__} {cls}.{attr} defaults to {actual!r}; the table "
            f"(ptcourse/course/library_defaults.py, row {row['id']}) says {table!r}"
        )


def test_checked_by_names_existing_tests():
    """Every ``checked_by`` entry is ``path::test_name`` of a test defined in that file."""
    assert all("checked_by" in row for row in ROWS)
    for row in ROWS:
        for entry in row["checked_by"]:
            path, name = entry.split("::")
            source = (ROOT / path).read_text()
            assert re.search(rf"^def {re.escape(name)}\(", source, re.M), f"{row['id']}: {entry}"
