"""Reproducible benchmarks for smtpshell: ``python -m bench`` (see docs/benchmarks.md).

Everything runs on loopback, bounded in count and time, and cleans up the servers and
proxies it starts.  Timing lives here and never in an assertion of the unit suite.
"""
