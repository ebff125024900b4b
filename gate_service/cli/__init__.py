"""The ``spidergate`` command line."""
