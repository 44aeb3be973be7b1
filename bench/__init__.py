"""Maillage benchmarks. See bench/README.md; the shared API is in bench/common.py and
bench/org.py."""
