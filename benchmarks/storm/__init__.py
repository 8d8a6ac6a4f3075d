"""The parts of benchmarks/broadcast_storm.py: its settings, the fake Meta, the product's
processes, the citizens writing meanwhile and the report."""
