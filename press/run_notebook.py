"""Runs inside .venv-colab: execute one notebook with nbclient, then report what ptcourse imported.

Usage: run_notebook.py NOTEBOOK EXECUTED_OUT REPORT_JSON TIMEOUT. The kernel starts in the current
directory (a scratch directory, so only the installed ptcourse can be imported). Any cell error
makes nbclient raise, and this script exit non-zero with the error.
"""

from __future__ import annotations

import json
import os
import sys

import nbformat
from nbclient import NotebookClient

# The last cell: what ptcourse the kernel imported, and proof that the shipped toy checkpoints load
# without training (training is switched off before the SFT model is asked for).
PROBE = (
    "import importlib.metadata as _md, json as _json, time as _time, ptcourse as _pc, torch as _torch\n"
    "from ptcourse.toy import checkpoints as _ck\n"
    "def _no_training(*a, **k):\n"
    "    raise RuntimeError('a fresh runtime trained a toy checkpoint instead of loading the shipped one')\n"
    "_ck._trained.cache_clear()\n"
    "_ck.pretrain = _ck.sft = _no_training\n"
    "_t0 = _time.perf_counter(); _ck.sft_model(); _load_s = _time.perf_counter() - _t0\n"
    "print('COLABCHECK ' + _json.dumps({'ptcourse_version': _pc.__version__, "
    "'ptcourse_dist': _md.version('ptcourse'), 'ptcourse_file': _pc.__file__, "
    "'torch': _torch.__version__, 'shipped_checkpoints': sorted(_ck.manifest()), "
    "'weights_dir': str(_ck.WEIGHTS), 'sft_load_seconds': _load_s}))"
)


def main() -> int:
    src, executed, report, timeout = sys.argv[1:5]
    nb = nbformat.read(src, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(
        nb,
        timeout=int(timeout),
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": os.getcwd()}},
    )
    client.execute()
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    info = json.loads(probe.split("COLABCHECK ", 1)[1])
    nb.cells.pop()
    nbformat.write(nb, executed)
    with open(report, "w") as f:
        json.dump(info, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
