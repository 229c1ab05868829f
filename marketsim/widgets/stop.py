"""``StopButton``: the "stop" cell of a notebook that Run All may run without stopping anything.

A notebook whose last cell stops the market cannot be played with after Run All: the market
is gone seconds after it started. A cell that shows this button instead leaves everything
running until the reader clicks it; the click calls ``marketsim.stop_all()``.
"""

from __future__ import annotations

import ipywidgets as widgets

from marketsim.reruns import stop_all
from marketsim.widgets._common import DIM_COLOUR, coloured


class StopButton(widgets.HBox):
    """A button that stops every live view, agent flow and market started in this kernel."""

    def __init__(self, description: str = "Stop the market") -> None:
        self.button = widgets.Button(
            description=description, button_style="danger", icon="stop",
            layout=widgets.Layout(width="auto"),
        )  # fmt: skip
        self.button.add_class("marketsim-stop")
        self.result = widgets.HTML(coloured("running until you click", DIM_COLOUR))
        self.button.on_click(lambda _: self.stop())
        super().__init__([self.button, self.result], layout=widgets.Layout(align_items="center"))

    def stop(self) -> dict[str, int]:
        """What a click does: stop everything and say what was stopped."""
        stopped = stop_all()
        what = ", ".join(f"{count} {kind}{'s' * (count != 1)}" for kind, count in stopped.items())
        self.result.value = coloured(f"stopped {what}", DIM_COLOUR)
        self.button.disabled = True
        return stopped
