"""Benchmarks: `make bench` prints stage throughput, ASR speed/accuracy and peak memory."""
