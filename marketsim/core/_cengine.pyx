# cython: language_level=3, infer_types=True
"""The compiled twin of the matching engine (Cython), in two tiers.

``MatchingEngine`` here is a subclass of the pure ``marketsim.core.matching.MatchingEngine``
that keeps its book in one of two forms (``_ctier.pxi`` moves it between them):

* the fast tier, while the market is plain (continuous trading, no pending stop, no market
  order waiting for an auction, no iceberg resting): the book lives in C structures
  (``_cbook.pxi``) and plain orders (limit or market; GTC, IOC or FOK; post-only), cancels,
  executions (``ExecuteOrder``) and replaces of price and quantity run in C
  (``_cfast.pxi``), writing their events as compact records (``_crecords.pxi``);
* the object tier: the pure engine's own ``BookState``. Stops, icebergs, self-trade
  prevention, halts, call auctions and stop replaces run in the shared Python code
  (``Mechanics``, ``Amendments``, ``CallAuction``), helped by C functions over the same
  objects for plain orders, cancels, matching and deltas (``_cobjects.pxi``; slots read through
  ``_cslots.pxi``).

Reading ``engine.book`` (a view, a snapshot, a rule written in Python) moves the book into
objects first, so every reader sees the pure engine's state. ``apply`` returns a list of
event objects, as the pure engine does; ``apply_many`` returns an ``EventBatch`` whose events
are built when read. The differential test in ``tests/core/test_differential.py`` checks that
both engines produce equal events, across the tier boundaries too.
"""

include "_cslots.pxi"

from marketsim._gc import gc_paused
from marketsim.core import matching as _pure
from marketsim.core.batch import as_command
from marketsim.core.book import BookHalf, BookState, IcebergOrder, Level, RestingOrder, fillable_lots
from marketsim.core.commands import (
    MAX_ORDER_ID,
    CancelOrder,
    ExecuteOrder,
    ReplaceOrder,
    SubmitOrder,
)
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
    OrderReplaced,
    Trade,
)
from collections import OrderedDict

from marketsim.core.matching import OrderIds
from marketsim.core.types import MAX_PRICE_TICKS, MAX_QTY_LOTS
from marketsim.errors import InvalidCommandError

cdef object _CONTINUOUS = CONTINUOUS
cdef long long _MAX_PRICE = MAX_PRICE_TICKS
cdef long long _MAX_QTY = MAX_QTY_LOTS

include "_cstate.pxi"
include "_cobjects.pxi"
include "_cbook.pxi"
include "_crecords.pxi"
include "_cfast.pxi"
include "_ctier.pxi"
include "_capply.pxi"


cdef object _islice = itertools.islice


cdef inline int _tif_code(object tif):
    return TIF_GTC if tif == "GTC" else (TIF_IOC if tif == "IOC" else TIF_FOK)


cdef bint _fast_command(object command, object kind):
    """Can the fast tier apply ``command`` (a command object of type ``kind``)?"""
    if kind is SubmitOrder:
        order_id = _get(command, SUBMIT_ID)
        return _get(command, SUBMIT_MECHANICS) is None and (
            order_id is None or order_id < _LARGEST_ID
        )
    if kind is CancelOrder or kind is ExecuteOrder:
        return True
    return kind is ReplaceOrder and (<object>command).stop_price_ticks is None


cdef int _run_fast(_FastTier tier, EventBatch out, object command, object kind, object ts) except -1:
    """Apply a command object that ``_fast_command`` accepted, in the fast tier."""
    if kind is SubmitOrder:
        price = _get(command, SUBMIT_PRICE)
        tier.submit(
            out,
            tier.take_id(_get(command, SUBMIT_ID)),
            _get(command, SUBMIT_SIDE) == "buy",
            _get(command, SUBMIT_QTY),
            price is not None,
            0 if price is None else price,
            _tif_code(_get(command, SUBMIT_TIF)),
            _get(command, SUBMIT_POST_ONLY),
            _get(command, SUBMIT_OWNER),
            ts,
        )
    elif kind is CancelOrder:
        tier.cancel(out, _get(command, CANCEL_ID), _get(command, CANCEL_OWNER), ts)
    elif kind is ExecuteOrder:
        tier.execute(out, command.order_id, command.qty_lots, ts)
    else:
        tier.replace(out, command.order_id, command.qty_lots, command.price_ticks, command.owner, ts)
    tier.commands_since_promotion += 1
    return 0


cdef bint _fast_tier_ready(_FastTier tier, object engine) except -1:
    """Is the fast tier active (promoted now if it is due) and the market still plain?"""
    if not tier.active:
        return consider_promotion(tier, engine)
    if _plain_market(engine):
        return True
    demote(tier, engine)  # the phase or the pending orders were changed from outside
    return False


cdef list _object_apply(object engine, object command, object ts_event):
    """``apply`` in the object tier: plain orders and cancels in C, the rest in Python."""
    kind = type(command)
    if kind is SubmitOrder:
        return _submit(engine, command, ts_event)
    if kind is CancelOrder:
        return _cancel(engine, command.order_id, command.owner, ts_event)
    return _Engine.apply(engine, command, ts_event)


cdef list _object_apply_compact(object engine, object command, object ts_event):
    """A compact command in the object tier (a plain order without building its object)."""
    if (
        type(command) is tuple
        and len(<tuple>command) == 5
        and _get(engine, ENGINE_PHASE) is _CONTINUOUS
    ):
        side, qty, price, tif, owner = <tuple>command
        if not _valid_plain(side, qty, price, tif, owner):
            SubmitOrder(side, qty, price, tif, False, owner)  # raises the same error
        return _submit_plain(
            engine, _take_id(engine, None), side, qty, price, tif, False, owner, ts_event
        )
    if type(command) is int and 0 < command <= MAX_ORDER_ID:
        return _cancel(engine, command, None, ts_event)
    return _object_apply(engine, as_command(command), ts_event)


cdef EventBatch _apply_many(object engine, _FastTier tier, object ops):
    """``MatchingEngine.apply_many`` (see there)."""
    cdef EventBatch out = EventBatch()
    cdef bint loaded = False  # the tier holds the engine's counters
    cdef bint fast
    try:
        for ts_event, command in ops:
            kind = type(command)
            if kind is tuple:
                fast = len(<tuple>command) == 5
            elif kind is int:
                fast = 0 < command <= MAX_ORDER_ID
            else:
                fast = _fast_command(command, kind)
            if fast and (loaded or _fast_tier_ready(tier, engine)):
                if not loaded:
                    loaded = load(tier, engine)
                    if not loaded:
                        demote(tier, engine)
                if loaded:
                    if kind is tuple:
                        side, qty, price, tif, owner = <tuple>command
                        if not _valid_plain(side, qty, price, tif, owner):
                            SubmitOrder(side, qty, price, tif, False, owner)  # raises
                        tier.submit(
                            out,
                            tier.take_id(None),
                            side == "buy",
                            qty,
                            price is not None,
                            0 if price is None else price,
                            _tif_code(tif),
                            False,
                            owner,
                            ts_event,
                        )
                        tier.commands_since_promotion += 1
                    elif kind is int:
                        tier.cancel(out, command, None, ts_event)
                        tier.commands_since_promotion += 1
                    else:
                        _run_fast(tier, out, command, kind, ts_event)
                    continue
            if loaded:
                store(tier, engine)
                loaded = False
            if tier.active:
                demote(tier, engine)
            out.add_built(_object_apply_compact(engine, command, ts_event))
    finally:
        if loaded:
            store(tier, engine)
    return out


class MatchingEngine(_pure.MatchingEngine):
    """The compiled matching engine: same API, same events as the pure one (see the module)."""

    __slots__ = ("_fast",)

    def __init__(self, order_ids=None):
        self._fast = _FastTier()
        super().__init__(order_ids)
        promote(self._fast, self)  # a new, empty book starts in the fast tier

    @property
    def book(self):
        """The book as objects (``BookState``): moved out of the fast tier if it is there."""
        tier = <_FastTier>self._fast
        if tier.active:
            demote(tier, self)
        return _get(self, ENGINE_BOOK)

    @book.setter
    def book(self, book):
        tier = <_FastTier>self._fast
        tier.clear()
        tier.active = False
        _set(self, ENGINE_BOOK, book)

    @property
    def _next_trade_id(self):
        """The trade-id counter (``itertools.count(n).__next__``), which the fast tier owns
        while active: reading it from Python moves the book into objects, as ``book`` does."""
        tier = <_FastTier>self._fast
        if tier.active:
            demote(tier, self)
        return _get(self, ENGINE_TRADE_IDS)

    @_next_trade_id.setter
    def _next_trade_id(self, counter):
        tier = <_FastTier>self._fast
        if tier.active:
            demote(tier, self)
        _set(self, ENGINE_TRADE_IDS, counter)

    @property
    def fast_tier_active(self):
        """Is the book in C structures right now (see the module docstring)?"""
        return (<_FastTier>self._fast).active

    def __getstate__(self):
        self.book  # the object book, and the trade-id counter with it
        return super().__getstate__()

    def __setstate__(self, state):
        self._fast = _FastTier()
        super().__setstate__(state)

    def is_live(self, order_id):
        """Is ``order_id`` resting, a pending stop, or a market order waiting for an auction?"""
        tier = <_FastTier>self._fast
        if not tier.active:
            return super().is_live(order_id)
        return (
            type(order_id) is int
            and 0 < order_id <= _LARGEST_ID
            and tier.id_get(order_id) != NO_SLOT
        )

    def level_ticks(self, side, depth=None):
        """``[(price_ticks, qty_lots, order_count), ...]`` of one side of the book, best first.

        Read from the C structures while the book is there (it is not moved out for this).
        """
        tier = <_FastTier>self._fast
        if not tier.active:
            return super().level_ticks(side, depth)
        if depth is not None:
            _islice((), depth)  # the pure engine's error for a bad depth
        return tier.level_ticks(0 if side == BID else 1, depth)

    def resting_state(self, order_id):
        """Where a resting order stands, or None (see the pure engine); read from C there."""
        tier = <_FastTier>self._fast
        if not tier.active:
            return super().resting_state(order_id)
        if type(order_id) is not int or not 0 < order_id <= _LARGEST_ID:
            return None
        return tier.resting_state(order_id)

    def best_ticks(self, side):
        """The best price of one side of the book in ticks, or None when it is empty."""
        tier = <_FastTier>self._fast
        if not tier.active:
            return super().best_ticks(side)
        cdef LevelArray *half = &tier.sides[0 if side == BID else 1]
        return half.levels[half.size - 1].price if half.size else None

    def apply(self, command, ts_event):
        """Apply one command at time ``ts_event`` (int ns) and return its batch of events."""
        tier = <_FastTier>self._fast
        out = tier.scratch
        try:
            built = _apply_into(self, tier, out, command, ts_event)
            return out.events(0, out.size) if built is None else built
        finally:
            out.clear()

    def submit(self, cmd, ts_event):
        """Match a new order and rest what is left if it is a GTC limit order."""
        return _submit(self, cmd, ts_event)

    def cancel(self, cmd, ts_event):
        """Remove a live order's open quantity from the book."""
        return _cancel(self, cmd.order_id, cmd.owner, ts_event)

    def apply_many(self, ops):
        """Apply ``(ts_event, command)`` pairs in order and return all their events.

        As ``marketsim.core.matching.MatchingEngine.apply_many`` (the garbage collector
        paused), but the result is an ``EventBatch``: a sequence whose event objects are
        built when read (``len``, iteration, indexing, ``==`` and ``+`` with lists work as
        on a list). In the fast tier a compact plain order or cancel is checked and applied
        without building a command object.
        """
        with gc_paused():
            return _apply_many(self, <_FastTier>self._fast, ops)

    def _match(
        self,
        events,
        touched,
        opposite,
        side,
        limit,
        leaves,
        taker_id,
        taker_owner,
        ts_event,
        stp="",
    ):
        """Trade ``leaves`` lots against ``opposite`` up to ``limit``; return what is left."""
        return _match(
            self, events, touched, opposite, side, limit, leaves, taker_id, taker_owner,
            ts_event, stp,
        )

    def _emit_deltas(self, events, touched, ts):
        """One delta per touched level, the last flagged ``last``."""
        _emit_deltas(self, events, touched, ts)
