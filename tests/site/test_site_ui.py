"""The icon table of _ext/site_ui.py, read from pydata-sphinx-theme's own fontawesome.js (issue 15)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.site

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_ext"))
import site_ui  # noqa: E402


@pytest.fixture(scope="module")
def icons():
    """Every icon defined in the installed theme's fontawesome.js."""
    return site_ui.fontawesome_icons(site_ui._fontawesome_js().read_text(encoding="utf8"))


def test_reads_all_three_packs(icons):
    """Solid, regular and brands icons are all found, each with a viewBox and an SVG path."""
    styles = {style for style, _ in icons}
    assert styles == {"fa-solid", "fa-regular", "fa-brands"}
    width, height, path = icons[("fa-solid", "bars")]
    assert (width, height) == (448, 512) and path.startswith("M")
    assert ("fa-brands", "github") in icons


def test_same_name_in_two_packs_keeps_each_shape(icons):
    """fa-regular fa-file and fa-solid fa-file are different drawings, kept apart."""
    assert icons[("fa-regular", "file")][2] != icons[("fa-solid", "file")][2]


def test_used_icons_reads_style_and_name_and_skips_sizes():
    """An <i> or <span> with a style class yields (style, name); size classes are not icons."""
    html = '<i class="fa-solid fa-sun fa-lg"></i><i class="fab fa-github"></i><span class="fa-solid fa-list"></span><i class="fa-bars"></i>'
    assert site_ui.used_icons(html) == {
        ("fa-solid", "sun"),
        ("fa-brands", "github"),
        ("fa-solid", "list"),
    }


def test_greek_index_group_is_filed_under_its_latin_letter():
    """A 'Β' (Greek Beta) group of the general index joins 'B'; entries stay sorted by name."""
    groups = [
        ("A", [("advantage", 1)]),
        ("B", [("baseline", 2)]),
        ("Β", [("β (beta)", 3)]),
        ("K", [("KL", 4)]),
    ]
    merged = site_ui.merge_greek_groups(groups)
    assert [k for k, _ in merged] == ["A", "B", "K"]
    assert [name for name, _ in dict(merged)["B"]] == ["baseline", "β (beta)"]
    assert site_ui.latin_letter("Β") == "B" and site_ui.latin_letter("Z") == "Z"


def test_admonition_icons_become_svg_masks_of_the_theme_icons():
    """Each admonition kind of the theme's CSS gets a mask of its own Font Awesome icon's path."""
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme/pydata_sphinx_theme/static/styles"
    css = site_ui.admonition_icon_css(
        (theme / "pydata-sphinx-theme.css").read_text(encoding="utf8"),
        site_ui._fontawesome_js().read_text(encoding="utf8"),
    )
    solid = site_ui.fontawesome_icons(site_ui._fontawesome_js().read_text(encoding="utf8"))
    bell, warning = solid[("fa-solid", "bell")][2], solid[("fa-solid", "triangle-exclamation")][2]
    rules = css.strip().split("\n")
    assert rules[0].startswith("div.admonition > .admonition-title::after")
    assert bell[:40] in rules[0]  # the default icon is the bell
    assert any(r.startswith("div.admonition.warning ") and warning[:40] in r for r in rules)
    assert all("content: '' !important" in r and "mask:" in r for r in rules)


def test_search_scripts_are_deferred_and_nothing_else():
    """Sphinx's three search scripts get defer; other scripts are left as they were."""
    head = (
        '<script src="../_static/doctools.js?v=1"></script>'
        '<script src="../_static/searchtools.js"></script>'
        '<script src="../_static/language_data.js"></script>'
        '<script src="../searchindex.js"></script>'
    )
    out = site_ui.defer_search_scripts(head)
    assert out.count('defer="defer"') == 3
    assert '<script src="../_static/doctools.js?v=1"></script>' in out
    assert '<script defer="defer" src="../searchindex.js"></script>' in out
