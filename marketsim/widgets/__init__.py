"""Live notebook views of a market: ``LiveBook``, ``OrderTicket`` and both in a ``Dashboard``;
``LiveLeaderboard`` for whoever runs a market for a class; ``CasePanel`` for a student in a
trading case (news, tenders, time left).

    import marketsim as ms
    market = ms.launch({"ACME": 0.01})
    client = market.client()
    dash = ms.widgets.Dashboard(client, "ACME")   # in a cell: depth, quotes, trades, a ticket
    ...
    dash.stop()
    await dash.wait_stopped(timeout=10)             # the last picture stays in the notebook

They need the ``jupyter`` extra (``pip install 'marketsim[jupyter]'``: ipywidgets) and run on
the event loop of the code that makes them, in a notebook the kernel's own loop, so they work in
JupyterLab, Notebook 7 and VS Code alike. The picture is a matplotlib figure (object API, Agg)
rendered to PNG into a persistent ``ipywidgets.Image``; no ipympl is needed, and an interactive
matplotlib backend (``%matplotlib widget``) chosen for your own plots does not affect it.

``Playground`` needs no market at all: it is an in-process book a student drives with clicks.
"""

try:
    import ipywidgets  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "marketsim.widgets needs ipywidgets: pip install 'marketsim[jupyter]'"
    ) from error

from marketsim.widgets.case import CasePanel
from marketsim.widgets.dashboard import Dashboard
from marketsim.widgets.leaderboard import LiveLeaderboard
from marketsim.widgets.livebook import LiveBook
from marketsim.widgets.playground import Playground
from marketsim.widgets.stop import StopButton
from marketsim.widgets.ticket import OrderTicket

__all__ = [
    "CasePanel",
    "Dashboard",
    "LiveBook",
    "LiveLeaderboard",
    "OrderTicket",
    "Playground",
    "StopButton",
]
