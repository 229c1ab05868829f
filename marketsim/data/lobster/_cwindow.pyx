# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The compiled twin of the LOBSTER replay loop (Cython), over the fast tier's C book.

``marketsim.data.lobster.replay._Replayer`` (with ``VisibleWindow``) is the reference and the
code to read. ``WindowKernel`` runs its loop for the common rows in C: the message types,
the check of the top levels against the orderbook row (``agreement``/``check``), adopting
levels that came into view (``reveal``/``add_anon``) and cancelling levels that left it
(``drop_deep_levels``/``drop_level``). It drives the engine's fast tier
(``marketsim.core._cengine``) directly, writing the events as compact records into an
``EventBatch`` that goes to ``OrderBook.record`` in one call per run of rows.

Rare rows go back to the pure Python code, so their logic exists once: row 0 (the general
comparison), a row whose check finds a difference (mismatch and resync), a submit that
crosses the other side, and anything the engine would refuse (an out-of-range size or
price). The kernel then hands the replayer the row (``_Replayer.in_python``), which runs the
pure methods on the object book, and moves the book back into C afterwards. The
differential tests in ``tests/data/test_lobster_compiled.py`` keep the two loops equal.
"""

cimport cython
from libc.stdint cimport int32_t, int64_t

from marketsim.core._cengine cimport (
    K_REJECTED,
    NO_SLOT,
    TIF_GTC,
    EventBatch,
    LevelArray,
    OrderSlot,
    PriceLevel,
    _FastTier,
    load,
    promote,
    store,
)

from marketsim.core.types import MAX_PRICE_TICKS, MAX_QTY_LOTS
from marketsim.data.lobster.files import ASK_DUMMY, BID_DUMMY
from marketsim.data.lobster.replay import _OFFBOOK_KIND, OWNER
from marketsim.data.lobster.window import DIFFERENT, EXACT, OWNER_REVEALED

cdef int64_t _MAX_PRICE = MAX_PRICE_TICKS
cdef int64_t _MAX_QTY = MAX_QTY_LOTS
cdef int64_t _ASK_DUMMY = ASK_DUMMY
cdef int64_t _BID_DUMMY = BID_DUMMY
cdef int _EXACT = EXACT
cdef int _DIFFERENT = DIFFERENT
cdef tuple _SIDE_NAMES = ("bid", "ask")  # by C side: 0 bids, 1 asks

#: The counters of ``ReplayStats`` that the kernel keeps in C, by their index in ``counts``.
cdef tuple _COUNTERS = (
    "rows_compared",
    "exact_rows",
    "revealed_rows",
    "executions",
    "executions_not_first",
    "executions_behind_known",
)
cdef enum:
    ROWS_COMPARED = 0
    EXACT_ROWS = 1
    REVEALED_ROWS = 2
    EXECUTIONS = 3
    EXECUTIONS_NOT_FIRST = 4
    EXECUTIONS_BEHIND_KNOWN = 5

#: What ``row_in_c`` leaves to Python: nothing, the whole row, or the check after the message.
cdef enum:
    DONE = 0
    WHOLE_ROW = 1
    CHECK_ONLY = 2


cdef inline bint _dummy(int64_t price):
    return price == _ASK_DUMMY or price == _BID_DUMMY


@cython.final  # its own calls go straight to its methods
cdef class WindowKernel:
    """The replay loop of one ``_Replayer`` in C; ``run`` replays a range of rows.

    The counters of ``stats`` that change on every row are kept in C while rows run and are
    written back before Python sees them (a handed-back row, the end of ``run``).
    """

    cdef object replayer, engine, book, stats, issues, anon, window, offbook, owner, next_anon
    cdef _FastTier tier
    cdef EventBatch out
    cdef object last_ts  # time of the last command in ``out``
    cdef object ts  # time of the current row, as the events carry it
    cdef Py_ssize_t row
    cdef const int64_t[:] times, actions, ids, sizes, prices, ticks, directions
    cdef const int64_t[:, :] rows
    cdef int64_t[:] row_seq
    cdef bint has_rows
    cdef Py_ssize_t depth
    cdef int64_t divisor
    cdef int64_t counts[6]  # see ``_COUNTERS``

    def __init__(self, replayer, columns, rows, row_seq):
        """``columns``: the messages' int64 arrays (times in ns, actions, ids, sizes, prices,
        price ticks, directions); ``rows``: the orderbook as an int64 array or None;
        ``row_seq``: the int64 array to fill with the engine seq after each row."""
        self.replayer = replayer
        self.book = replayer.book
        self.engine = self.book.engine
        self.tier = self.engine._fast  # the compiled engine's fast tier
        self.stats = replayer.stats
        self.issues = self.stats.issues
        self.anon = replayer.anon
        self.window = replayer.window
        self.offbook = replayer.offbook
        self.owner = OWNER
        self.next_anon = replayer.anon_ids.__next__
        self.times, self.actions, self.ids, self.sizes, self.prices, self.ticks, self.directions = (
            columns
        )
        self.has_rows = rows is not None
        if self.has_rows:
            self.rows = rows
            self.depth = replayer.levels
        self.row_seq = row_seq
        self.divisor = replayer.divisor

    # -- the loop ----------------------------------------------------------------------------

    def run(self, Py_ssize_t start, Py_ssize_t stop):
        """Replay rows ``start`` to ``stop`` (exclusive), handing rare ones to Python."""
        cdef bint inside = False  # the book is in C and the tier holds the engine's counters
        cdef int rest
        cdef Py_ssize_t k
        try:
            for k in range(start, stop):
                if not inside:
                    inside = self.enter()
                if inside:
                    rest = self.row_in_c(k)
                    if rest == DONE:
                        self.row_seq[k] = self.tier.seq
                        continue
                    self.leave()
                    inside = False
                else:
                    rest = WHOLE_ROW  # the book could not move into C: Python does it all
                self.replayer.in_python(k, rest == WHOLE_ROW)
                self.row_seq[k] = self.engine.seq
        finally:
            if inside:
                self.leave()

    cdef bint enter(self) except -1:
        """Move the book into C if needed and take over the counters; False if it cannot."""
        tier = self.tier
        if not (tier.active or promote(tier, self.engine)) or not load(tier, self.engine):
            return False
        for index, name in enumerate(_COUNTERS):
            self.counts[index] = getattr(self.stats, name)
        self.out = EventBatch()
        self.last_ts = None
        return True

    cdef int leave(self) except -1:
        """Give the events to the book's log and the counters back to the engine and stats."""
        store(self.tier, self.engine)
        if self.last_ts is not None:
            self.book.record(self.out, self.last_ts)
        self.out = None
        for index, name in enumerate(_COUNTERS):
            setattr(self.stats, name, self.counts[index])
        return 0

    cdef inline void applied(self):
        """Note a command applied at this row's time (as ``engine.apply`` counts it)."""
        self.last_ts = self.ts
        self.tier.commands_since_promotion += 1

    cdef int row_in_c(self, Py_ssize_t k) except -1:
        """``_Replayer.apply_message`` and ``follow_row`` for row ``k``, or what is left."""
        self.row = k
        self.ts = self.times[k]
        cdef int64_t action = self.actions[k]
        if action == 1:
            if not self.submit(k):
                return WHOLE_ROW
        elif 2 <= action <= 4:
            self.reduce(action, k)
        elif action == 5 or action == 6:
            self.offbook_print(action, self.ids[k], self.prices[k], self.sizes[k], self.directions[k])
        elif action == 0:
            self.issues["malformed_message"] += 1
        elif action == -1:
            self.issues["unknown_type"] += 1
        if not self.has_rows:
            return DONE
        if k == 0 or not self.check(k):
            return CHECK_ONLY
        if self.tier.sides[0].size > self.depth or self.tier.sides[1].size > self.depth:
            self.drop_deep_levels()
        return DONE

    # -- message types -----------------------------------------------------------------------

    cdef bint submit(self, Py_ssize_t k) except -1:
        """``_Replayer._submit``; False (nothing done) when it must run in Python."""
        cdef _FastTier tier = self.tier
        cdef int64_t order_id = self.ids[k], qty = self.sizes[k], price = self.ticks[k]
        if order_id <= 0 or tier.id_get(order_id) != NO_SLOT:
            self.issues["duplicate_or_bad_order_id"] += 1
            return True
        cdef bint buying = self.directions[k] == 1
        cdef LevelArray *opposite = &tier.sides[1 if buying else 0]
        cdef int64_t best
        if opposite.size:
            best = opposite.levels[opposite.size - 1].price
            if price >= best if buying else price <= best:
                return False  # a crossing submit: the stale levels are dropped in Python
        if qty > _MAX_QTY or price > _MAX_PRICE:
            return False  # the engine refuses it, as the pure loop reports
        tier.submit(
            self.out, tier.take_id(order_id), buying, qty, True, price, TIF_GTC, False,
            self.owner, self.ts,
        )
        self.applied()
        return True

    cdef int reduce(self, int64_t kind, Py_ssize_t k) except -1:
        """``_Replayer._reduce``: a partial cancel (2), a delete (3) or an execution (4)."""
        cdef _FastTier tier = self.tier
        cdef int64_t order_id = self.ids[k], size = self.sizes[k], price = self.ticks[k]
        cdef bint buying = self.directions[k] == 1
        cdef int side = 0 if buying else 1
        cdef int32_t slot = tier.id_get(order_id) if order_id > 0 else NO_SLOT
        cdef bint known = slot != NO_SLOT
        cdef OrderSlot *order
        if not known:
            anon_id = self.anon.get((_SIDE_NAMES[side], price))
            if anon_id is not None:
                slot = tier.id_get(anon_id)
            if slot == NO_SLOT:
                self.issues["unknown_order"] += 1
                if kind == 4:
                    self.offbook_print(4, order_id, self.prices[k], size, 1 if buying else -1)
                return 0
        order = &tier.pool[slot]
        if known and (order.price != price or order.buying != buying):
            self.issues["order_price_or_side_differs"] += 1
        cdef int64_t open_qty = order.qty, qty = size
        if size > open_qty:
            self.issues["size_exceeds_open_qty"] += 1
            qty = open_qty
        resting_id = order.order_id
        if kind == 4:
            self.count_execution(slot)
            tier.execute(self.out, resting_id, qty, self.ts)
        elif kind == 3 and known:
            if size != open_qty:
                self.issues["delete_size_differs"] += 1
            tier.cancel(self.out, resting_id, None, self.ts)
        elif qty == open_qty:
            tier.cancel(self.out, resting_id, None, self.ts)
        else:
            tier.replace(self.out, resting_id, open_qty - qty, None, None, self.ts)
        self.applied()
        return 0

    cdef int count_execution(self, int32_t slot) except -1:
        """``_Replayer._count_execution``: is the executed order first in its queue?"""
        cdef _FastTier tier = self.tier
        cdef OrderSlot *order = &tier.pool[slot]
        cdef int side = 0 if order.buying else 1
        cdef PriceLevel *level = &tier.sides[side].levels[tier.find_level(side, order.price)]
        self.counts[EXECUTIONS] += 1
        if level.head == slot:
            return 0
        self.counts[EXECUTIONS_NOT_FIRST] += 1
        cdef int32_t ahead = level.head
        while ahead != slot:
            if <object>tier.pool[ahead].owner == self.owner:
                self.counts[EXECUTIONS_BEHIND_KNOWN] += 1
                rows = self.stats.behind_known_rows
                if len(rows) < 100:
                    rows.append(self.row)
                break
            ahead = tier.pool[ahead].next
        return 0

    cdef int offbook_print(
        self, int64_t kind, int64_t order_id, int64_t price, int64_t size, int64_t direction
    ) except -1:
        """``_Replayer._offbook_print``: a print that leaves the book alone."""
        aggressor = "buy" if direction == -1 else "sell"
        self.offbook.append(
            (self.ts, self.row, self.tier.seq, _OFFBOOK_KIND[kind], order_id, price, size, aggressor)
        )
        return 0

    # -- the check after every message -------------------------------------------------------

    cdef int agreement(self, int side, Py_ssize_t k, Py_ssize_t first) except? -3:
        """``VisibleWindow.agreement`` of one C side with row ``k``'s levels from column
        ``first`` (0 for asks, 2 for bids), every fourth column."""
        cdef LevelArray *half = &self.tier.sides[side]
        cdef Py_ssize_t count = half.size, column
        cdef int64_t price
        cdef PriceLevel *level
        cdef Py_ssize_t i, j
        for i in range(self.depth):
            column = first + 4 * i
            price = self.rows[k, column]
            if _dummy(price):
                if count != i:
                    return _DIFFERENT
                for j in range(i + 1, self.depth):
                    if not _dummy(self.rows[k, first + 4 * j]):
                        return _DIFFERENT
                return _EXACT
            if i == count:
                return i
            level = &half.levels[count - 1 - i]
            if level.price * self.divisor != price or level.qty != self.rows[k, column + 1]:
                return _DIFFERENT
        return _EXACT

    cdef bint check(self, Py_ssize_t k) except -1:
        """``VisibleWindow.check`` of row ``k``; False (nothing done) when Python must decide."""
        cdef int asks = self.agreement(1, k, 0)
        cdef int bids = self.agreement(0, k, 2)
        if asks == _EXACT and bids == _EXACT:
            self.counts[ROWS_COMPARED] += 1
            self.counts[EXACT_ROWS] += 1
            return True
        if asks == _DIFFERENT or bids == _DIFFERENT:
            return False
        if not (self.revealable(k, 0, asks) and self.revealable(k, 2, bids)):
            return False  # the engine refuses such volume, as the pure loop reports
        if asks != _EXACT:
            self.reveal(1, k, 0, asks)
        if bids != _EXACT:
            self.reveal(0, k, 2, bids)
        self.counts[ROWS_COMPARED] += 1
        self.counts[REVEALED_ROWS] += 1
        return True

    cdef bint revealable(self, Py_ssize_t k, Py_ssize_t first, int start):
        """Can the engine take the levels ``reveal`` would add (sizes and prices in range)?"""
        cdef int64_t price, qty
        cdef Py_ssize_t i
        if start == _EXACT:
            return True
        for i in range(start, self.depth):
            price = self.rows[k, first + 4 * i]
            qty = self.rows[k, first + 4 * i + 1]
            if _dummy(price):
                continue
            if not (0 < price // self.divisor <= _MAX_PRICE and 0 < qty <= _MAX_QTY):
                return False
        return True

    cdef int reveal(self, int side, Py_ssize_t k, Py_ssize_t first, int start) except -1:
        """``VisibleWindow.reveal``: the row's levels from level ``start`` on become volume."""
        cdef int64_t price
        cdef Py_ssize_t i
        for i in range(start, self.depth):
            price = self.rows[k, first + 4 * i]
            if not _dummy(price):
                self.add_anon(side, price // self.divisor, self.rows[k, first + 4 * i + 1])
        return 0

    # -- volume in and out of the window -----------------------------------------------------

    cdef int add_anon(self, int side, int64_t price, int64_t qty) except -1:
        """``VisibleWindow.add_anon`` of revealed volume (post-only, never trades)."""
        cdef _FastTier tier = self.tier
        order_id = self.next_anon()
        cdef Py_ssize_t first_event = self.out.size
        tier.submit(
            self.out, tier.take_id(order_id), side == 0, qty, True, price, TIF_GTC, True,
            OWNER_REVEALED, self.ts,
        )
        self.applied()
        if self.out.records[first_event].kind == K_REJECTED:  # post-only: it would have crossed
            self.issues["anonymous_volume_would_cross"] += 1
            return 0
        side_name = _SIDE_NAMES[side]
        self.anon[(side_name, price)] = order_id
        self.window.append((self.row, "reveal", side_name, price, qty, tier.seq))
        return 0

    cdef int drop_deep_levels(self) except -1:
        """``VisibleWindow.drop_deep_levels``: cancel the levels below the window."""
        cdef _FastTier tier = self.tier
        cdef int side
        for side in range(2):  # bids, then asks
            while tier.sides[side].size > self.depth:
                self.drop_level(side, tier.sides[side].levels[0].price)  # the worst level
        return 0

    cdef int drop_level(self, int side, int64_t price) except -1:
        """``VisibleWindow.drop_level``: cancel every order of one level, first in line first."""
        cdef _FastTier tier = self.tier
        cdef LevelArray *half = &tier.sides[side]
        cdef Py_ssize_t index = tier.find_level(side, price)
        cdef int64_t qty = half.levels[index].qty
        while index >= 0:
            tier.cancel(self.out, tier.pool[half.levels[index].head].order_id, None, self.ts)
            self.applied()
            index = tier.find_level(side, price)
        side_name = _SIDE_NAMES[side]
        self.anon.pop((side_name, price), None)
        self.window.append((self.row, "drop", side_name, price, qty, tier.seq))
        return 0
