"""Child-process scripts that run as on a machine where some compiled extensions were not built."""

from __future__ import annotations

_PREAMBLE = """
import sys

class Unbuilt:
    def find_spec(self, name, path=None, target=None):
        if name in {blocked!r}:
            raise ImportError("simulated: " + name + " was not built")
        return None

sys.meta_path.insert(0, Unbuilt())
"""


def script_without(modules: tuple[str, ...], body: str) -> str:
    """Python source that makes importing any of ``modules`` fail, then runs ``body``."""
    return _PREAMBLE.format(blocked=modules) + body
