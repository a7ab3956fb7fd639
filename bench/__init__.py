"""Benchmarks: the integration against the Messenger simulator, every figure a same-run ratio.

Each module runs on its own (``python -m bench.<name>``, ``--quick`` for tiny sizes) and prints a
table and a ``SUMMARY <name>: ...`` line; ``python -m bench`` runs them all. See the README's
"Performance" section.
"""
