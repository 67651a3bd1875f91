"""Train the toy checkpoints that ship inside the package, and write their manifest (`make checkpoints`).

Every chapter, demo, student notebook and Colab runtime starts from these files, so they are the same
starting point on every machine (torch's CPU kernels differ per machine, and so would weights trained
there). The manifest records, for each file, its SHA-256, the hash of the training code that made it
(``ptcourse.toy.checkpoints.training_hash()``), the torch version, the CPU kernel set, and the final
training metrics. ``tests/toy/test_shipped_checkpoints.py`` fails while the manifest's training hash
is not today's, and checks that a fresh retrain lands within noise of the shipped metrics.

    python press/checkpoints.py            # write ptcourse/toy/weights/{pretrain,sft}-seed0.pt + manifest
    python press/checkpoints.py --check    # exit 1 (saying why) when the shipped files are stale
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path

import torch

from ptcourse.toy import checkpoints

SEEDS = (0,)  # the chapters' starting point; other seeds are trained on demand


def check() -> list[str]:
    """What is stale or damaged about the shipped checkpoints (empty when all is well)."""
    problems, records, today = [], checkpoints.manifest(), checkpoints.training_hash()
    for stage in checkpoints.STAGES:
        for seed in SEEDS:
            name = checkpoints.shipped_name(stage, seed)
            rec = records.get(name)
            if rec is None:
                problems.append(f"{name}: not in {checkpoints.MANIFEST}")
                continue
            if rec["training_hash"] != today:
                problems.append(
                    f"{name}: made by training code {rec['training_hash']}, today's is {today}"
                )
            path = checkpoints.WEIGHTS / name
            if not path.exists() or checkpoints._sha256(path) != rec["sha256"]:
                problems.append(f"{name}: its bytes do not match the manifest's SHA-256")
    return problems


def write() -> dict:
    records = {}
    for seed in SEEDS:
        for stage in checkpoints.STAGES:
            state, hist = checkpoints.train_fresh(stage, seed)
            name = checkpoints.shipped_name(stage, seed)
            path = checkpoints.WEIGHTS / name
            # into memory first: torch.save names the zip's folder after the file, so saving to a
            # temporary file would make the bytes (and the SHA-256) differ from run to run
            buffer = io.BytesIO()
            torch.save({"state_dict": state, "history": hist}, buffer)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(buffer.getvalue())
            Path(tmp.name).chmod(0o644)
            Path(tmp.name).replace(path)
            records[name] = {
                "stage": stage,
                "seed": seed,
                "sha256": checkpoints._sha256(path),
                "training_hash": checkpoints.training_hash(),
                "torch": torch.__version__,
                "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                "metrics": {k: v[-1] for k, v in hist.items() if k != "step" and v},
            }
            print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    checkpoints.MANIFEST.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n")
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only say whether the shipped files are stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print("stale:", p, "(run `make checkpoints`)", file=sys.stderr)
        return 1 if problems else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
