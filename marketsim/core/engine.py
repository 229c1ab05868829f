"""Which matching engine runs: the compiled twin when it is built, else the pure core.

The pure-Python ``marketsim.core.matching.MatchingEngine`` is the reference: the rules are
written there first, and it is the code to read. ``marketsim.core._cengine`` is a compiled
(Cython) subclass that runs the common commands in C and produces the same events; it is
built by ``pip install`` when a C compiler is present. Set ``MARKETSIM_PURE=1`` to use the
pure engine even when the compiled one is built.
"""

from __future__ import annotations

import os
import sys

from marketsim.core import matching

#: Set (to anything but "" or "0") to force the pure-Python engine.
PURE_ENV_VAR = "MARKETSIM_PURE"

#: The line printed (once, on stderr) when the compiled engine is missing.
MISSING_NOTE = (
    "marketsim: the compiled engine is not built, so the pure-Python one runs (slower); "
    "install a C compiler (e.g. apt-get install gcc python3-dev) and reinstall marketsim "
    f"to build it, or set {PURE_ENV_VAR}=1 to silence this."
)


def _select() -> tuple[type[matching.MatchingEngine], str]:
    if os.environ.get(PURE_ENV_VAR, "") not in ("", "0"):
        return matching.MatchingEngine, "pure"
    try:
        from marketsim.core import _cengine
    except ImportError:
        print(MISSING_NOTE, file=sys.stderr)
        return matching.MatchingEngine, "pure"
    return _cengine.MatchingEngine, "compiled"


#: The engine ``OrderBook`` (and so everything above the core) uses.
MatchingEngine, ENGINE = _select()

#: The pure-Python reference engine, always available.
PureMatchingEngine = matching.MatchingEngine
