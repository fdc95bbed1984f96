"""Runtimes that execute an artifact in this process: one module per runtime, one small protocol (base.py)."""
