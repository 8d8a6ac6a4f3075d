"""The parts of benchmarks/webhook_throughput.py: the load it posts (wrk and the fixed-rate
client) and the report of a layout's rounds."""
