"""Custom integrations of this repository (a package so the tests import ours, not core's)."""

# Home Assistant also finds custom integrations in its configuration folder's custom_components/
# (the sandbox's speech engine, config/custom_components/sphinx_stt): this package, found first
# on the path, takes in every other custom_components folder on it.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
