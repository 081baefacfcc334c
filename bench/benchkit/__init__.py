"""The pieces of `make bench` (bench/run.py): a minimal Lambda Runtime API
and function URL, cold starts, ingest, builds and synth timings, pipeline
cost, and the report."""
