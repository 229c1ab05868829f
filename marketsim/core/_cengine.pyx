# cython: language_level=3, infer_types=True
"""The compiled twin of the matching engine's hot path (Cython).

``MatchingEngine`` here is a subclass of the pure ``marketsim.core.matching.MatchingEngine``
over the very same book state (``BookState``, ``Level``, ``RestingOrder``). It replaces the
common path with C functions:

* ``submit`` of a plain order (limit or market; GTC, IOC or FOK; post-only) in continuous
  trading, with its matching, resting and book deltas;
* ``cancel`` of a resting order;
* ``_match``, ``_emit_deltas``, which the rarer rules call too;
* ``apply_many``, which takes compact commands (``marketsim.core.batch``) without building
  command objects.

Everything else runs in the shared Python code it inherits: stops, icebergs, self-trade
prevention and halts (``Mechanics``), replace and cancels of waiting orders (``Amendments``),
call auctions (``CallAuction``) and ``ExecuteOrder``. The differential test in
``tests/core/test_differential.py`` checks that both engines produce equal events.

Events and resting orders are the same Python objects the pure engine makes, built from C
(see ``_Layout``).
"""

from cpython.object cimport PyTypeObject
from cpython.ref cimport PyObject, Py_INCREF

from marketsim.core import matching as _pure
from marketsim.core.book import Level, RestingOrder, fillable_lots
from marketsim.core.commands import MAX_ORDER_ID, CancelOrder, SubmitOrder
from marketsim.core.events import (
    CONTINUOUS,
    REASON_FOK_UNFILLABLE,
    REASON_IOC_REMAINDER,
    REASON_MARKET_REMAINDER,
    REASON_NO_LIQUIDITY,
    REASON_POST_ONLY_WOULD_CROSS,
    REASON_USER,
    BookDelta,
    OrderAccepted,
    OrderCancelled,
    OrderRejected,
    Trade,
)
from marketsim.core.batch import as_command
from marketsim.core.types import MAX_PRICE_TICKS, MAX_QTY_LOTS
from marketsim.errors import InvalidCommandError

cdef object _CONTINUOUS = CONTINUOUS
cdef long long _MAX_PRICE = MAX_PRICE_TICKS
cdef long long _MAX_QTY = MAX_QTY_LOTS


# -- building the public objects from C -----------------------------------------------------
#
# Events and resting orders are slotted Python classes; calling them runs a Python
# ``__init__``, which was most of the compiled engine's time. A slot is a pointer at a fixed
# offset in the object, which the class's member descriptor records, so C can allocate the
# object and fill its slots directly. The result is the very same object ``__init__`` makes.

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member

    object PyType_GenericAlloc(PyTypeObject *cls, Py_ssize_t items)


cdef class _Layout:
    """Where the slots of a class live in its objects, in the order a builder gives values."""

    cdef object cls
    cdef Py_ssize_t offsets[16]
    cdef Py_ssize_t count

    def __cinit__(self, cls, fields):
        if set(fields) != set(cls.__slots__) or len(fields) > 16:
            raise TypeError(f"{cls.__name__}: fields {fields} are not its slots")
        self.cls = cls
        self.count = len(fields)
        for position, name in enumerate(fields):
            descriptor = cls.__dict__[name]
            if type(descriptor).__name__ != "member_descriptor":
                raise TypeError(f"{cls.__name__}.{name} is not a slot")
            self.offsets[position] = (
                <PyMemberDescrObject*><PyObject*>descriptor
            ).d_member.offset


cdef object _build(_Layout layout, tuple values):
    """A new ``layout.cls`` object whose slots hold ``values`` (as its ``__init__`` would)."""
    obj = PyType_GenericAlloc(<PyTypeObject*>layout.cls, 0)
    cdef char *base = <char*><PyObject*>obj
    cdef Py_ssize_t position
    cdef PyObject *value
    for position in range(layout.count):
        value = <PyObject*>values[position]
        Py_INCREF(<object>value)
        (<PyObject**>(base + layout.offsets[position]))[0] = value
    return obj


cdef _Layout _ACCEPTED = _Layout(OrderAccepted, OrderAccepted.__slots__)
cdef _Layout _REJECTED = _Layout(OrderRejected, OrderRejected.__slots__)
cdef _Layout _TRADE = _Layout(Trade, Trade.__slots__)
cdef _Layout _CANCELLED = _Layout(OrderCancelled, OrderCancelled.__slots__)
cdef _Layout _DELTA = _Layout(BookDelta, BookDelta.__slots__)
cdef _Layout _RESTING = _Layout(
    RestingOrder,
    ("order_id", "owner", "side", "price_ticks", "qty_lots", "filled_lots", "post_only"),
)
# The defaults the events' trailing fields take when the engine leaves them out.
cdef tuple _SUBMIT_DEFAULTS = (None, 0, "")




cdef object _delta(object level, long long seq, object ts_event, bint last):
    """The ``BookDelta`` publishing ``level``'s state, as ``matching._delta``."""
    count = len(level.orders)
    if not count:
        action = "delete"
    elif level.is_new:
        action = "add"
        level.is_new = False
    else:
        action = "update"
    return _build(
        _DELTA, (seq, ts_event, level.side, level.price_ticks, level.qty_lots, count, action, last)
    )


cdef object _rest(object book, object order, bint buying, object price, long long qty):
    """Queue ``order`` at the back of its level (created if needed); return the level."""
    half = book.bids if buying else book.asks
    level = (<dict>half.levels).get(price)
    if level is None:
        level = half.level_for(price)
    level.orders[order.order_id] = order
    level.qty_lots += qty
    (<dict>book.orders)[order.order_id] = order
    return level


cdef object _unrest(object book, object order):
    """Take ``order`` out of its level (dropping the level if it empties); return it."""
    half = book.bids if order.side == "buy" else book.asks
    price = order.price_ticks
    level = (<dict>half.levels)[price]
    orders = level.orders
    del orders[order.order_id]
    level.qty_lots -= order.qty_lots
    del (<dict>book.orders)[order.order_id]
    if not orders:
        half.remove_level(price)
    return level


cdef long long _match(
    object engine,
    list events,
    dict touched,
    object opposite,
    object side,
    object limit,
    long long leaves,
    object taker_id,
    object taker_owner,
    object ts_event,
    object stp,
) except -1:
    """Trade ``leaves`` lots against ``opposite`` up to ``limit``; return what is left."""
    cdef dict levels = opposite.levels
    cdef list keys = opposite.keys
    cdef long long sign = opposite.sign
    cdef dict index = engine.book.orders
    cdef long long seq = engine.seq
    cdef bint buying = side == "buy"
    cdef bint has_limit = limit is not None
    cdef long long limit_ticks = limit if has_limit else 0
    cdef long long price, fill, maker_qty
    cdef bint traded = False
    cdef long long traded_at = 0
    next_trade_id = engine._next_trade_id
    prevented_owner = taker_owner if stp else ""
    while leaves and keys:
        price = sign * <long long>keys[-1]
        if has_limit and (price > limit_ticks if buying else price < limit_ticks):
            break
        level = levels[price]
        touched[level] = None
        orders = level.orders
        while leaves and orders:
            maker = next(iter(orders.values()))
            if prevented_owner and maker.owner == prevented_owner:
                engine.seq = seq
                leaves = engine.prevent_self_trade(
                    events, level, maker, stp, leaves, taker_id, side, limit, ts_event
                )
                seq = engine.seq
                continue
            maker_qty = maker.qty_lots
            fill = maker_qty if maker_qty < leaves else leaves
            seq += 1
            events.append(_build(_TRADE,
                (
                    seq,
                    ts_event,
                    next_trade_id(),
                    price,
                    fill,
                    side,
                    maker.order_id,
                    taker_id,
                    maker.owner,
                    taker_owner,
                ),
            ))
            leaves -= fill
            level.qty_lots -= fill
            maker.filled_lots += fill
            traded = True
            traded_at = price
            if fill != maker_qty:
                maker.qty_lots = maker_qty - fill
            elif maker.hidden_lots:
                maker.qty_lots = 0
                seq = engine._refill(events, maker, level, seq, ts_event)
            else:
                maker.qty_lots = 0
                orders.popitem(last=False)
                del index[maker.order_id]
        if not orders:
            del levels[price]
            keys.pop()
    engine.seq = seq
    if traded:
        engine.last_trade_ticks = traded_at
    return leaves


cdef void _emit_deltas(object engine, list events, dict touched, object ts_event):
    """One delta per touched level, the last flagged ``last``."""
    cdef long long seq = engine.seq
    cdef Py_ssize_t remaining = len(touched)
    if not remaining:
        events[-1].last = True  # as the pure engine does (it raises for a non-delta)
        return
    for level in touched:
        seq += 1
        remaining -= 1
        events.append(_delta(level, seq, ts_event, remaining == 0))
    engine.seq = seq


cdef list _submit_plain(
    object engine,
    object order_id,
    object side,
    long long qty,
    object price,
    object tif,
    bint post_only,
    object owner,
    object ts_event,
):
    """A plain order in continuous trading: ``MatchingEngine.submit`` after its id checks."""
    book = engine.book
    cdef bint buying = side == "buy"
    opposite = book.asks if buying else book.bids
    cdef bint has_price = price is not None
    order_type = "limit" if has_price else "market"
    cdef long long ticks = price if has_price else 0
    cdef list keys = opposite.keys
    cdef bint has_best = len(keys) > 0
    cdef long long best = 0
    if has_best:
        best = <long long>opposite.sign * <long long>keys[-1]
    cdef bint crosses = has_best and (
        not has_price or (ticks >= best if buying else ticks <= best)
    )
    cdef bint fok = tif == "FOK"
    reject_reason = None
    if not has_best:
        if not has_price:
            reject_reason = REASON_NO_LIQUIDITY
        elif fok:
            reject_reason = REASON_FOK_UNFILLABLE
    elif post_only and crosses:
        reject_reason = REASON_POST_ONLY_WOULD_CROSS
    elif fok and fillable_lots(opposite, side, price, qty) < qty:
        reject_reason = REASON_FOK_UNFILLABLE
    cdef long long seq = engine.seq + 1
    cdef list events = []
    if reject_reason is not None:
        engine.seq = seq
        events.append(_build(_REJECTED,
            (seq, ts_event, order_id, owner, side, order_type, price, qty, tif, post_only,
             reject_reason) + _SUBMIT_DEFAULTS,
        ))
        return events

    events.append(_build(_ACCEPTED,
        (seq, ts_event, order_id, owner, side, order_type, price, qty, tif, post_only)
        + _SUBMIT_DEFAULTS,
    ))
    cdef bint gtc = tif == "GTC"
    if not crosses and gtc and has_price:
        # The common case: a limit order that rests without trading changes one level.
        order = _build(_RESTING, (order_id, owner, side, price, qty, 0, post_only))
        level = _rest(book, order, buying, price, qty)
        engine.seq = seq + 1
        events.append(_delta(level, seq + 1, ts_event, True))
        return events

    engine.seq = seq
    cdef dict touched = {}
    cdef long long leaves = qty
    if crosses:
        leaves = _match(
            engine, events, touched, opposite, side, price, leaves, order_id, owner, ts_event,
            "",
        )
    if leaves:
        if not has_price or not gtc:
            seq = engine.seq + 1
            engine.seq = seq
            reason = REASON_IOC_REMAINDER if has_price else REASON_MARKET_REMAINDER
            events.append(_build(_CANCELLED,
                (seq, ts_event, order_id, owner, side, price, leaves, reason),
            ))
        else:
            order = _build(
                _RESTING, (order_id, owner, side, price, leaves, qty - leaves, post_only)
            )
            touched[_rest(book, order, buying, price, leaves)] = None
    if engine.stop_orders:
        engine.trigger_stops(events, touched, ts_event)
    if touched:
        _emit_deltas(engine, events, touched, ts_event)
    return events


cdef list _cancel(object engine, object order_id, object owner, object ts_event):
    """``MatchingEngine.cancel`` of a resting order (a waiting one goes to the shared code)."""
    book = engine.book
    order = (<dict>book.orders).get(order_id)
    if order is None:
        return engine.cancel_pending(CancelOrder(order_id, owner), ts_event)
    if owner is not None and owner != order.owner:
        engine._live_order(order_id, owner)  # raises PermissionDeniedError
    level = _unrest(book, order)
    cdef long long seq = engine.seq
    engine.seq = seq + 2
    cdef list events = []
    events.append(_build(_CANCELLED,
        (
            seq + 1,
            ts_event,
            order.order_id,
            order.owner,
            order.side,
            order.price_ticks,
            order.qty_lots + order.hidden_lots,
            REASON_USER,
        ),
    ))
    events.append(_delta(level, seq + 2, ts_event, True))
    return events


cdef object _take_id(object engine, object order_id):
    """The order id a submit uses: the next free one, or the given one if it is not live."""
    ids = engine.order_ids
    if order_id is None:
        order_id = ids.next_id
        ids.next_id = order_id + 1
        return order_id
    if engine.is_live(order_id):
        raise InvalidCommandError(f"order_id {order_id} is already live")
    if order_id >= ids.next_id:
        ids.next_id = order_id + 1
    return order_id


cdef list _submit(object engine, object cmd, object ts_event):
    order_id = _take_id(engine, cmd.order_id)
    if cmd.mechanics is not None or engine.phase is not _CONTINUOUS:
        return engine.submit_with_mechanics(cmd, order_id, ts_event)
    return _submit_plain(
        engine, order_id, cmd.side, cmd.qty_lots, cmd.price_ticks, cmd.tif, cmd.post_only,
        cmd.owner, ts_event,
    )


cdef inline bint _valid_plain(object side, object qty, object price, object tif, object owner):
    """The checks ``SubmitOrder`` makes, for a compact plain order (True when it passes)."""
    if side != "buy" and side != "sell":
        return False
    if type(qty) is not int or not 0 < qty <= _MAX_QTY:
        return False
    if price is not None and (type(price) is not int or not 0 < price <= _MAX_PRICE):
        return False
    if tif != "GTC" and tif != "IOC" and tif != "FOK":
        return False
    return type(owner) is str


class MatchingEngine(_pure.MatchingEngine):
    """The compiled matching engine: same API, same events as the pure one (see the module)."""

    __slots__ = ()

    def apply(self, command, ts_event):
        """Apply one command at time ``ts_event`` (int ns) and return its batch of events."""
        kind = type(command)
        if kind is SubmitOrder:
            return _submit(self, command, ts_event)
        if kind is CancelOrder:
            return _cancel(self, command.order_id, command.owner, ts_event)
        return _pure.MatchingEngine.apply(self, command, ts_event)

    def submit(self, cmd, ts_event):
        """Match a new order and rest what is left if it is a GTC limit order."""
        return _submit(self, cmd, ts_event)

    def cancel(self, cmd, ts_event):
        """Remove a live order's open quantity from the book."""
        return _cancel(self, cmd.order_id, cmd.owner, ts_event)

    def apply_many(self, ops):
        """Apply ``(ts_event, command)`` pairs in order and return all their events.

        As ``marketsim.core.matching.MatchingEngine.apply_many``; a compact plain order or
        cancel is checked and applied here without building a command object.
        """
        cdef list events = []
        for ts_event, command in ops:
            kind = type(command)
            if kind is tuple and len(<tuple>command) == 5 and self.phase is _CONTINUOUS:
                side, qty, price, tif, owner = <tuple>command
                if not _valid_plain(side, qty, price, tif, owner):
                    SubmitOrder(side, qty, price, tif, False, owner)  # raises the same error
                events += _submit_plain(
                    self, _take_id(self, None), side, qty, price, tif, False, owner, ts_event
                )
            elif kind is int and 0 < command <= MAX_ORDER_ID:
                events += _cancel(self, command, None, ts_event)
            else:
                events += self.apply(as_command(command), ts_event)
        return events

    def _match(
        self, events, touched, opposite, side, limit, leaves, taker_id, taker_owner, ts_event,
        stp="",
    ):
        """Trade ``leaves`` lots against ``opposite`` up to ``limit``; return what is left."""
        return _match(
            self, events, touched, opposite, side, limit, leaves, taker_id, taker_owner,
            ts_event, stp,
        )

    def _emit_deltas(self, events, touched, ts):
        _emit_deltas(self, events, touched, ts)
