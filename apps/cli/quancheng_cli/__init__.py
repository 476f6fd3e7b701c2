"""The ``quancheng`` command line."""
