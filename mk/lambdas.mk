# Lambda functions: build, package, sizes. (Owned by the lambdas work.)

LAMBDA_BINS := post_lambda lambda_a lambda_b
# cargo-lambda's default layout, which the Terraform configuration refers to
# (target/lambda/<bin>/bootstrap.zip); pinned so CARGO_TARGET_DIR cannot move it.
LAMBDA_DIR  := target/lambda

# arm64 (the functions' architecture) when this machine can build it: an
# aarch64 host (CodeBuild) or an installed aarch64 Rust target.
LAMBDA_ARM64 := $(shell [ "$$(uname -m)" = aarch64 ] || rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu && echo yes)

.PHONY: lambdas
lambdas: $(VENV_STAMP) ## Build the Lambda zips into target/lambda/<bin>/bootstrap.zip
ifeq ($(LAMBDA_ARM64),yes)
	@echo "==> building the arm64 Lambda zips"
	@$(WITH_VENV) cargo lambda build --release --arm64 --output-format zip \
		--lambda-dir $(LAMBDA_DIR) $(addprefix -p ,$(LAMBDA_BINS))
else
	@echo "==> NOTE: no aarch64 Rust target here; building for the host ($$(uname -m))."
	@echo "    These zips are for local checks only: \`make plan\` for AWS refuses them (CodeBuild builds arm64 natively)."
	@$(WITH_VENV) cargo lambda build --release --output-format zip \
		--lambda-dir $(LAMBDA_DIR) $(addprefix -p ,$(LAMBDA_BINS))
endif
	@$(MAKE) --no-print-directory sizes

# An AWS deploy takes arm64 zips or nothing: built here when this machine
# can, then checked (the ELF machine of every bootstrap), so an x86-64 zip
# never reaches an arm64 function. Without an aarch64 target nothing is
# built, and the check says how to get arm64 zips.
.PHONY: arm64-zips
arm64-zips: ## Build (where possible) and check the arm64 zips an AWS deploy needs
ifeq ($(LAMBDA_ARM64),yes)
	@$(MAKE) --no-print-directory lambdas
endif
	@$(PYTHON) tools/check_lambda_arch.py $(LAMBDA_DIR) $(LAMBDA_BINS)

.PHONY: sizes
sizes: ## Print each Lambda's binary and zip size (after make lambdas)
	@$(PYTHON) -c "$$LAMBDA_SIZES_PY" $(LAMBDA_DIR) $(LAMBDA_BINS)

# The binary's size is read from inside the zip: the bytes Lambda runs.
define LAMBDA_SIZES_PY
import os, sys, zipfile
root, bins = sys.argv[1], sys.argv[2:]
def mib(n):
    return "%.2f MiB" % (n / 1048576)
print("%-12s %12s %12s" % ("function", "binary", "zip"))
missing = False
for name in bins:
    path = os.path.join(root, name, "bootstrap.zip")
    if not os.path.exists(path):
        print("%-12s %12s %12s  (no %s: run make lambdas)" % (name, "-", "-", path))
        missing = True
        continue
    with zipfile.ZipFile(path) as z:
        binary = z.getinfo("bootstrap").file_size
    print("%-12s %12s %12s" % (name, mib(binary), mib(os.path.getsize(path))))
sys.exit(1 if missing else 0)
endef
export LAMBDA_SIZES_PY
