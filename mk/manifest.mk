# The lists of functions, environments and configurations come from tfgen's
# manifest (terraform/manifest.json: written by `make synth`, checked by
# `make synth-check`), never from a list kept here. Expanded lazily, so a
# missing manifest fails only the targets that need it, loudly.

MANIFEST ?= terraform/manifest.json
manifest_list = $(or $(shell $(PYTHON) local/localcloud/manifest.py $(1) $(MANIFEST)),$(error $(MANIFEST) lists no $(1): run `make synth`))

.PHONY: manifest
manifest: ## Print the lists read from tfgen's manifest
	@echo "functions:    $(LAMBDA_BINS)"
	@echo "stacks:       $(TF_STACKS)"
	@echo "scanned envs: $(SCANNED_ENVS)"
