"""Pretrained and SFT checkpoints of the toy world: shipped for seed 0, trained on the fly otherwise.

**Seed 0** ships in ``ptcourse/toy/weights/``; ``manifest.json`` records each file's SHA-256, the
``training_hash()`` of the code that made it, the torch version, CPU kernel set and metrics. So
every machine, seed offset (``seeding.py``) and Colab runtime starts from the same weights (torch's
kernels differ per CPU: two machines training the "same" model land 0.01-0.03 apart, which RL
amplifies). A file that does not match is refused by name; ``make checkpoints``
(``press/checkpoints.py``) regenerates them, and a unit test fails while they are stale.

**Other seeds** are trained on demand (``supervised.pretrain``, then ``sft``, under
``seeding.unshifted()``; seconds on a CPU) and cached in the process (``functools.lru_cache``);
each call returns a fresh copy, which callers may train in place. ``PTCOURSE_TOY_CACHE=DIR``
caches them on disk too, keyed by the seed, the torch version and a hash of every file training
runs through (``ptcourse/*.py``, ``ptcourse/toy/*.py``). A lock file makes processes asking at
once train once (a read-only cache is read without one); a file that does not match its
``.sha256``, does not load or holds non-finite weights is retrained, with a warning naming it.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import hashlib
import json
import os
import warnings
from pathlib import Path

import torch

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, two processes may both train
    fcntl = None

from . import seeding
from .model import TinyLM
from .supervised import pretrain, sft

__all__ = ["pretrained_model", "sft_model", "checkpoint_history", "training_hash", "train_fresh"]

_PACKAGE = Path(__file__).resolve().parents[1]  # ptcourse/
WEIGHTS = Path(__file__).resolve().with_name("weights")  # the shipped checkpoints
MANIFEST = WEIGHTS / "manifest.json"
STAGES = ("pretrain", "sft")


def training_sources() -> list[Path]:
    """``supervised.py`` and the package files it imports, transitively (their relative imports,
    read with ``ast``): an edit elsewhere does not make the shipped checkpoints stale."""
    todo, seen = [_PACKAGE / "toy" / "supervised.py"], set()
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                parts = node.module.split(".") if node.module else []
                target = base.joinpath(*parts)
                if target.with_suffix(".py").exists():
                    todo.append(target.with_suffix(".py"))
                else:  # "from . import seeding": each name may be a module of that package
                    todo.extend(target / f"{a.name}.py" for a in node.names)
    return sorted(seen)


def training_hash() -> str:
    """SHA-256 (16 hex digits) of every file of ``training_sources()``: its name and its bytes."""
    return _digest(hashlib.sha256(), training_sources())


def _digest(h, paths: list[Path]) -> str:
    for path in paths:
        h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        h.update(_read_source(path))
    return h.hexdigest()[:16]


def shipped_name(stage: str, seed: int) -> str:
    return f"{stage}-seed{seed}.pt"


def manifest() -> dict:
    """The shipped checkpoints' records (``{}`` when none are shipped)."""
    return json.loads(MANIFEST.read_text(encoding="utf-8")) if MANIFEST.exists() else {}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class CheckpointError(RuntimeError):
    """A shipped checkpoint's bytes do not match its manifest (the message names the file)."""


def _load_shipped(stage: str, seed: int) -> tuple[dict, dict] | None:
    record = manifest().get(shipped_name(stage, seed))
    if record is None:
        return None
    path = WEIGHTS / shipped_name(stage, seed)
    if not path.exists() or _sha256(path) != record["sha256"]:
        raise CheckpointError(
            f"the shipped checkpoint {path} is missing or does not match its SHA-256 in {MANIFEST.name}: "
            "the installation is damaged; reinstall ptcourse (or run `make checkpoints` in a checkout)"
        )
    blob = torch.load(path, weights_only=True)
    return blob["state_dict"], blob["history"]


def train_fresh(stage: str, seed: int) -> tuple[dict, dict]:
    """Train the ``stage`` checkpoint of ``seed`` from scratch (no cache, no shipped file, no offset)."""
    if stage not in STAGES:
        raise ValueError(f"train_fresh: 'stage' must be 'pretrain' or 'sft', got {stage!r}")
    with seeding.unshifted():
        if stage == "pretrain":
            model, hist = pretrain(TinyLM(seed=seed), seed=seed)
        else:
            start = TinyLM(seed=seed)
            start.load_state_dict(train_fresh("pretrain", seed)[0])
            model, hist = sft(start, seed=seed)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, hist


def _sources() -> list[Path]:
    """Every source file training runs through: the core and the toy world, in a fixed order."""
    return sorted([*_PACKAGE.glob("*.py"), *(_PACKAGE / "toy").glob("*.py")])


def _read_source(path: Path) -> bytes:
    return path.read_bytes()


def _code_hash() -> str:
    """Hash of the torch version and of every file of ``_sources()`` (its name and its bytes)."""
    return _digest(hashlib.sha256(torch.__version__.encode()), _sources())


def _disk_path(stage: str, seed: int) -> Path | None:
    root = os.environ.get("PTCOURSE_TOY_CACHE")
    return Path(root) / f"toy-{stage}-seed{seed}-{_code_hash()}.pt" if root else None


@contextlib.contextmanager
def _exclusive(path: Path | None):
    """Hold an exclusive lock on ``path``'s lock file (POSIX; elsewhere, or read-only, none):
    of two processes asking at once, the second waits and loads what the first wrote."""
    if path is None or fcntl is None:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path.with_suffix(".lock"), "a")
    except OSError:
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@functools.lru_cache(maxsize=8)
def _trained(stage: str, seed: int) -> tuple[dict, dict]:
    shipped = _load_shipped(stage, seed)
    if shipped is not None:
        return shipped
    path = _disk_path(stage, seed)
    if stage == "sft":
        _trained("pretrain", seed)  # outside this stage's lock: it has its own
    with _exclusive(path):
        return _load_or_train(stage, seed, path)


def _read_cached(path: Path) -> tuple[dict, dict] | None:
    """The cached checkpoint at ``path``, or None (with a warning naming it) when it is damaged."""
    digest = path.with_name(path.name + ".sha256")
    try:
        if not digest.exists() or digest.read_text().strip() != _sha256(path):
            raise ValueError("its bytes do not match the .sha256 beside it")
        blob = torch.load(path, weights_only=True)
        state = blob["state_dict"]
        if not all(bool(torch.isfinite(v).all()) for v in state.values() if v.is_floating_point()):
            raise ValueError("it holds NaN or infinite weights")
        return blob["state_dict"], blob["history"]
    except Exception as err:  # EOFError, a zip error, a KeyError: all mean "do not use it"
        warnings.warn(
            f"toy checkpoint cache: {path} is damaged ({err}); training it again", stacklevel=4
        )
        return None


def _load_or_train(stage: str, seed: int, path: Path | None) -> tuple[dict, dict]:
    if path is not None and path.exists():
        cached = _read_cached(path)
        if cached is not None:
            return cached
    with seeding.unshifted():  # a checkpoint is a starting point: the same under every seed offset
        if stage == "pretrain":
            model, hist = pretrain(seed=seed)  # the signature's default steps
        else:
            model, hist = sft(_model("pretrain", seed), seed=seed)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            torch.save({"state_dict": state, "history": hist}, tmp)
            path.with_name(path.name + ".sha256").write_text(_sha256(tmp) + "\n")
            os.replace(tmp, path)
        except OSError as err:  # a read-only cache: keep the weights in this process only
            warnings.warn(f"toy checkpoint cache: could not write {path} ({err})", stacklevel=4)
    return state, hist


def _model(stage: str, seed: int) -> TinyLM:
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"'seed' must be an int >= 0, got {seed!r}")
    model = TinyLM(seed=seed)
    model.load_state_dict(_trained(stage, seed)[0])
    return model


def pretrained_model(seed: int = 0) -> TinyLM:
    """Return (a fresh copy of) the model pre-trained on the web corpus with ``seed``.

    >>> m = pretrained_model()  # a few seconds the first time, then cached
    >>> m is pretrained_model()  # a new copy each call
    False
    """
    return _model("pretrain", seed)


def sft_model(seed: int = 0) -> TinyLM:
    """Return (a fresh copy of) the pretrained model after SFT on the demonstrations.

    >>> from ptcourse.toy import demo_loglik
    >>> demo_loglik(sft_model()) > demo_loglik(pretrained_model())  # SFT fits the demonstrations
    True
    """
    return _model("sft", seed)


def checkpoint_history(stage: str, seed: int = 0) -> dict:
    """Return (a copy of) the training history of the ``"pretrain"`` or ``"sft"`` checkpoint.

    >>> sorted(checkpoint_history("sft"))[:3]
    ['demo_loglik', 'distinct_2', 'entropy']
    """
    if stage not in STAGES:
        raise ValueError(f"checkpoint_history: 'stage' must be 'pretrain' or 'sft', got {stage!r}")
    _model(stage, seed)
    return copy.deepcopy(_trained(stage, seed)[1])
