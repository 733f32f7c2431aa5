"""Benchmarks of kb against its baselines; see bench/README.md."""
