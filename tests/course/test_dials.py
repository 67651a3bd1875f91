"""Tests of ptcourse.dials: the dials' computations against torch references, and the HTML contract."""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import dial_page
import pytest
import torch
from torch.distributions import Categorical
from torch.distributions import kl_divergence as torch_kl

import ptcourse
from ptcourse import dials

NAMES = dials.DIALS
ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------------------------------
# temperature
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T", [0.3, 1.0, 2.7])
def test_temperature_state_matches_softmax_and_entropy(T):
    """The temperature dial's probabilities are softmax(logits/T) and its entropy is H of that."""
    s = dials.temperature_state(T)
    z = torch.tensor(s["logits"], dtype=torch.float64) / T
    torch.testing.assert_close(torch.tensor(s["probs"], dtype=torch.float64), torch.softmax(z, -1))
    ref = float(Categorical(logits=z).entropy())
    assert s["entropy"] == pytest.approx(ref, abs=1e-6)
    assert s["entropy"] == pytest.approx(float(ptcourse.entropy(z)), abs=1e-6)
    assert s["max_entropy"] == pytest.approx(math.log(len(s["tokens"])))


def test_temperature_entropy_rises_with_T_within_bounds():
    """Over the slider, entropy strictly rises with T and stays within [0, log V]."""
    ents = [dials.temperature_state(T)["entropy"] for T in dials.slider_values("temperature")]
    assert all(a < b for a, b in zip(ents, ents[1:], strict=False))
    assert 0.0 <= ents[0] and ents[-1] <= math.log(len(dials.TEMPERATURE_TOKENS))


def test_temperature_limits():
    """T -> 0 puts all mass on the top logit (H -> 0); T -> inf approaches uniform (H -> log V)."""
    cold, hot = dials.temperature_state(0.02), dials.temperature_state(1000.0)
    top = max(range(len(cold["logits"])), key=cold["logits"].__getitem__)
    assert cold["probs"][top] > 1 - 1e-6 and cold["entropy"] < 1e-4
    assert hot["entropy"] == pytest.approx(hot["max_entropy"], abs=1e-4)


# ------------------------------------------------------------------------------------------------
# beta
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("beta", [0.05, 0.5, 3.0])
def test_beta_state_matches_closed_form(beta):
    """pi*, E_pi*[r] and KL(pi*||pi_ref) match an independent softmax(log pi_ref + r/beta)."""
    s = dials.beta_state(beta)
    ref = torch.tensor(s["ref_probs"], dtype=torch.float64)
    r = torch.tensor(s["rewards"], dtype=torch.float64)
    pi = torch.softmax(ref.log() + r / beta, -1)
    torch.testing.assert_close(torch.tensor(s["probs"], dtype=torch.float64), pi)
    assert s["expected_reward"] == pytest.approx(float((pi * r).sum()), abs=1e-6)
    assert s["ref_expected_reward"] == pytest.approx(float((ref * r).sum()), abs=1e-9)
    assert s["kl"] == pytest.approx(float(torch_kl(Categorical(pi), Categorical(ref))), abs=1e-6)


def test_beta_large_returns_reference():
    """As beta grows, pi* returns to pi_ref: KL -> 0 and the expected reward to pi_ref's."""
    s = dials.beta_state(1e4)
    assert s["probs"] == pytest.approx(s["ref_probs"], abs=1e-3)
    assert s["kl"] < 1e-6
    assert s["expected_reward"] == pytest.approx(s["ref_expected_reward"], abs=1e-3)


def test_beta_small_concentrates_on_argmax_reward():
    """As beta -> 0, pi* puts (almost) all mass on the highest-reward answer, the flawed one."""
    s = dials.beta_state(0.01)
    best = max(range(len(s["rewards"])), key=s["rewards"].__getitem__)
    assert s["probs"][best] > 0.999
    assert s["expected_reward"] == pytest.approx(max(s["rewards"]), abs=1e-3)
    assert s["kl"] == pytest.approx(-math.log(s["ref_probs"][best]), abs=1e-2)


def test_beta_frontier_reward_and_kl_fall_as_beta_rises():
    """Along the slider (increasing beta), expected reward and KL both strictly decrease."""
    states = [dials.beta_state(b) for b in dials.slider_values("beta")]
    rewards = [s["expected_reward"] for s in states]
    kls = [s["kl"] for s in states]
    assert all(a > b for a, b in zip(rewards, rewards[1:], strict=False))
    assert all(a > b for a, b in zip(kls, kls[1:], strict=False))


# ------------------------------------------------------------------------------------------------
# estimators
# ------------------------------------------------------------------------------------------------


def _exact_estimator_moments():
    """Exact E_p[k] and Var_p[k] of each single-sample estimator, from the per-outcome values."""
    logp = torch.log_softmax(torch.tensor(dials.ESTIMATOR_P_LOGITS, dtype=torch.float64), -1)
    logq = torch.log_softmax(torch.tensor(dials.ESTIMATOR_Q_LOGITS, dtype=torch.float64), -1)
    p, log_r = logp.exp(), logq - logp
    values = {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": log_r.exp() - 1 - log_r}
    mean = {k: float((p * v).sum()) for k, v in values.items()}
    var = {k: float((p * (v - mean[k]) ** 2).sum()) for k, v in values.items()}
    return mean, var


def test_estimators_true_kl_matches_torch_distributions():
    """The marked true KL is KL(p||q) as torch.distributions computes it."""
    s = dials.estimators_state(4)
    p = Categorical(logits=torch.tensor(s["p_logits"], dtype=torch.float64))
    q = Categorical(logits=torch.tensor(s["q_logits"], dtype=torch.float64))
    assert s["true_kl"] == pytest.approx(float(torch_kl(p, q)), rel=1e-6)


@pytest.mark.parametrize("n", [1, 16, 256])
def test_estimators_k1_k3_unbiased_k2_biased(n):
    """Mean-of-n k1 and k3 average to the true KL, k2 to its own (different) expectation."""
    s = dials.estimators_state(n)
    mean, _ = _exact_estimator_moments()
    se = {k: s["std"][k] / math.sqrt(s["repeats"]) for k in s["kinds"]}
    for k in ("k1", "k3"):
        assert abs(s["mean"][k] - s["true_kl"]) < 4 * se[k], k
    assert abs(s["mean"]["k2"] - mean["k2"]) < 4 * se["k2"]
    assert mean["k2"] - s["true_kl"] > 10 * dials.estimators_state(256)["std"]["k2"] / math.sqrt(
        s["repeats"]
    )


def test_estimators_spread_shrinks_like_one_over_sqrt_n():
    """Each estimator's std falls with n and matches the exact sqrt(Var/n) within 10%."""
    _, var = _exact_estimator_moments()
    ns = [1, 4, 16, 64, 256]
    states = [dials.estimators_state(n) for n in ns]
    for k in dials.ESTIMATOR_KINDS:
        stds = [s["std"][k] for s in states]
        assert all(a > b for a, b in zip(stds, stds[1:], strict=False)), k
        for n, sd in zip(ns, stds, strict=True):
            assert sd == pytest.approx(math.sqrt(var[k] / n), rel=0.1), (k, n)


def test_estimators_k3_far_less_noisy_than_k1():
    """For these close p, q, k3's spread is at least 5x smaller than k1's at every n."""
    for n in (1, 8, 128):
        s = dials.estimators_state(n)
        assert s["std"]["k3"] * 5 < s["std"]["k1"]


def test_estimators_boxes_ordered_and_shrinking():
    """The five quantiles are non-decreasing, and the 25-75% box narrows about 4x from n=16 to 256."""
    small, large = dials.estimators_state(16), dials.estimators_state(256)
    for k in small["kinds"]:
        for s in (small, large):
            assert s["quantiles"][k] == sorted(s["quantiles"][k])
        iqr_small = small["quantiles"][k][3] - small["quantiles"][k][1]
        iqr_large = large["quantiles"][k][3] - large["quantiles"][k][1]
        assert 2.5 < iqr_small / iqr_large < 6.5, k


def test_estimators_deterministic_given_seed():
    """Same seed gives identical numbers; another seed gives different ones."""
    assert dials.estimators_state(11) == dials.estimators_state(11)
    assert dials.estimators_state(11)["std"] != dials.estimators_state(11, seed=1)["std"]


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: dials.temperature_state(0.0), "T"),
        (lambda: dials.temperature_state(float("nan")), "T"),
        (lambda: dials.beta_state(-1.0), "beta"),
        (lambda: dials.estimators_state(0), "n"),
        (lambda: dials.estimators_state(4, repeats=1), "repeats"),
        (lambda: dial_page.html_dial("entropy"), "name"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, word):
    """Non-positive knobs and unknown dial names raise ValueError that names the argument."""
    with pytest.raises(ValueError, match=rf"\b{word}\b"):
        call()


# ------------------------------------------------------------------------------------------------
# HTML contract
# ------------------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    """Collect (tag, attrs, text) of every element, and the text of <output> and <script>."""

    def __init__(self):
        super().__init__()
        self.elements, self.texts, self._open = [], {}, []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.texts[self._open[-1]] = self.texts.get(self._open[-1], "") + data


def _parse(snippet):
    c = _Collect()
    c.feed(snippet)
    return c


def _spec_of(snippet):
    m = re.search(r'\("ptc-dial-[\w-]+", (\{.*\})\);</script>', snippet)
    assert m, "inline script carries its frames as JSON"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def snippets():
    return {name: dial_page.html_dial(name)._repr_html_() for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_html_markup_contract(name, snippets):
    """Each HTML dial has the root div, a labelled range slider, an <output> and a labelled figure."""
    c = _parse(snippets[name])
    tags = [t for t, _ in c.elements]
    root = c.elements[0]
    assert root[0] == "div" and root[1]["class"] == "ptc-dial" and root[1]["data-dial"] == name
    (inp,) = [a for t, a in c.elements if t == "input"]
    assert inp["type"] == "range" and inp["class"] == "ptc-dial-slider"
    assert {"min", "max", "step", "value", "aria-label", "id"} <= set(inp)
    assert float(inp["min"]) <= float(inp["value"]) <= float(inp["max"])
    (label,) = [a for t, a in c.elements if t == "label"]
    assert label["for"] == inp["id"] and c.texts["label"].strip()
    (out,) = [a for t, a in c.elements if t == "output"]
    assert out["class"] == "ptc-dial-value" and out["for"] == inp["id"]
    (fig,) = [a for t, a in c.elements if a.get("class") == "ptc-dial-figure"]
    assert fig["role"] == "img" and len(fig["aria-label"]) > 40 and "title" in tags
    assert tags.count("script") == 1


@pytest.mark.parametrize("name", NAMES)
def test_html_output_shows_value_and_numbers(name, snippets):
    """The <output> shows the slider's value and the computed numbers of the default position."""
    c = _parse(snippets[name])
    (inp,) = [a for t, a in c.elements if t == "input"]
    spec = _spec_of(snippets[name])
    i = round((float(inp["value"]) - spec["min"]) / spec["step"])
    value = dials.slider_values(name)[i]
    expected = dials.readout(name, dials.state(name, value))
    assert c.texts["output"] == expected
    key = {"temperature": "T = 1.00", "beta": "β = 1.00", "estimators": "n = 16"}[name]
    unit = {"temperature": "entropy", "beta": "KL", "estimators": "std"}[name]
    assert key in expected and unit in expected


@pytest.mark.parametrize("name", NAMES)
def test_html_frames_cover_slider_and_differ(name, snippets):
    """One precomputed frame per slider position; consecutive frames differ in numbers and figure."""
    spec = _spec_of(snippets[name])
    values = dials.slider_values(name)
    frames = spec["frames"]
    assert len(frames) == len(values) == round((spec["max"] - spec["min"]) / spec["step"]) + 1
    for a, b in zip(frames, frames[1:], strict=False):
        assert a["readout"] != b["readout"]
        assert a["values"] != b["values"]
        assert a["alt"] != b["alt"]
    for i in (0, len(values) // 2, len(values) - 1):
        assert frames[i]["readout"] == dials.readout(name, dials.state(name, values[i]))


@pytest.mark.parametrize("name", NAMES)
def test_html_is_self_contained_and_small(name, snippets):
    """No external script, stylesheet or URL other than the SVG namespace; under 600 KB."""
    html = snippets[name]
    assert "src=" not in html and "<link" not in html
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert len(html.encode()) < 600_000


def test_script_and_style_are_inlined(snippets):
    """dial.js and dial.css are files beside press/dial_page.py, inlined in each snippet."""
    from pathlib import Path

    root = Path(dial_page.__file__).parent
    for name in ("dial.js", "dial.css"):
        text = (root / name).read_text(encoding="utf-8")
        body = text.split("\n", 3)[-1].strip()  # past the header comment
        assert all(body[:200] in snippets[n] for n in NAMES), name
    assert "%(" not in (root / "dial.js").read_text()  # no Python template left


def test_html_ids_unique_per_instance():
    """Two instances of the same dial get distinct ids, so several dials can share a page."""
    a, b = dial_page.html_dial("beta")._repr_html_(), dial_page.html_dial("beta")._repr_html_()
    ids_a = {x["id"] for _, x in _parse(a).elements if "id" in x}
    ids_b = {x["id"] for _, x in _parse(b).elements if "id" in x}
    assert len(ids_a) == 4 and not ids_a & ids_b


def _chromium():
    path = os.environ.get("PTCOURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        msg = "Chromium missing: install it with `apt-get install chromium`"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    pytest.importorskip("playwright.sync_api")
    return path


def test_html_dials_move_in_a_real_browser(tmp_path, snippets):
    """In Chromium, moving each slider changes the shown numbers and the SVG, with no JS errors."""
    exe = _chromium()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "dials.html"
    page_file.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>dials</title></head>"
        "<body><main>" + "\n".join(snippets[n] for n in NAMES) + "</main></body></html>",
        encoding="utf-8",
    )
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(page_file.as_uri())
            for name in NAMES:
                root = page.locator(f'div.ptc-dial[data-dial="{name}"]')
                assert root.get_attribute("data-ready") == "1"
                slider, out = root.locator("input.ptc-dial-slider"), root.locator("output")
                fig = root.locator(".ptc-dial-figure")
                before = (out.text_content(), fig.inner_html())
                assert fig.locator("rect, line").count() > 5  # the script drew the figure
                slider.fill(slider.get_attribute("max"))
                after = (out.text_content(), fig.inner_html())
                assert before[0] != after[0] and before[1] != after[1], name
                last = dials.slider_values(name)[-1]
                assert after[0] == dials.readout(name, dials.state(name, last))
        finally:
            browser.close()
    assert errors == []


def test_notebooks_render_the_dial_directive_as_its_widget_call(tmp_path):
    """press/render_notebooks.py turns `{dial} NAME` into the code cell pc.widgets.dial("NAME")."""
    import render_notebooks as rn

    md = tmp_path / "02_x.md"
    md.write_text(
        "---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
        "kernelspec:\n  name: python3\n  display_name: Python 3\n---\n# Title\n\n"
        "```{code-cell} ipython3\nprint('install')\n```\n\nTry it.\n\n```{dial} beta\n```\n\n## Next\n"
    )
    index = rn.build_index(ROOT / "book", "https://example.org/")
    nb = rn.render_chapter(md, "student", index=index, glue={}, install="# install", version="0")
    before, block, after = nb["cells"][-3:]
    assert before["source"] == "Try it." and after["source"] == "## Next"
    assert block["cell_type"] == "code" and block["source"] == 'pc.widgets.dial("beta")'


def test_book_directives_put_the_kernel_free_blocks_on_the_page(tmp_path):
    """_ext/course_blocks.py: `{dial} beta` and `{quiz} 01` become the press's HTML in a Sphinx
    build; an unknown name is a build error naming it."""
    pytest.importorskip("myst_parser")
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'course_blocks']\n"
    )
    (src / "index.md").write_text(
        "# T\n\n```{dial} beta\n```\n\n```{quiz} 01\n```\n\n```{dial} entropy\n```\n"
    )
    warnings = io.StringIO()
    app = Sphinx(str(src), str(src), str(tmp_path / "out"), str(tmp_path / "doctree"), "html",
                 status=None, warning=warnings, freshenv=True)  # fmt: skip
    app.build()
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'data-dial="beta"' in page
    assert dial_page._asset("dial.js").split("\n", 3)[-1].strip()[:200] in page
    import quiz

    assert quiz.show("01").html.split('id="', 1)[0] in page  # the quiz block, up to its first id
    assert "name must be one of" in warnings.getvalue() and 'data-dial="entropy"' not in page


def test_dials_draw_in_the_course_palette(snippets):
    """The kernel-free dials and the ipywidgets dials take their series colours from the course
    palette (style.PALETTE, style.GREY), through dials.COLOURS: no second palette."""
    from ptcourse.course import style, widgets

    allowed = {c.lower() for c in (*style.PALETTE, style.GREY)}
    for name in NAMES:
        used = {c.lower() for c in re.findall(r'"color":\s*"(#[0-9a-fA-F]{6})"', snippets[name])}
        assert used and used <= allowed, (name, used)
    source = Path(widgets.__file__).read_text()
    assert set(re.findall(r'"(#[0-9a-fA-F]{6})"', source)) <= {widgets._INK}
