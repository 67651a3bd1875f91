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

PROBE = (
    "import importlib.metadata as _md, json as _json, ptcourse as _pc, torch as _torch\n"
    "print('COLABCHECK ' + _json.dumps({'ptcourse_version': _pc.__version__, "
    "'ptcourse_dist': _md.version('ptcourse'), 'ptcourse_file': _pc.__file__, "
    "'torch': _torch.__version__}))"
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
