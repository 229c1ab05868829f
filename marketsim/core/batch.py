"""Compact commands for bulk work (``MatchingEngine.apply_many``).

A simulation or a replay applies millions of commands. Building and checking a command object
for each is a good part of what that costs, so ``apply_many`` also takes them in a compact
form, which the compiled engine checks and applies without building the object. A compact
command is one of:

* ``(side, qty_lots, price_ticks, tif, owner)``: a plain order (``price_ticks`` None for a
  market order), checked exactly as ``SubmitOrder`` checks it;
* an ``int``: cancel the live order with that id (no owner check, as ``CancelOrder(id)``);
* any ``Command`` object.
"""

from __future__ import annotations

from marketsim.core.commands import CancelOrder, Command, SubmitOrder
from marketsim.errors import InvalidCommandError

#: A compact command, as ``apply_many`` takes it (see the module docstring).
CompactCommand = tuple[str, int, int | None, str, str] | int | Command


def as_command(command: CompactCommand) -> Command:
    """The command object a compact command stands for (validated as that object is)."""
    if type(command) is tuple:
        if len(command) != 5:
            raise InvalidCommandError(
                "a compact order is (side, qty_lots, price_ticks, tif, owner), "
                f"got {len(command)} fields"
            )
        side, qty_lots, price_ticks, tif, owner = command
        return SubmitOrder(side, qty_lots, price_ticks, tif, False, owner)
    if type(command) is int:
        return CancelOrder(command)
    return command  # type: ignore[return-value]
