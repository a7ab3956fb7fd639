"""Custom integrations of this repository (a package so the tests import ours, not core's)."""
