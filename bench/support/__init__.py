"""Helpers of the benchmark scripts: baselines and throwaway stores. Not benchmarks themselves
(`make bench` runs bench/*.py only)."""
