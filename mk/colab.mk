# mk/colab.mk -- the notebooks learners open, the Colab-faithful check and the offline bundle.
# Included by the top-level Makefile, which provides VENV, PY, `install` and `book`.
#
#   make student      render book/*.md into notebooks/student/ (no solutions) and notebooks/instructor/
#                     (solutions folded): plain Jupyter markdown, glued numbers filled in from the
#                     executed book (notebooks/glue.json), install cell from press/install_cell.py.in
#   make colab-check  fast tests, the rendering check (no MyST syntax, no solutions for students), then
#                     .venv-colab: Colab's versions of what the notebooks import
#                     (tests/colab/colab-pip-freeze.txt), torch at the lock's version; the first
#                     student notebook run there from a fresh runtime (its install cell installs the
#                     freshly built wheel); and the kernelspecs with which `make notebooks` runs every
#                     student notebook (and `make notebooks-instructor` every instructor one) under nbval
#   make wheel        dist/ptcourse-<version>-py3-none-any.whl
#   make site-learner the site without solutions or quiz key, in _build/learner/_build/html (a second
#                     Sphinx build reusing the book's execution cache: no chapter runs again)
#   make dist         dist/ptcourse-workshop-<version>-learner.tar.gz (learner site, student notebooks,
#                     wheel, SHA256SUMS; refused if any solution leaks) and ...-instructor.tar.gz
#                     (full site with slides/ when built, both notebook sets, wheel, SHA256SUMS)

PTCOURSE_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' ptcourse/__init__.py)
WHEEL := dist/ptcourse-$(PTCOURSE_VERSION)-py3-none-any.whl
LEARNER_SITE := _build/learner/_build/html
# The kernelspec (ptcourse-colab: .venv-colab's Python) that `make notebooks` hands to nbval.
COLAB_KERNELS := $(CURDIR)/_build/colab-kernels

.PHONY: student colab-venv colab-check render-check wheel dist site-learner

# After `book`: the glued numbers come from the chapters it just executed (its jupyter-cache), so a
# package edit executes each chapter once, in the book build, never a second time here.
student: book
	$(PY) press/render_notebooks.py

render-check: install
	$(PY) press/render_notebooks.py --check
	$(PY) press/render_check.py $(STUDENT_NB) $(INSTRUCTOR_NB)

# Standard library only (no .venv needed), so `make test` runs it beside `install` and `unit`.
colab-venv:
	$(PYTHON) press/colab_check.py --venv-only

colab-check: install render-check
	$(VENV)/bin/pytest -q tests/colab
	$(PY) press/colab_check.py --student $(STUDENT_NB) --kernelspec $(COLAB_KERNELS)

wheel: install
	rm -rf build $(WHEEL)
	$(PY) -m build --wheel --no-isolation --outdir dist/ >/dev/null
	rm -rf build
	@test -f $(WHEEL) && echo "built $(WHEEL)"

site-learner: book
	$(PY) press/bundle.py learner-config --out _build/learner/_config.yml
	$(VENV)/bin/jupyter-book build . --config _build/learner/_config.yml \
		--path-output _build/learner --builder html -W -n --keep-going

dist: book site-learner wheel student
	$(PY) press/bundle.py --version $(PTCOURSE_VERSION) --site _build/html \
		--learner-site $(LEARNER_SITE) --notebooks notebooks --wheel $(WHEEL) --book book \
		--out-dir dist
