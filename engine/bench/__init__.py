"""Benchmarks: the engine against the tutorials' loop, efficiency against the matmul peak."""
