# mk/colab.mk -- exercises, student notebooks, the Colab-like check and the offline bundle (issue 6).
# Included by the top-level Makefile, which provides VENV, PY, `install` and `book`.
#
#   make student      regenerate notebooks/student/*.ipynb (solutions -> stubs) from notebooks/*.ipynb
#   make colab-check  fast tests of the check, then every student notebook in a Colab-like venv
#                     (.venv-colab: torch 2.13.0, numpy, matplotlib, ipywidgets, kernel; no dev tools),
#                     installing ptcourse from the freshly built wheel
#   make wheel        dist/ptcourse-<version>-py3-none-any.whl
#   make dist         dist/ptcourse-workshop-<version>.tar.gz: site, notebooks, wheel, SHA256SUMS

PTCOURSE_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' ptcourse/__init__.py)
WHEEL := dist/ptcourse-$(PTCOURSE_VERSION)-py3-none-any.whl
WORKSHOP := dist/ptcourse-workshop-$(PTCOURSE_VERSION).tar.gz

.PHONY: student colab-check wheel dist

student: install
	$(PY) -m ptcourse.course.student --student notebooks/student --src notebooks

colab-check: install
	$(VENV)/bin/pytest -q tests/colab
	$(PY) tools/colab_check.py --notebooks notebooks/student

wheel: install
	rm -rf build $(WHEEL)
	$(PY) -m build --wheel --no-isolation --outdir dist/ >/dev/null
	rm -rf build
	@test -f $(WHEEL) && echo "built $(WHEEL)"

dist: book wheel student
	$(PY) tools/bundle.py --version $(PTCOURSE_VERSION) --site _build/html \
		--notebooks notebooks --wheel $(WHEEL) --out $(WORKSHOP)
