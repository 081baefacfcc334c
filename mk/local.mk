# The local cloud: the whole system on this machine, no AWS account.
# Ports: MOTO_PORT (default 4566), LAMBDA_PORT (default 9000), API_PORT (default 8080).

LOCAL_CLOUD := $(WITH_VENV) $(VENV)/bin/python local/cloud.py

.PHONY: local pipeline results

local: $(VENV_STAMP) ## Run the whole system locally until Ctrl-C (prints how to use it)
	@$(TFGEN) synth --env local >/dev/null
	@$(LOCAL_CLOUD) up

pipeline: $(VENV_STAMP) ## Start a pipeline run in the running local cloud and summarize it
	@$(LOCAL_CLOUD) pipeline

results: $(VENV_STAMP) ## Stored orders, archived orders and alerts of the running local cloud
	@$(LOCAL_CLOUD) results
