"""What TRL, verl and OpenRLHF default to: the one home of chapter 8's table.

Every value was read in the library's source at the commit in ``SOURCES`` (``git show
<commit>:<path>``), or in the released wheel a row names as its ``source``. A row's ``ptcourse`` is
the package call that does the same thing, which ``tests/course/test_library_defaults.py`` checks
against the library's formula; its ``checked_by`` names the ``tests/oracle`` tests that check it by
running the library (TRL's classes and trainers at the ``CHECKED_WITH`` version, verl's functions
through golden values verl computed); an empty tuple means read from source only.
"""

from __future__ import annotations

import html

__all__ = ["CHECKED_WITH", "ROWS", "SOURCES", "html_table", "markdown_table"]

#: library -> (version, commit, repository) the defaults were read at.
SOURCES = {
    "TRL": ("1.10.0.dev0", "f2cd577", "huggingface/trl"),
    "verl": ("0.8.0.dev", "b178a3c", "volcengine/verl"),
    "OpenRLHF": ("0.11.0", "3c3be62", "OpenRLHF/OpenRLHF"),
}

#: library -> the release the oracle tests (tests/oracle) run, and how it is identified.
CHECKED_WITH = {
    "TRL": ("1.16.0", "PyPI wheel, sha256 c4726e13"),
    "verl": ("0.9.1", "PyPI wheel, sha256 db6e6f2a; its functions as at 483b8a0, tag v0.9.0"),
}

_D = "tests/oracle/test_trl_defaults.py::test_table_defaults_are_trls"
_T = "tests/oracle/test_trl_trainers.py::"
_V = "tests/oracle/test_verl_golden.py::"
_F = "tests/oracle/test_trl_functions.py::"

#: One row per setting: library, setting, default, the other values, what it does, the file it
#: lives in, and the ptcourse call that implements the same variant (None: not implemented).
ROWS: tuple[dict, ...] = (
    dict(id="trl_beta", library="TRL", setting="GRPOConfig.beta", default="0.0",
         options="any float >= 0",
         meaning=("KL coefficient of the k3 term in the loss (k3 of log r = log pi_ref - log pi; in "
                  "1.16.0 times the ratio pi / pi_old, see use_bias_correction_kl); 0 loads no reference model"),
         path="trl/trainer/grpo_config.py", ptcourse='kl_estimate(logp, ref_logp, kind="k3")',
         checked_by=(_D, _T + "test_grpo_kl_is_k3_not_k1_or_k2", _T + "test_grpo_loss_kl_entropy_every_step")),
    dict(id="trl_loss_type", library="TRL", setting="GRPOConfig.loss_type", default='"dapo"',
         options='"grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo"',
         meaning=('"grpo": mean over answers of each answer\'s token mean; "dapo": token sum over the '
                  'kept tokens of the whole accumulated batch; "dr_grpo": token sum over '
                  "batch size x max_completion_length"),
         path="trl/trainer/grpo_trainer.py",
         ptcourse='aggregate_loss(loss, mask, "seq-mean-token-mean")  # "dapo": "token-mean", num_tokens=N',
         checked_by=(_D, _T + "test_grpo_loss_kl_entropy_every_step",
                     _T + "test_grpo_clip_ratio_kl_and_loss_with_two_passes")),
    dict(id="trl_scale_rewards", library="TRL", setting="GRPOConfig.scale_rewards",
         default='"group"', options='"group" (True), "batch", "none" (False)',
         meaning="divide (reward - group mean) by the group's std, the batch's std, or nothing; + 1e-4",
         path="trl/trainer/grpo_trainer.py", ptcourse='grpo_advantages(r, scale="group")  # or "batch", "none"',
         checked_by=(_D, _T + "test_grpo_advantages_are_pc_grpo_advantages",
                     _F + "test_grpo_advantages_against_trl_nanstd")),
    dict(id="trl_epsilon", library="TRL", setting="GRPOConfig.epsilon", default="0.2",
         options="float", meaning="lower clip of the ratio, 1 - epsilon",
         path="trl/trainer/grpo_config.py", ptcourse="ppo_clip_loss(..., clip_eps=0.2)",
         checked_by=(_D, _T + "test_grpo_clip_ratio_kl_and_loss_with_two_passes")),
    dict(id="trl_epsilon_high", library="TRL", setting="GRPOConfig.epsilon_high", default="None",
         options="float (DAPO: 0.28)", meaning="upper clip 1 + epsilon_high; None: the same as epsilon",
         path="trl/trainer/grpo_config.py", ptcourse="ppo_clip_loss(..., clip_eps_high=None)",
         checked_by=(_D, _T + "test_grpo_clip_ratio_kl_and_loss_with_two_passes")),
    dict(id="trl_bias_correction_kl", library="TRL", setting="GRPOConfig.use_bias_correction_kl",
         default="True", options="True, False (the default at f2cd577, 1.10.0.dev0)",
         meaning=("multiply the k3 term by the ratio pi / pi_old (DeepSeek-V3.2), in the loss and in the "
                  "logged kl: its gradient is then the reverse KL's; equal to k3 on the first pass over a batch"),
         path="trl/trainer/grpo_config.py; _compute_loss in trl/trainer/grpo_trainer.py",
         ptcourse=None, source=("1.16.0", "PyPI wheel"),
         checked_by=(_D, _T + "test_grpo_clip_ratio_kl_and_loss_with_two_passes")),
    dict(id="trl_ipo", library="TRL", setting='DPOConfig.loss_type = ["ipo"]', default='["sigmoid"]',
         options='"sigmoid" (DPO), "ipo", "hinge", ...',
         meaning="IPO: (h - 1/(2 beta))^2 with each log-ratio averaged over its answer's tokens",
         path="trl/trainer/dpo_trainer.py", ptcourse="ipo_loss(..., tau, chosen_tokens=, rejected_tokens=)",
         checked_by=(_D, _T + "test_dpo_loss_at_initialisation", _T + "test_dpo_loss_after_a_step_is_pc_loss")),
    dict(id="verl_loss_agg_mode", library="verl", setting="actor.loss_agg_mode",
         default='"token-mean"',
         options='"seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"; 0.9.1 adds "token-sum"',
         meaning=("how per-token losses become one number (see aggregate_loss); seq-mean-token-sum-norm is "
                  "seq-mean-token-sum over the padded length"),
         path="verl/trainer/config/actor/actor.yaml; agg_loss in verl/trainer/ppo/core_algos.py",
         ptcourse='aggregate_loss(loss, mask, mode)',
         checked_by=(_V + "test_agg_loss_modes_match_verl", _V + "test_agg_loss_global_counts_match_verl")),
    dict(id="verl_grpo_std", library="verl", setting="algorithm.norm_adv_by_std_in_grpo",
         default="True", options="True, False (Dr. GRPO)",
         meaning="GRPO advantages (r - group mean) / (group std + 1e-6), Bessel std; False: no division",
         path="verl/trainer/config/ppo_trainer.yaml; compute_grpo_outcome_advantage in core_algos.py",
         ptcourse='grpo_advantages(r, scale="group", eps=1e-6)  # False: scale="none"',
         checked_by=(_V + "test_grpo_advantages_match_verl_with_its_epsilon", _V + "test_dr_grpo_and_rloo_match_verl")),
    dict(id="verl_kl_loss", library="verl", setting="actor.use_kl_loss / kl_loss_type / kl_loss_coef",
         default='false / "low_var_kl" / 0.001',
         options=('"kl" (k1), "abs", "mse" (k2), "low_var_kl" (k3), "full"; "k1+", "k3+": straight-through, '
                  "the value of k1 or k3 with the gradient of k2 (the reverse KL's)"),
         meaning="low_var_kl is k3 = r - log r - 1, r = pi_ref / pi, log r clamped to [-20, 20], k3 to [-10, 10]",
         path="verl/trainer/config/actor/actor.yaml; kl_penalty_forward in verl/trainer/ppo/core_algos.py",
         ptcourse='kl_estimate(logp, ref_logp, kind="k3")  # no clamp',
         checked_by=(_V + "test_verl_clamps_k3_at_10_where_pc_returns_the_true_value",
                     _V + "test_kl_gradients_match_verl_and_the_straight_through_k3plus")),
    dict(id="verl_kl_reward", library="verl", setting="algorithm.use_kl_in_reward / kl_penalty / kl_ctrl.kl_coef",
         default='False / "kl" / 0.001', options="the same estimators; kl_ctrl.type fixed or adaptive",
         meaning="the KL as a per-token penalty in the reward (PPO-RLHF) instead of in the loss",
         path="verl/trainer/config/ppo_trainer.yaml", ptcourse='kl_penalized_rewards(..., kind="k1")', checked_by=()),
    dict(id="openrlhf_kl", library="OpenRLHF", setting="--algo.kl.estimator", default='"k1"',
         options='"k1", "k2", "k3"',
         meaning=("KL estimator, every one clamped to [-10, 10]; the help text says GRPO uses k3 as its loss; "
                  "a message at start-up recommends k1 in the reward and k2 or k3 as a loss"),
         path="openrlhf/cli/train_ppo_ray.py; compute_approx_kl in openrlhf/models/utils.py",
         ptcourse='kl_estimate(logp, ref_logp, kind="k1")  # or "k2", "k3"; no clamp', checked_by=()),
    dict(id="openrlhf_kl_use", library="OpenRLHF", setting="--algo.kl.use_loss / --algo.kl.init_coef",
         default="False / 0.01", options="flag / float",
         meaning="KL as a loss term (GRPO style) or, by default, in the reward, with coefficient init_coef",
         path="openrlhf/cli/train_ppo_ray.py", ptcourse=None, checked_by=()),
    dict(id="openrlhf_clip", library="OpenRLHF", setting="--actor.eps_clip / --actor.eps_clip_low_high",
         default="0.2 / None", options="float / two floats",
         meaning="PPO clip range; eps_clip_low_high sets the two sides apart (clip-higher)",
         path="openrlhf/cli/train_ppo_ray.py", ptcourse="ppo_clip_loss(..., clip_eps, clip_eps_high)", checked_by=()),
)  # fmt: skip


HEADER = (
    "library",
    "setting",
    "default",
    "other values",
    "what it does",
    "ptcourse",
    "checked by running the library",
)

#: The three defaults chapter 08 keeps on its page (the whole table is the appendix page,
#: book/library_defaults.md): no KL term, the token mean of the accumulated batch, per-group scaling.
SURPRISES = ("trl_beta", "trl_loss_type", "trl_scale_rewards")


def _checked(row: dict) -> str:
    """The oracle tests that check the row by running the library, named by file and test."""
    if not row.get("checked_by"):
        return "read from source"
    names = ", ".join(t.split("/")[-1] for t in row["checked_by"])
    return f"{row['library']} {CHECKED_WITH[row['library']][0]}: {names}"


def _cells(row: dict, tick: str = "") -> list[tuple[str, bool]]:
    """A row's seven cells as (text, is_code), read at its own ``source`` or its library's commit."""
    version, commit = row.get("source") or SOURCES[row["library"]][:2]
    return [
        (f"{row['library']} {version} ({tick}{commit}{tick}, {row['path']})", False),
        (row["setting"], True),
        (row["default"], True),
        (row["options"], False),
        (row["meaning"], False),
        (row["ptcourse"], True) if row["ptcourse"] else ("not implemented", False),
        (_checked(row), False),
    ]


def html_table(ids=None) -> str:
    """The table as one HTML ``<table>`` (Jupyter and the site render it); ``ids`` picks rows.

    An id that names no row is a ValueError.

    >>> html_table().count("<tr>") == 1 + len(ROWS)  # a header and one line per row
    True
    >>> html_table(SURPRISES).count("<tr>")  # the three rows chapter 08 shows
    4
    """
    rows = ROWS
    if ids is not None:
        known = {row["id"]: row for row in ROWS}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(
                f"html_table: 'ids' names no row: {unknown}; the rows are {sorted(known)}"
            )
        rows = tuple(known[i] for i in ids)
    head = "".join(f"<th>{h}</th>" for h in HEADER)
    body = []
    for row in rows:
        cells = "".join(
            f"<td><code>{html.escape(t)}</code></td>" if code else f"<td>{html.escape(t)}</td>"
            for t, code in _cells(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def markdown_table() -> str:
    """The table as Markdown, one line per row, the source commit after each library's name.

    >>> print(markdown_table().splitlines()[0])
    | library | setting | default | other values | what it does | ptcourse | checked by running the library |
    """
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in ROWS:
        cells = [f"`{t}`" if code else t for t, code in _cells(row, "`")]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
