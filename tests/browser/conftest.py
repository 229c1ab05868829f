"""The browser tests' fixture: a real Jupyter server per front end (see ``jupyter_support``)."""

from jupyter_support import jupyter  # noqa: F401  (a fixture, found here by pytest)
