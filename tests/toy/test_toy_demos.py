"""run_demo: the JSON contract, determinism, and argument errors."""

from __future__ import annotations

import json

import pytest
import torch

from ptcourse import toy
from ptcourse.toy.demos import FINAL_METRICS
from ptcourse.toy.metrics import TRAINING_METRICS


@pytest.mark.parametrize("name,steps", [("rl", 8), ("grpo", 8), ("sft", 10), ("pretrain", 10)])
def test_demo_json_is_bitwise_deterministic(name, steps):
    """Running a demo twice with the same seed gives byte-identical JSON."""
    a = toy.to_json(toy.run_demo(name, steps=steps, seed=0))
    b = toy.to_json(toy.run_demo(name, steps=steps, seed=0))
    assert a == b
    out = json.loads(a)
    assert set(out) >= {"demo", "seed", "params", "final", "history"}
    assert tuple(out["final"]) == FINAL_METRICS
    assert set(out["history"]) >= {"step", *TRAINING_METRICS}
    assert all(len(v) == len(out["history"]["step"]) for v in out["history"].values())


def test_rl_seed_changes_the_rollouts():
    """A different rollout seed gives a different run (the seed is really used)."""
    a = toy.rl(toy.sft_model(), steps=3, seed=0)[1]["reward"]
    b = toy.rl(toy.sft_model(), steps=3, seed=1)[1]["reward"]
    assert a != b


def test_default_sft_demo_uses_the_cached_checkpoint():
    """`run_demo('sft')` reports the cached SFT checkpoint's history (no retraining)."""
    out = toy.run_demo("sft")
    assert out["history"] == toy.checkpoint_history("sft")
    assert out["final"]["demo_loglik"] > out["start"]["demo_loglik"]


def test_bandit_demo_contract():
    """The bandit demo fills the text metrics with None and reports the TV distance to pi*."""
    out = json.loads(toy.to_json(toy.run_demo("bandit", beta=0.5, steps=100)))
    assert out["final"]["distinct_2"] is None and out["final"]["tv"] < 0.05


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"name": "dance"}, "unknown demo 'dance'"),
        ({"name": "rl", "steps": 0}, "'steps' must be a positive int"),
        ({"name": "rl", "beta": -1.0}, "'beta' must be >= 0"),
        ({"name": "rl", "beta": 1e308}, "'beta' must be >= 0 and <= 10000"),
        (
            {"name": "rl", "steps": toy.MAX_STEPS["rl"] + 1},
            "'steps' is at most 1000 for the rl demo",
        ),
        ({"name": "bandit", "steps": 4001}, "'steps' is at most 4000 for the bandit demo"),
        ({"name": "rl", "seed": -2}, "'seed'"),
        ({"name": "sft", "beta": 0.1}, "'beta' applies to rl/grpo/bandit only"),
        ({"name": "bandit", "beta": 0.0}, "'beta' must be > 0"),
        ({"name": "pretrain", "entropy_coef": 0.1}, "'entropy_coef' applies to rl/grpo only"),
        # issue 30: checked before any checkpoint is trained, and bounded like beta
        ({"name": "rl", "entropy_coef": 1e39}, "'entropy_coef' must be >= 0 and <= 10000"),
        ({"name": "grpo", "entropy_coef": True}, "'entropy_coef' must be a number"),
        ({"name": "rl", "seed": 2**64}, "'seed' must be an int from 0 to 2\\*\\*63 - 1"),
    ],
)
def test_demo_bad_arguments(kwargs, match):
    """Bad demo arguments raise ValueError naming the argument."""
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=match):
        toy.run_demo(name, **kwargs)


def test_rl_bad_arguments():
    """rl rejects negative beta, unknown advantages and group sizes that do not divide the batch."""
    m = toy.TinyLM(seed=0)
    with pytest.raises(ValueError, match="'beta'"):
        toy.rl(m, beta=-0.1, steps=1)
    with pytest.raises(ValueError, match="'entropy_coef' must be >= 0 and <= 10000"):
        toy.rl(m, entropy_coef=1e39, steps=1)  # issue 30: inf in the float32 loss, NaN weights
    with pytest.raises(ValueError, match="'advantage'"):
        toy.rl(m, advantage="ppo2", steps=1)
    with pytest.raises(ValueError, match="'group_size'"):
        toy.rl(m, advantage="grpo", group_size=7, steps=1)


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    """With PTCOURSE_TOY_CACHE set, a checkpoint is written once and read back identically."""
    from ptcourse.toy import checkpoints

    monkeypatch.setenv("PTCOURSE_TOY_CACHE", str(tmp_path))
    state, hist = checkpoints._trained.__wrapped__("pretrain", 7)  # bypass the in-process cache
    files = list(tmp_path.glob("toy-pretrain-seed7-*.pt"))
    assert len(files) == 1
    state2, hist2 = checkpoints._trained.__wrapped__("pretrain", 7)  # now read from disk
    assert hist2 == hist and state2.keys() == state.keys()
    assert all(torch.equal(state[k], state2[k]) for k in state)


def test_demo_defaults_come_from_the_signatures():
    """run_demo's defaults are those of the functions it runs, and the step caps are 10x them."""
    import inspect

    for name, fn in [
        ("pretrain", toy.pretrain),
        ("sft", toy.sft),
        ("rl", toy.RLConfig),  # rl's knobs live in RLConfig
        ("bandit", toy.bandit),
    ]:
        params = inspect.signature(fn).parameters
        assert toy.demo_defaults(name)["steps"] == params["steps"].default
        assert toy.MAX_STEPS[name] == 10 * params["steps"].default
    assert toy.demo_defaults("rl")["beta"] == toy.DEFAULT_BETA
    out = toy.run_demo("bandit", steps=5)
    assert out["params"]["beta"] == inspect.signature(toy.bandit).parameters["beta"].default


def test_cache_key_covers_core_sources_and_torch(monkeypatch):
    """Editing the bytes of a core module (or another torch version) changes the checkpoint key."""
    from ptcourse.toy import checkpoints

    names = {p.relative_to(checkpoints._PACKAGE).as_posix() for p in checkpoints._sources()}
    assert {"kl.py", "stats.py", "sft.py", "toy/model.py", "toy/supervised.py"} <= names
    assert not any(n.startswith("course/") for n in names)  # the course layer never trains
    before = checkpoints._code_hash()
    real = checkpoints._read_source

    def edited(path):
        data = real(path)
        return (
            data + b"\n# edited\n"
            if path.name == "kl.py" and path.parent.name == "ptcourse"
            else data
        )

    monkeypatch.setattr(checkpoints, "_read_source", edited)
    assert checkpoints._code_hash() != before
    monkeypatch.setattr(checkpoints, "_read_source", real)
    monkeypatch.setattr(torch, "__version__", torch.__version__ + "-other")
    assert checkpoints._code_hash() != before


_RACE = r"""
import fcntl, os, sys, time, types
from pathlib import Path
from ptcourse.toy import checkpoints, model

log, barrier = Path(sys.argv[1]), Path(sys.argv[2])

def note(line):
    with open(log, "a") as fh:
        fh.write(line + "\n")

def until(what, done):  # wait for the other process; the bound only stops a hung test
    for _ in range(12000):
        if done():
            return
        time.sleep(0.01)
    raise SystemExit(f"gave up waiting for {what}")

def flock(fh, op):  # the real lock, which notes when this process had to wait for it
    if op == fcntl.LOCK_EX:
        try:
            return fcntl.flock(fh, op | fcntl.LOCK_NB)
        except BlockingIOError:
            note("waited")
    return fcntl.flock(fh, op)

def fake_pretrain(seed):
    note("trained")
    until("the other process to wait on the lock", lambda: "waited" in log.read_text())
    return model.TinyLM(seed=seed), {"loss": [1.0]}

checkpoints.fcntl = types.SimpleNamespace(flock=flock, LOCK_EX=fcntl.LOCK_EX, LOCK_UN=fcntl.LOCK_UN)
checkpoints.pretrain = fake_pretrain
(barrier / str(os.getpid())).touch()  # a barrier: both processes ask only once both are here
until("the other process to start", lambda: len(list(barrier.iterdir())) == 2)
state, _ = checkpoints._trained("pretrain", 3)
print(float(sum(v.float().sum() for v in state.values())))
"""


def test_two_processes_asking_at_once_train_the_checkpoint_once(tmp_path):
    """Two processes that ask for the same uncached checkpoint together (they meet at a barrier
    first) train it once (a lock file beside it): the second waits on the lock, which the first
    holds until it has, and then loads the first one's weights."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PTCOURSE_TOY_CACHE": str(tmp_path / "cache")}
    log, barrier = tmp_path / "race.log", tmp_path / "barrier"
    barrier.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACE, str(log), str(barrier)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted(log.read_text().splitlines()) == ["trained", "waited"]  # in either order
    assert outs[0] == outs[1]
