# mk/slides.mk -- one reveal.js deck per chapter (issue 16), built from the chapters' slide markers.
# Included by the top-level Makefile, which provides VENV, PY, `install`, `vendor` and `book`.
#
#   make slides   _build/slides/<chapter>.html (+ index.html, vendored reveal.js and MathJax), also
#                 copied into the built site as _build/html/slides/. Reads the executed book
#                 (_build/jupyter_execute) and executes nothing itself; `make book` ends with it
#                 (BUILD_SLIDES), since the instructor page links the decks.

SLIDES_DIR := _build/slides

.PHONY: slides

define BUILD_SLIDES
rm -rf $(SLIDES_DIR) _build/html/slides
$(PY) press/slides.py --out $(SLIDES_DIR) --site _build/html
endef

slides: book
