# ptcourse: two commands do everything on a fresh machine with Python (pyproject's requires-python) and make.
#   make book   build the site into _build/html (executes every chapter, warnings are errors)
#   make test   every check: lint, unit tests + doctests, notebooks, Colab-like run, book build, browser
# Everything installs into .venv from requirements.lock (torch first, so the package's loose bound is met).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# --no-compile: pip skips byte-compiling every file it installs (measured: torch alone installs in
# 10 s instead of 41 s); Python compiles the modules actually imported, once, on first import.
PIP := $(PY) -m pip --disable-pip-version-check
PIP_INSTALL := $(PIP) install --no-compile
STAMP := $(VENV)/.installed

export PYTHONHASHSEED := 0
# Chapters use torch's CPU threads; pin them so timings and numbers do not depend on the machine.
export OMP_NUM_THREADS ?= 2
# Chapters share the toy world's pretrained/SFT checkpoints through this disk cache (keyed by the toy's
# source hash and torch version), so each chapter kernel does not retrain them. Unit tests train for real.
export PTCOURSE_TOY_CACHE ?= $(CURDIR)/_build/toy_cache
# The torch pin has one home, requirements.lock; everything here reads it from there.
TORCH_PIN := $(shell grep -E '^torch==' requirements.lock)
# The rendered notebooks' folders: press/render_notebooks.py NOTEBOOK_DIRS (a test holds these equal).
STUDENT_NB := notebooks/student
INSTRUCTOR_NB := notebooks/instructor
# The Python floor has one home too, pyproject.toml's requires-python (">=3.N").
PY_FLOOR := $(shell sed -n 's/^requires-python = ">=\([0-9.]*\)".*/\1/p' pyproject.toml)

.PHONY: help install book test lint unit test-parallel4 notebooks notebooks-instructor sync lock clean bench checkpoints claims-matrix

help:
	@echo "make book   build the course site into _build/html"
	@echo "make test   run every check (lint, tests, doctests, notebooks, Colab-like check, book, browser)"
	@echo "make sync   re-pair book/*.md chapters with notebooks/*.ipynb (jupytext) and regenerate student notebooks"
	@echo "make bench  run the benchmarks (figures quoted in README)"
	@echo "make dist   two offline bundles: learner (no solutions) and instructor (everything), with SHA256SUMS"
	@echo "make slides one offline slide deck per chapter, into _build/html/slides/ (make book does it too)"
	@echo "make test-parallel4  ptcourse.parallel on 4 gloo ranks (opt-in, not in make test)"
	@echo "make checkpoints  retrain the toy checkpoints shipped in ptcourse/toy/weights (after a change to training code)"
	@echo "make claims-matrix  every chapter under 3 CPU kernel sets x 3 seed offsets: every claim, every glued number"
	@echo "make notebooks-instructor  the instructor notebooks under nbval in the Colab-faithful kernel (not in make test)"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; f = tuple(map(int, "$(PY_FLOOR)".split("."))); assert f and sys.version_info >= f, f"Python $(PY_FLOOR)+ needed, found {sys.version.split()[0]}"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -q "$(TORCH_PIN)"
	$(PIP_INSTALL) -q -r requirements.lock
	$(PIP_INSTALL) -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The checkpoints every chapter starts from ship in the package (the same start on every machine);
# a unit test fails while they are stale for today's training code.
checkpoints: install
	$(PY) press/checkpoints.py

# Every chapter under {native, avx2, default} CPU kernels x seed offsets {0, 1000, 2000}, two runs at a
# time; writes benchmarks/results/claims_matrix.{md,json} and fails on any claim that does not hold.
claims-matrix: install
	$(PY) press/claims_matrix.py

include mk/site.mk   # vendor, site-test (browser assets and browser checks)
include mk/colab.mk  # student, colab-check, dist (Colab-like run, workshop kit)
include mk/slides.mk # slides (a reveal.js deck per chapter, from its slide markers)
include mk/smollm2.mk # smollm2 (chapter 09 on SmolLM2-135M-Instruct from a wheel, offline; opt-in)

# myst-nb's execution cache keys a chapter on its code cells only: press/book_cache.py clears it when
# ptcourse's sources changed, so a package edit always re-executes the chapters (fresh glued numbers).
book: install vendor
	$(PY) press/book_cache.py --prewarm
	$(VENV)/bin/jupyter-book build . --builder html -W -n --keep-going
	$(BUILD_SLIDES)
	@echo "Site built: open $(CURDIR)/_build/html/index.html"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint .github/workflows/*.yml

# --dist loadgroup: the ptcourse.parallel tests share one pool of gloo ranks (xdist_group "dist"),
# so they run on one xdist worker, which starts the pool once.
unit: install
	env -u PTCOURSE_TOY_CACHE MPLBACKEND=Agg $(VENV)/bin/pytest -q -n 2 --dist loadgroup  # selection: pyproject.toml

# ptcourse.parallel on 4 gloo ranks (opt-in, not in make test); megatron-core, when installed
# (pip install --no-deps megatron-core==0.16.1), is the oracle of the 2-rank tests in make unit.
test-parallel4: install
	$(VENV)/bin/pytest -q -n 0 -m parallel4 tests/core/test_parallel.py

# nbval runs the student notebooks (what a learner opens) in the Colab-faithful venv's kernel, which
# colab-check creates: every cell must run, and every checker must meet a stub ("not done yet"; a
# finished answer there is an error). The solutions run in the book build, which executes the same
# chapters with them; `make notebooks-instructor` runs the instructor notebooks in Colab's versions too.
# A notebook whose install cell fetches TRL (Colab has none; in Colab that cell downloads it from PyPI)
# cannot run in that kernel, which reaches no index by design; it runs in the dev venv's kernel, which
# holds TRL at the same pin (tests/colab checks the pin against requirements.lock), with the same
# stub rule.
TRL_NOTEBOOKS = $(shell grep -l "Installs TRL" $(1)/*.ipynb 2>/dev/null)
notebooks: colab-check
	JUPYTER_PATH=$(COLAB_KERNELS) $(VENV)/bin/pytest -q -n 2 --dist loadfile --nbval-lax \
		--nbval-kernel-name ptcourse-colab \
		$(filter-out $(call TRL_NOTEBOOKS,$(STUDENT_NB)),$(wildcard $(STUDENT_NB)/*.ipynb))
	PTCOURSE_CHECK_STUBS_ONLY=1 $(VENV)/bin/pytest -q --nbval-lax --nbval-kernel-name python3 \
		$(call TRL_NOTEBOOKS,$(STUDENT_NB))

notebooks-instructor: colab-check
	JUPYTER_PATH=$(COLAB_KERNELS) $(VENV)/bin/pytest -q -n 2 --dist loadfile --nbval-lax \
		--nbval-kernel-name ptcourse-colab-solutions \
		$(filter-out $(call TRL_NOTEBOOKS,$(INSTRUCTOR_NB)),$(wildcard $(INSTRUCTOR_NB)/*.ipynb))
	PTCOURSE_CHECK_REQUIRE_DONE=1 $(VENV)/bin/pytest -q --nbval-lax --nbval-kernel-name python3 \
		$(call TRL_NOTEBOOKS,$(INSTRUCTOR_NB))

# The Colab-faithful venv (mostly pip waiting on the registry and unpacking torch) is created beside
# the lint and unit tests, two jobs at a time; each job's output is printed whole when it ends.
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target colab-venv lint unit
	$(MAKE) --no-print-directory notebooks book site-test
	@echo "make test: all checks passed"

sync: install
	$(VENV)/bin/jupytext --sync $$(grep -l '^kernelspec:' book/*.md)
	$(MAKE) student

bench: install
	$(PY) benchmarks/core_bench.py
	$(PY) benchmarks/demos_bench.py
	$(PY) benchmarks/parallel_bench.py

# Regenerate requirements.lock from requirements.in in a scratch venv (then mirror it in environment.yml).
# torch stays at the lock's own torch== line (TORCH_PIN): to move torch, edit that line first.
lock:
	rm -rf /tmp/ptcourse-lock && $(PYTHON) -m venv /tmp/ptcourse-lock
	/tmp/ptcourse-lock/bin/pip install -q "$(TORCH_PIN)" && /tmp/ptcourse-lock/bin/pip install -q -r requirements.in
	( echo "# Generated by 'make lock' from requirements.in. Mirrored in environment.yml (tests/test_pins.py)."; \
	  /tmp/ptcourse-lock/bin/pip freeze --all | grep -v -E '^pip==' | sed -E 's/^torch==.*/$(TORCH_PIN)/' ) > requirements.lock
	$(PYTHON) press/pins.py

clean:
	rm -rf _build dist .venv-colab
