# Benchmarks: `make bench` prints one table (see BENCHMARKS.md).
#
# The Rust functions against a Python reference (bench/python_reference),
# side by side in one run: in-handler cost, end-to-end ingest into the
# emulator, cold starts and peak memory, tfgen synth time, pipeline cost.
# It brings up its own local cloud on free ports (about 5 minutes in all,
# more on the first run: release builds). Options: bench/run.py --help,
# e.g. `make bench BENCH_ARGS="--rounds 5"`.

BENCH_ARGS ?=

.PHONY: bench
bench: $(VENV_STAMP) ## Rust vs the Python reference: one table of measured figures (BENCHMARKS.md)
	@$(WITH_VENV) $(VENV)/bin/python bench/run.py $(BENCH_ARGS)

.PHONY: bench-memory
bench-memory: $(VENV_STAMP) ## Only post_lambda's peak memory per abusive body shape (about 1 min after the release build)
	@$(WITH_VENV) $(VENV)/bin/python bench/run.py --only memory $(BENCH_ARGS)
