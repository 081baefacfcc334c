# Infrastructure: synthesize the Terraform JSON from tfgen, check it, scan
# it, and plan/apply an environment.
#
#   make synth               every environment and the bootstrap
#   make synth ENV=dev       one environment
#   make plan ENV=dev        arm64 zips (refused otherwise), synth, init with
#                            the env's backend, plan -out
#   make apply ENV=dev       apply exactly the plan saved by `make plan`
#   make plan ENV=dev TARGET=emulator
#                            the same deploy path against a fresh emulator:
#                            bootstrap, init with S3 backend, plan -out, apply

ENV ?= dev
TFGEN := cargo run --quiet -p tfgen --
PLAN_FILE = $(ENV).tfplan
TF_STACKS := local dev prod bootstrap delivery
# What checkov scans: the configurations that reach AWS through the pipeline
# or an administrator (bootstrap is scanned by its own structure tests).
SCANNED_ENVS := dev prod delivery

.PHONY: synth synth-check validate checkov plan apply graph outputs

synth: ## Write terraform/<env>/*.tf.json (all, or ENV=...)
	@$(TFGEN) synth $(if $(filter command line environment,$(origin ENV)),--env $(ENV),--all)

synth-check: ## Fail if the committed Terraform JSON differs from what tfgen generates
	@$(TFGEN) synth --all --check

validate: ## terraform validate every configuration against the real AWS provider
	@for stack in $(TF_STACKS); do \
	    printf '==> terraform validate terraform/%s: ' "$$stack"; \
	    tools/terraform.sh validate terraform/$$stack | tr -d '\n'; echo; \
	done

checkov: $(SCAN_VENV_STAMP) ## Security scan of dev, prod and delivery (skips and reasons: .checkov.yaml)
	@echo "==> checkov $(SCANNED_ENVS:%=terraform/%)"
	@$(SCAN_VENV)/bin/checkov --config-file .checkov.yaml $(SCANNED_ENVS:%=-d terraform/%)

ifeq ($(TARGET),emulator)
plan: $(VENV_STAMP) ## Plan ENV (default dev) into terraform/ENV/ENV.tfplan (TARGET=emulator: dry run)
	@$(TFGEN) synth --env $(ENV) >/dev/null
	@$(LOCAL_CLOUD) deploy-dry-run --env $(ENV)
else
plan: arm64-zips ## Plan ENV (default dev) into terraform/ENV/ENV.tfplan (TARGET=emulator: dry run)
	@$(TFGEN) synth --env $(ENV)
	@tools/terraform.sh plan terraform/$(ENV) $(PLAN_FILE)
endif

apply: ## Apply the plan saved by `make plan ENV=...`
	@tools/terraform.sh apply terraform/$(ENV) $(PLAN_FILE)

graph: ## Print the Mermaid pictures of ENV's components and of the promotion path
	@echo "ENV=$(ENV) components:"
	@$(TFGEN) graph --env $(ENV)
	@echo "promotion path (terraform/delivery):"
	@$(TFGEN) promotion

outputs: ## Print ENV's Terraform outputs (URLs, client id; `make outputs ENV=dev`)
	@TF_DATA_DIR=$(CURDIR)/.tools/terraform/$(ENV) terraform -chdir=terraform/$(ENV) output
