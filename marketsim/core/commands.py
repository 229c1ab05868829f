"""Commands: the engine's input, in integer ticks and lots, validated when built.

A command that fails validation raises ``InvalidCommandError`` naming the field, the value and
what was expected, so a malformed command can never reach (and change) a book.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from marketsim.core.events import PHASES, STP_MODES, Phase
from marketsim.core.types import (
    MAX_PRICE_TICKS,
    MAX_QTY_LOTS,
    SIDES,
    TIME_IN_FORCE,
    Instrument,
    Side,
    TimeInForce,
)
from marketsim.errors import InvalidCommandError

#: Order ids travel as unsigned 64-bit integers; ids above this fit everywhere.
MAX_ORDER_ID = 2**63 - 1


def _check_positive_int(value: object, field_name: str, maximum: int) -> None:
    if type(value) is not int or not 0 < value <= maximum:
        raise InvalidCommandError(
            f"{field_name} must be a positive integer up to {maximum:,}, got {value!r}"
        )


def _check_owner(owner: object) -> None:
    if type(owner) is not str:
        raise InvalidCommandError(f"owner must be a string, got {owner!r}")


def _check_order_id(order_id: object) -> None:
    if type(order_id) is not int or not 0 < order_id <= MAX_ORDER_ID:
        raise InvalidCommandError(f"order_id must be a positive integer, got {order_id!r}")


class SubmitOrder:
    """Submit a new order: a limit order when ``price_ticks`` is set, else a market order.

    ``tif`` is "GTC" (rest until cancelled), "IOC" (cancel what does not fill at once) or "FOK"
    (fill completely at once or not at all). ``post_only`` orders are rejected if they would
    take liquidity. ``order_id`` is normally assigned by the book; replay passes it explicitly.

    Exchange mechanics, all off by default: ``stop_price_ticks`` makes a stop order (it waits,
    unseen, until a trade reaches that price); ``display_qty_lots`` makes an iceberg that shows
    at most that much at a time; ``stp`` is a self-trade prevention mode (see ``STP_MODES``),
    ignored when ``owner`` is "". They are kept together in ``mechanics`` (None when all are
    off, which is all the matching hot path looks at).
    """

    __slots__ = (
        "mechanics",
        "order_id",
        "owner",
        "post_only",
        "price_ticks",
        "qty_lots",
        "side",
        "tif",
    )

    def __init__(
        self,
        side: Side,
        qty_lots: int,
        price_ticks: int | None = None,
        tif: TimeInForce = "GTC",
        post_only: bool = False,
        owner: str = "",
        order_id: int | None = None,
        stop_price_ticks: int | None = None,
        display_qty_lots: int = 0,
        stp: str = "",
    ) -> None:
        if side != "buy" and side != "sell":
            raise InvalidCommandError(f"side must be one of {SIDES}, got {side!r}")
        # Cheap inline tests first; the helpers run only to raise with a precise message.
        if type(qty_lots) is not int or not 0 < qty_lots <= MAX_QTY_LOTS:
            _check_positive_int(qty_lots, "qty_lots", MAX_QTY_LOTS)
        if price_ticks is not None and (
            type(price_ticks) is not int or not 0 < price_ticks <= MAX_PRICE_TICKS
        ):
            _check_positive_int(price_ticks, "price_ticks", MAX_PRICE_TICKS)
        if tif != "GTC" and tif not in TIME_IN_FORCE:
            raise InvalidCommandError(f"tif must be one of {TIME_IN_FORCE}, got {tif!r}")
        if type(post_only) is not bool:
            raise InvalidCommandError(f"post_only must be True or False, got {post_only!r}")
        if post_only and (price_ticks is None or tif != "GTC"):
            raise InvalidCommandError("post_only needs a limit price and tif 'GTC'")
        if type(owner) is not str:
            _check_owner(owner)
        if order_id is not None:
            _check_order_id(order_id)
        self.side = side
        self.qty_lots = qty_lots
        self.price_ticks = price_ticks
        self.tif = tif
        self.post_only = post_only
        self.owner = owner
        self.order_id = order_id
        self.mechanics: tuple[int | None, int, str] | None = None
        if stop_price_ticks is not None or display_qty_lots or stp:
            self._check_mechanics(stop_price_ticks, display_qty_lots, stp)
            self.mechanics = (stop_price_ticks, display_qty_lots, stp)

    @property
    def stop_price_ticks(self) -> int | None:
        """The stop price of a stop order, else None."""
        return None if self.mechanics is None else self.mechanics[0]

    @property
    def display_qty_lots(self) -> int:
        """The shown size of an iceberg, else 0."""
        return 0 if self.mechanics is None else self.mechanics[1]

    @property
    def stp(self) -> str:
        """The self-trade prevention mode, "" for none."""
        return "" if self.mechanics is None else self.mechanics[2]

    def _check_mechanics(self, stop: int | None, display: int, stp: str) -> None:
        """Validate the stop, iceberg and self-trade prevention fields."""
        if stop is not None:
            _check_positive_int(stop, "stop_price_ticks", MAX_PRICE_TICKS)
            if self.post_only:
                raise InvalidCommandError("a stop order cannot be post_only")
            if display:
                raise InvalidCommandError("a stop order cannot be an iceberg (display_qty)")
        if display:
            _check_positive_int(display, "display_qty_lots", MAX_QTY_LOTS)
            if display > self.qty_lots:
                raise InvalidCommandError(
                    f"display_qty_lots {display} exceeds the order's qty_lots {self.qty_lots}"
                )
            if self.price_ticks is None or self.tif != "GTC":
                raise InvalidCommandError("an iceberg (display_qty) needs a limit price and GTC")
        elif type(display) is not int:
            _check_positive_int(display, "display_qty_lots", MAX_QTY_LOTS)
        if stp and stp not in STP_MODES:
            raise InvalidCommandError(f"stp must be one of {STP_MODES} or '', got {stp!r:.80}")

    def __repr__(self) -> str:
        names = [name for name in self.__slots__ if name != "mechanics"]
        names += ["stop_price_ticks", "display_qty_lots", "stp"]
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"SubmitOrder({fields})"


class CancelOrder:
    """Cancel the open quantity of a live order.

    When ``owner`` is given, the order must belong to that owner (``PermissionDeniedError``
    otherwise); ``None`` skips the check, as an exchange operator would.
    """

    __slots__ = ("order_id", "owner")

    def __init__(self, order_id: int, owner: str | None = None) -> None:
        if type(order_id) is not int or not 0 < order_id <= MAX_ORDER_ID:
            _check_order_id(order_id)
        if owner is not None and type(owner) is not str:
            _check_owner(owner)
        self.order_id = order_id
        self.owner = owner

    def __repr__(self) -> str:
        return f"CancelOrder(order_id={self.order_id!r}, owner={self.owner!r})"


class ReplaceOrder:
    """Change a live order's open quantity and/or price, keeping its order id.

    ``qty_lots`` is the new *open* quantity. Lowering it keeps the order's place in its queue;
    raising it or changing the price sends the order to the back of the (new) queue, and a new
    price that crosses the spread trades at once. ``owner`` works as in ``CancelOrder``.
    For an iceberg ``qty_lots`` is its whole open quantity, shown and hidden. A pending stop
    order can also get a new ``stop_price_ticks``.
    """

    __slots__ = ("order_id", "owner", "price_ticks", "qty_lots", "stop_price_ticks")

    def __init__(
        self,
        order_id: int,
        qty_lots: int | None = None,
        price_ticks: int | None = None,
        owner: str | None = None,
        stop_price_ticks: int | None = None,
    ) -> None:
        _check_order_id(order_id)
        if owner is not None:
            _check_owner(owner)
        if qty_lots is None and price_ticks is None and stop_price_ticks is None:
            raise InvalidCommandError(
                "replace needs a new qty, a new price, or both (or a stop's new stop price)"
            )
        if stop_price_ticks is not None:
            _check_positive_int(stop_price_ticks, "stop_price_ticks", MAX_PRICE_TICKS)
        if qty_lots is not None:
            _check_positive_int(qty_lots, "qty_lots", MAX_QTY_LOTS)
        if price_ticks is not None:
            _check_positive_int(price_ticks, "price_ticks", MAX_PRICE_TICKS)
        self.order_id = order_id
        self.qty_lots = qty_lots
        self.price_ticks = price_ticks
        self.owner = owner
        self.stop_price_ticks = stop_price_ticks

    def __repr__(self) -> str:
        return (
            f"ReplaceOrder(order_id={self.order_id!r}, qty_lots={self.qty_lots!r}, "
            f"price_ticks={self.price_ticks!r}, owner={self.owner!r}, "
            f"stop_price_ticks={self.stop_price_ticks!r})"
        )


class ExecuteOrder:
    """Execute ``qty_lots`` of a resting order against a counterparty outside the book.

    For replaying historical data, where the exchange's message names the resting order that
    traded (it may not be first in its queue). The trade has ``taker_order_id`` 0.
    """

    __slots__ = ("order_id", "qty_lots")

    def __init__(self, order_id: int, qty_lots: int) -> None:
        _check_order_id(order_id)
        _check_positive_int(qty_lots, "qty_lots", MAX_QTY_LOTS)
        self.order_id = order_id
        self.qty_lots = qty_lots

    def __repr__(self) -> str:
        return f"ExecuteOrder(order_id={self.order_id!r}, qty_lots={self.qty_lots!r})"


class SetPhase:
    """Move the book to another trading phase: "continuous", "auction" or "halted".

    Entering "continuous" with a crossed book (after an auction) uncrosses it first.
    """

    __slots__ = ("phase",)

    def __init__(self, phase: Phase) -> None:
        if phase not in PHASES:
            raise InvalidCommandError(f"phase must be one of {PHASES}, got {phase!r:.80}")
        self.phase = PHASES[PHASES.index(phase)]  # the canonical string: engines test `is`

    def __repr__(self) -> str:
        return f"SetPhase(phase={self.phase!r})"


class Uncross:
    """Run the call auction now: every match at one price; the book stays in the auction."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Uncross()"


Command = SubmitOrder | CancelOrder | ReplaceOrder | ExecuteOrder | SetPhase | Uncross


def submit_in_units(
    instrument: Instrument,
    side: str,
    qty: float | Decimal,
    price: float | Decimal | None = None,
    tif: str = "GTC",
    post_only: bool = False,
    owner: str = "",
    stop_price: float | Decimal | None = None,
    display_qty: float | Decimal | None = None,
    stp: str | None = None,
) -> SubmitOrder:
    """A ``SubmitOrder`` from a price and quantity in the instrument's units, validated.

    Every bad field is reported in one ``InvalidCommandError`` (messages joined by "; ").
    """
    problems = []
    if side not in SIDES:
        problems.append(f"side must be one of {SIDES}, got {side!r}")
    if stp is not None and type(stp) is not str:
        problems.append(f"stp must be one of {STP_MODES}, got {stp!r:.80}")
    qty_lots = _converted(instrument.qty_to_lots, qty, problems)
    price_ticks = None if price is None else _converted(instrument.price_to_ticks, price, problems)
    stop_price_ticks = (
        None
        if stop_price is None
        else _converted(lambda v: instrument.price_to_ticks(v, "stop_price"), stop_price, problems)
    )
    display_qty_lots = (
        0
        if display_qty is None
        else _converted(lambda v: instrument.qty_to_lots(v, "display_qty"), display_qty, problems)
    )
    if problems:
        raise InvalidCommandError("; ".join(problems))
    return SubmitOrder(
        side,  # type: ignore[arg-type]
        qty_lots,  # type: ignore[arg-type]
        price_ticks,
        tif,  # type: ignore[arg-type]
        post_only,
        owner,
        stop_price_ticks=stop_price_ticks,
        display_qty_lots=display_qty_lots,  # type: ignore[arg-type]
        stp=stp or "",
    )


def _converted(convert: Callable[[object], int], value: object, problems: list[str]) -> int | None:
    """``convert(value)``, or None with the error's message added to ``problems``."""
    try:
        return convert(value)
    except InvalidCommandError as error:
        problems.append(str(error))
        return None


def replace_in_units(
    instrument: Instrument,
    order_id: int,
    qty: float | Decimal | None = None,
    price: float | Decimal | None = None,
    owner: str | None = None,
    stop_price: float | Decimal | None = None,
) -> ReplaceOrder:
    """A ``ReplaceOrder`` from a price and quantity in the instrument's units, validated
    (every bad field reported at once, as in ``submit_in_units``)."""
    problems: list[str] = []
    qty_lots = None if qty is None else _converted(instrument.qty_to_lots, qty, problems)
    price_ticks = None if price is None else _converted(instrument.price_to_ticks, price, problems)
    stop_price_ticks = (
        None
        if stop_price is None
        else _converted(lambda v: instrument.price_to_ticks(v, "stop_price"), stop_price, problems)
    )
    if problems:
        raise InvalidCommandError("; ".join(problems))
    return ReplaceOrder(order_id, qty_lots, price_ticks, owner, stop_price_ticks)
