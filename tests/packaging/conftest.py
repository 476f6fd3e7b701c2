"""The SDK installed alone in a fresh venv: the ``sdk_venv`` fixture is in tests/conftest.py
(the sandbox's test runs the documented example with that venv's interpreter too)."""
