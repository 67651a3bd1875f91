# mk/site.mk -- the published site's browser assets and browser tests (issue 7).
# Included by the top-level Makefile, which provides VENV, PY, `install` and `book` (book depends on vendor).
#
#   make vendor     npm ci (package-lock.json) and copy MathJax 3, tippy.js, Popper into _static/vendor/,
#                   so the site works with no network (no CDN at build time or in the browser).
#   make site-test  Playwright + Debian's Chromium against the built site (_build/html, or $$PTCOURSE_SITE_DIR).

VENV ?= .venv
NPM ?= npm
VENDOR_DIR := _static/vendor
VENDOR_STAMP := $(VENDOR_DIR)/.stamp
NODE_STAMP := node_modules/.ptcourse-npm-ci.stamp

.PHONY: vendor site-test clean-vendor

vendor: $(VENDOR_STAMP)

# npm ci only when the lock changes; --ignore-scripts: none of these packages needs an install script.
$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	@touch $@

# Only the files the pages load: MathJax's tex-chtml component + the pieces it fetches lazily
# (TeX extensions, CHTML woff fonts, menu / a11y), Popper and tippy (the bundle injects its own CSS).
$(VENDOR_STAMP): $(NODE_STAMP) mk/site.mk
	rm -rf $(VENDOR_DIR)
	mkdir -p $(VENDOR_DIR)/mathjax/input $(VENDOR_DIR)/mathjax/output/chtml/fonts
	cp node_modules/mathjax/es5/tex-chtml.js $(VENDOR_DIR)/mathjax/
	cp -R node_modules/mathjax/es5/input/tex $(VENDOR_DIR)/mathjax/input/
	cp -R node_modules/mathjax/es5/output/chtml/fonts/woff-v2 $(VENDOR_DIR)/mathjax/output/chtml/fonts/
	cp -R node_modules/mathjax/es5/a11y node_modules/mathjax/es5/ui $(VENDOR_DIR)/mathjax/
	cp node_modules/mathjax/LICENSE $(VENDOR_DIR)/mathjax/
	cp node_modules/@popperjs/core/dist/umd/popper.min.js $(VENDOR_DIR)/
	cp node_modules/tippy.js/dist/tippy-bundle.umd.min.js $(VENDOR_DIR)/
	cp node_modules/tippy.js/LICENSE $(VENDOR_DIR)/LICENSE.tippy
	cp node_modules/@popperjs/core/LICENSE.md $(VENDOR_DIR)/LICENSE.popper
	@touch $@

site-test: $(NODE_STAMP)
	$(VENV)/bin/pytest tests/site -m site

clean-vendor:
	rm -rf $(VENDOR_DIR) node_modules
