"""Pretrained and SFT checkpoints of the toy world, trained on the fly and cached.

Nothing is downloaded: ``pretrained_model(seed)`` runs ``supervised.pretrain`` and
``sft_model(seed)`` runs ``supervised.sft`` on top of it, a few seconds on a CPU. Results are cached in the process
(``functools.lru_cache``), so a chapter that asks for the SFT model five times trains it once;
every call returns a fresh copy, so callers may train it in place.

Set the environment variable ``PTCOURSE_TOY_CACHE`` to a directory to also cache the weights on
disk, keyed by the seed, the torch version and a hash of every source file training runs through
(the core, ``ptcourse/*.py``, and the toy world, ``ptcourse/toy/*.py``; only the course layer,
which training never imports, is left out), so an edit to the grammar, the loops or a core loss
never loads stale weights. A lock file beside each checkpoint makes processes that ask at the
same time train it once.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import os
from pathlib import Path

import torch

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, two processes may both train
    fcntl = None

from .model import TinyLM
from .supervised import pretrain, sft

__all__ = ["pretrained_model", "sft_model", "checkpoint_history"]

_PACKAGE = Path(__file__).resolve().parents[1]  # ptcourse/


def _sources() -> list[Path]:
    """Every source file training runs through: the core and the toy world, in a fixed order."""
    return sorted([*_PACKAGE.glob("*.py"), *(_PACKAGE / "toy").glob("*.py")])


def _read_source(path: Path) -> bytes:
    return path.read_bytes()


def _code_hash() -> str:
    """Hash of the torch version and of every file of ``_sources()`` (its name and its bytes)."""
    h = hashlib.sha256(torch.__version__.encode())
    for path in _sources():
        h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        h.update(_read_source(path))
    return h.hexdigest()[:16]


def _disk_path(stage: str, seed: int) -> Path | None:
    root = os.environ.get("PTCOURSE_TOY_CACHE")
    if not root:
        return None
    return Path(root) / f"toy-{stage}-seed{seed}-{_code_hash()}.pt"


@contextlib.contextmanager
def _exclusive(path: Path | None):
    """Hold an exclusive lock on ``path``'s lock file (POSIX; elsewhere a no-op).

    Two processes asking for the same checkpoint at once (two notebook kernels, two test workers)
    then train it once: the second waits, and loads what the first wrote.
    """
    if path is None or fcntl is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@functools.lru_cache(maxsize=8)
def _trained(stage: str, seed: int) -> tuple[dict, dict]:
    path = _disk_path(stage, seed)
    if stage == "sft":
        _trained("pretrain", seed)  # outside this stage's lock: it has its own
    with _exclusive(path):
        return _load_or_train(stage, seed, path)


def _load_or_train(stage: str, seed: int, path: Path | None) -> tuple[dict, dict]:
    if path is not None and path.exists():
        blob = torch.load(path, weights_only=True)
        return blob["state_dict"], blob["history"]
    if stage == "pretrain":
        model, hist = pretrain(seed=seed)  # the signature's default steps
    else:
        model, hist = sft(_model("pretrain", seed), seed=seed)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        torch.save({"state_dict": state, "history": hist}, tmp)
        os.replace(tmp, path)
    return state, hist


def _model(stage: str, seed: int) -> TinyLM:
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"'seed' must be an int >= 0, got {seed!r}")
    model = TinyLM(seed=seed)
    model.load_state_dict(_trained(stage, seed)[0])
    return model


def pretrained_model(seed: int = 0) -> TinyLM:
    """Return (a fresh copy of) the model pre-trained on the web corpus with ``seed``.

    Examples
    --------
    >>> m = pretrained_model()  # a few seconds the first time, then cached
    >>> m is pretrained_model()  # a new copy each call
    False
    """
    return _model("pretrain", seed)


def sft_model(seed: int = 0) -> TinyLM:
    """Return (a fresh copy of) the pretrained model after SFT on the demonstrations.

    Examples
    --------
    >>> from ptcourse.toy import demo_loglik
    >>> demo_loglik(sft_model()) > demo_loglik(pretrained_model())  # SFT fits the demonstrations
    True
    """
    return _model("sft", seed)


def checkpoint_history(stage: str, seed: int = 0) -> dict:
    """Return (a copy of) the training history of the ``"pretrain"`` or ``"sft"`` checkpoint.

    Examples
    --------
    >>> sorted(checkpoint_history("sft"))[:3]
    ['demo_loglik', 'distinct_2', 'entropy']
    """
    if stage not in ("pretrain", "sft"):
        raise ValueError(f"checkpoint_history: 'stage' must be 'pretrain' or 'sft', got {stage!r}")
    _model(stage, seed)
    return copy.deepcopy(_trained(stage, seed)[1])
