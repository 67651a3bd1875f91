"""The self-check quiz of chapter 07, the policy-gradient loop in practice."""

from __future__ import annotations

import torch

import ptcourse as pc
from ptcourse.toy.kl_control import AdaptiveKLController

from . import Choice, Mistake, Numeric, Option, Quiz

_REWARDS = torch.tensor([[1.0, 0.0, 0.0, 1.0]])  # (G=1, n=4)
_RLOO = float(pc.rloo_advantages(_REWARDS)[0, 0])  # 1 - mean(0, 0, 1) = 2/3
_CENTRED = float(_REWARDS[0, 0] - _REWARDS.mean())  # the batch-mean baseline: 0.5
_GRPO = float(pc.grpo_advantages(_REWARDS)[0, 0])  # divided by the sample std as well

_BT = float(pc.bradley_terry_loss(torch.tensor([1.0]), torch.tensor([0.0])))  # -log sigma(1)
_BT_SWAPPED = float(pc.bradley_terry_loss(torch.tensor([0.0]), torch.tensor([1.0])))
_BT_TIE = float(pc.bradley_terry_loss(torch.tensor([0.0]), torch.tensor([0.0])))  # log 2


def _controlled_beta(kl: float, *, beta: float = 0.1, target: float = 2.0) -> float:
    """The beta after one update of the adaptive controller (batch 64, horizon 320)."""
    ctrl = AdaptiveKLController(beta, target=target, horizon=320)
    ctrl.update(current=kl, n_steps=64)
    return ctrl.value


_BETA_NEXT = _controlled_beta(3.0)  # error 0.5 clipped to 0.2: 0.1 * (1 + 0.2 * 64 / 320)
_BETA_UNCLIPPED = 0.1 * (1 + 0.5 * 64 / 320)  # what the update would give without the clip
_BETA_WRONG_SIGN = _controlled_beta(1.0)  # the move for a KL below the target

QUIZ = Quiz(
    chapter="07",
    title="the policy-gradient loop in practice",
    questions=(
        Numeric(
            "Four answers to one prompt get rewards 1, 0, 0, 1. What is the leave-one-out "
            "(RLOO) advantage of the first answer?",
            answer=round(_RLOO, 4),
            tolerance=0.005,
            why=rf"Its baseline is the mean of the other three rewards, $(0 + 0 + 1) / 3$, so "
            rf"$A = 1 - 1/3 = {_RLOO:.3f}$; equivalently "
            r"$\frac{n}{n - 1} (r - \bar r) = \frac43 \cdot 0.5$.",
            hint="Subtract the mean of the other answers' rewards, not of all four.",
            mistakes=(
                Mistake(
                    round(_CENTRED, 4),
                    r"That is $r - \bar r$, the batch-mean baseline; the mean contains the answer's "
                    r"own reward, so it is $(n - 1)/n = 3/4$ of the leave-one-out advantage.",
                ),  # fmt: skip
                Mistake(
                    round(_GRPO, 4),
                    r"That is GRPO's advantage, $r - \bar r$ divided by the group's standard "
                    "deviation; RLOO does not divide by the spread.",
                ),  # fmt: skip
            ),
        ),
        Numeric(
            "A reward model scores the chosen answer of a pair 1.0 and the rejected one 0.0. "
            r"What is that pair's Bradley–Terry loss $-\log \sigma(r_w - r_l)$?",
            answer=round(_BT, 4),
            tolerance=0.005,
            why=rf"$\sigma(1) = 0.731$, and $-\log 0.731 = {_BT:.3f}$: the loss keeps falling as the "
            "chosen answer's score pulls ahead.",
            hint=r"Compute the difference chosen minus rejected, then $-\log$ of its sigmoid.",
            mistakes=(
                Mistake(
                    round(_BT_SWAPPED, 4),
                    r"That is $-\log \sigma(-1)$, rejected minus chosen: the loss the pair would have "
                    "if the scores were the other way round.",
                ),  # fmt: skip
                Mistake(
                    round(_BT_TIE, 4),
                    r"That is $\log 2$, the loss of a pair whose two scores are equal.",
                ),  # fmt: skip
            ),
        ),
        Choice(
            r"Same REINFORCE advantages, same $\beta$, same seed: the chapter puts the KL either in the "
            r"reward (per-token penalty) or in the loss ($\beta k_3$ averaged over tokens). What happens?",
            (
                Option(
                    "The run with the KL in the loss drifts much farther from the reference",
                    "In the loss the penalty is an average over tokens, an answer's length "
                    r"smaller than the summed penalty in the reward, and a per-token $k_3$ loss "
                    "does not have the reverse KL's gradient (for one categorical step it has "
                    r"the forward KL's; over sampled answers, neither sequence KL's): $\beta$ is not "
                    "portable between the two placements.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    r"Both end at the same KL, since the same $\beta$ multiplies the same divergence",
                    "They do not: the run with the KL in the loss ended many times farther "
                    "from the reference, with far fewer grammatical answers.",
                ),  # fmt: skip
                Option(
                    "The run with the KL in the reward drifts farther",
                    "It is the other way round: the summed per-token penalty in the reward "
                    "is the stronger leash.",
                ),  # fmt: skip
                Option(
                    "The difference comes from GRPO's group-normalised advantages",
                    "Both runs here use the same REINFORCE advantages; only the KL's place "
                    "changes, and that alone produces the gap chapter 6 saw.",
                ),  # fmt: skip
            ),
        ),
        Numeric(
            r"An adaptive KL controller has $\beta = 0.1$ and a target of 2 nats; a batch of 64 answers "
            r"measures a KL of 3 nats. With horizon $H = 320$, what is the next $\beta$?",
            answer=round(_BETA_NEXT, 4),
            tolerance=0.0005,
            why=r"The error $3/2 - 1 = 0.5$ is clipped to 0.2, so $\beta$ becomes "
            rf"$0.1 \cdot (1 + 0.2 \cdot 64/320) = {_BETA_NEXT:.3f}$: the controller moves $\beta$ by at "
            "most a few percent a step.",
            hint=r"Clip $\mathrm{KL}/\text{target} - 1$ to $[-0.2, 0.2]$, multiply by $n_\text{steps}/H$, "
            r"and scale $\beta$ by one "
            "plus that.",
            mistakes=(
                Mistake(
                    round(_BETA_UNCLIPPED, 4),
                    "That uses the unclipped error 0.5; the controller clips it to 0.2.",
                ),  # fmt: skip
                Mistake(
                    round(_BETA_WRONG_SIGN, 4),
                    r"That lowers $\beta$; a KL above the target raises it (a tighter leash).",
                ),  # fmt: skip
            ),
        ),
        Choice(
            "PPO reuses each rollout for several updates (epochs × minibatches). What is the clip "
            "fraction of the first update on a new rollout?",
            (
                Option(
                    "Exactly 0",
                    "The policy is still the one that sampled the batch, so every ratio "
                    r"$\pi/\pi_{\text{old}}$ is 1 and no token is clipped; the clip only binds on later "
                    "updates of the same rollout, in a saw-tooth.",
                    correct=True,
                ),  # fmt: skip
                Option(
                    r"About $\varepsilon = 0.2$",
                    r"$\varepsilon$ is the width of the clip range, not the share of tokens it clips.",
                ),  # fmt: skip
                Option(
                    "Its largest value of the rollout",
                    "It is the smallest: ratios drift away from 1 only as updates accumulate.",
                ),  # fmt: skip
                Option(
                    "About half, the tokens whose advantage is negative",
                    r"The clip acts on ratios that have crossed $1 \pm \varepsilon$, whatever the sign of "
                    "the advantage; at a ratio of 1 none has.",
                ),  # fmt: skip
            ),
        ),
    ),
)

assert abs(_RLOO - 2 / 3) < 1e-6 and abs(_BETA_NEXT - 0.104) < 1e-9  # the closed forms
