# Benchmarks: `make bench` prints one table (see BENCHMARKS.md).
