# mk/site.mk -- the published site's browser assets and browser tests (issue 7).
# Included by the top-level Makefile, which provides VENV, PY, `install` and `book` (book depends on vendor).
#
#   make vendor     npm ci (package-lock.json) and copy MathJax 4, tippy.js, Popper into _static/vendor/,
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

# Only the files the pages load (MathJax 4, issue 15): its startup loader and the smallest component
# set _config.yml's mathjax3_config asks for (core, TeX base + ams + the extensions it may autoload,
# CommonHTML output, assistive MathML), the MathJax TeX font (chtml data + woff2, loaded on demand),
# Popper and tippy (the bundle injects its own CSS). Nothing else is copied, so nothing else can load.
MJ := node_modules/mathjax
MJ_FONT := node_modules/@mathjax/mathjax-tex-font
$(VENDOR_STAMP): $(NODE_STAMP) mk/site.mk
	rm -rf $(VENDOR_DIR)
	mkdir -p $(VENDOR_DIR)/mathjax/input/tex $(VENDOR_DIR)/mathjax/output $(VENDOR_DIR)/mathjax/a11y \
	  $(VENDOR_DIR)/mathjax/fonts/mathjax-tex-font/chtml
	cp $(MJ)/startup.js $(MJ)/core.js $(MJ)/LICENSE $(VENDOR_DIR)/mathjax/
	cp $(MJ)/input/tex-base.js $(VENDOR_DIR)/mathjax/input/
	cp -R $(MJ)/input/tex/extensions $(VENDOR_DIR)/mathjax/input/tex/
	cp $(MJ)/output/chtml.js $(VENDOR_DIR)/mathjax/output/
	cp $(MJ)/a11y/assistive-mml.js $(VENDOR_DIR)/mathjax/a11y/
	cp $(MJ_FONT)/chtml.js $(VENDOR_DIR)/mathjax/fonts/mathjax-tex-font/
	cp -R $(MJ_FONT)/chtml/woff2 $(VENDOR_DIR)/mathjax/fonts/mathjax-tex-font/chtml/
	cp node_modules/@popperjs/core/dist/umd/popper.min.js $(VENDOR_DIR)/
	cp node_modules/tippy.js/dist/tippy-bundle.umd.min.js $(VENDOR_DIR)/
	cp node_modules/tippy.js/LICENSE $(VENDOR_DIR)/LICENSE.tippy
	cp node_modules/@popperjs/core/LICENSE.md $(VENDOR_DIR)/LICENSE.popper
	@touch $@

site-test: $(NODE_STAMP)
	$(VENV)/bin/pytest tests/site -m site -n 2 --dist loadgroup  # both cores, one worker per page (conftest.py)

clean-vendor:
	rm -rf $(VENDOR_DIR) node_modules
