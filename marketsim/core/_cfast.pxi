# The fast tier's commands (included by _cengine.pyx after _cbook.pxi and _crecords.pxi).
#
# Each function is the C twin of one rule of ``marketsim.core.matching`` (submit, _match,
# cancel, execute_resting) or ``marketsim.core.amend`` (replace) for a book that holds only
# plain orders in continuous trading: no stop, iceberg, self-trade prevention or auction can
# be involved, so those branches do not exist here. Every check comes before the first
# change, so a refused command leaves the book as it was. Events go to an ``EventBatch``.

from marketsim.errors import PermissionDeniedError, UnknownOrderError

cdef object _NO_OWNER = ""


cdef class _FastTier(_CBook):
    """A ``_CBook`` with the engine counters it runs with and the levels a command touched.

    ``seq``, ``next_id`` and ``last_trade`` are copies of the engine's ``seq``,
    ``order_ids.next_id`` and ``last_trade_ticks``, loaded before and stored after the fast
    commands run; ``next_trade_id`` is the trade-id counter, which the tier owns while active.
    """

    # Its attributes are declared in _cengine.pxd.

    def __cinit__(self):
        self.scratch = EventBatch()
        self.promote_after = PROMOTE_AFTER
        self.max_backoff = MAX_BACKOFF

    def __dealloc__(self):
        free(self.touched)

    # -- helpers -----------------------------------------------------------------------------

    cdef int touch(self, int side, int64_t price) except -1:
        """Remember that the level at ``price`` on ``side`` changed (once, in order)."""
        for i in range(self.touched_count):
            if self.touched[i].price == price and self.touched[i].side == side:
                return 0
        if self.touched_count == self.touched_capacity:
            self.touched_capacity = 2 * self.touched_capacity if self.touched_capacity else 16
            self.touched = <Touched *>_grown(self.touched, self.touched_capacity, sizeof(Touched))
        self.touched[self.touched_count].side = side
        self.touched[self.touched_count].price = price
        self.touched_count += 1
        return 0

    cdef int delta(self, EventBatch out, int side, int64_t price, object ts, bint last) except -1:
        """The ``BookDelta`` of the level at ``price`` on ``side`` (the first one says add)."""
        self.seq += 1
        cdef Record *record = out.add(K_DELTA, self.seq, ts)
        record.buying = side == 0
        record.price = price
        cdef Py_ssize_t index = self.find_level(side, price)
        cdef PriceLevel *level
        if index < 0:
            record.qty = 0
            record.d = 0
            record.code = A_DELETE
        else:
            level = &self.sides[side].levels[index]
            record.qty = level.qty
            record.d = level.count
            record.code = A_ADD if level.is_new else A_UPDATE
            level.is_new = False
        if last:
            record.flags = F_LAST
        return 0

    cdef int deltas(self, EventBatch out, object ts) except -1:
        """One delta per touched level, the last flagged ``last``."""
        cdef Py_ssize_t count = self.touched_count
        for i in range(count):
            self.delta(out, self.touched[i].side, self.touched[i].price, ts, i == count - 1)
        self.touched_count = 0
        return 0

    cdef int order_event(
        self,
        EventBatch out,
        uint8_t kind,
        int64_t order_id,
        object owner,
        bint buying,
        bint has_price,
        int64_t price,
        int64_t qty,
        object ts,
    ) except -1:
        """An accepted, rejected or cancelled order's record (the caller adds the rest)."""
        self.seq += 1
        cdef Record *record = out.add(kind, self.seq, ts)
        record.a = order_id
        record.buying = buying
        record.price = price
        record.qty = qty
        record.flags = F_HAS_PRICE if has_price else 0
        Py_INCREF(owner)
        record.owner = <PyObject *>owner
        return 0

    cdef int64_t fillable(self, int side, bint buying, bint has_limit, int64_t limit, int64_t wanted):
        """Lots on ``side`` up to ``limit``, counted until ``wanted`` is reached."""
        cdef LevelArray *half = &self.sides[side]
        cdef int64_t available = 0
        cdef PriceLevel *level
        for index in range(half.size - 1, -1, -1):
            level = &half.levels[index]
            if has_limit and (level.price > limit if buying else level.price < limit):
                break
            available += level.qty
            if available >= wanted:
                break
        return available

    cdef list level_ticks(self, int side, object depth):
        """``MatchingEngine.level_ticks`` read from the C levels (``depth`` None or >= 0)."""
        cdef LevelArray *half = &self.sides[side]
        cdef Py_ssize_t count = half.size
        if depth is not None and depth < count:
            count = depth
        cdef PriceLevel *level
        result = []
        for index in range(half.size - 1, half.size - 1 - count, -1):
            level = &half.levels[index]
            result.append((level.price, level.qty, level.count))
        return result

    cdef tuple resting_state(self, int64_t order_id):
        """``MatchingEngine.resting_state`` read from the C book."""
        cdef int32_t slot = self.id_get(order_id)
        if slot == NO_SLOT:
            return None
        cdef OrderSlot *order = &self.pool[slot]
        cdef PriceLevel *level = &self.sides[0 if order.buying else 1].levels[self.level_of(slot)]
        cdef int32_t position = level.count
        cdef int32_t behind = level.tail
        while behind != slot:  # counted from the back: a new order is last
            position -= 1
            behind = self.pool[behind].prev
        return (order.price, position, level.count, order.filled, order.qty)

    # -- commands ----------------------------------------------------------------------------

    cdef int64_t take_id(self, object order_id) except -1:
        """The id a submit uses: the next free one, or the given one if it is not live."""
        cdef int64_t given
        if order_id is None:
            self.next_id += 1
            return self.next_id - 1
        given = order_id
        if self.id_get(given) != NO_SLOT:
            raise InvalidCommandError(f"order_id {order_id} is already live")
        if given >= self.next_id:
            self.next_id = given + 1
        return given

    cdef int64_t match(
        self,
        EventBatch out,
        bint buying,
        bint has_limit,
        int64_t limit,
        int64_t leaves,
        int64_t taker_id,
        object taker_owner,
        object ts,
    ) except -1:
        """Trade ``leaves`` lots against the opposite side up to ``limit``; return the rest."""
        cdef int side = 1 if buying else 0
        cdef LevelArray *half = &self.sides[side]
        cdef PriceLevel *level
        cdef OrderSlot *maker
        cdef int32_t slot
        cdef int64_t price, fill
        cdef Record *record
        while leaves and half.size:
            level = &half.levels[half.size - 1]
            price = level.price
            if has_limit and (price > limit if buying else price < limit):
                break
            self.touch(side, price)
            while leaves and level.head != NO_SLOT:
                slot = level.head
                maker = &self.pool[slot]
                fill = maker.qty if maker.qty < leaves else leaves
                self.seq += 1
                record = out.add(K_TRADE, self.seq, ts)
                record.a = self.next_trade_id
                self.next_trade_id += 1
                record.price = price
                record.qty = fill
                record.buying = buying
                record.d = maker.order_id
                record.e = taker_id
                Py_INCREF(<object>maker.owner)
                record.owner = maker.owner
                Py_INCREF(taker_owner)
                record.owner2 = <PyObject *>taker_owner
                leaves -= fill
                level.qty -= fill
                maker.filled += fill
                self.traded = True
                self.last_trade = price
                if fill != maker.qty:
                    maker.qty -= fill
                else:
                    self.unlink(level, slot)
                    self.free_order(slot)
            if level.head == NO_SLOT:
                half.size -= 1  # the best level is the last one
        return leaves

    cdef int submit(
        self,
        EventBatch out,
        int64_t order_id,
        bint buying,
        int64_t qty,
        bint has_price,
        int64_t price,
        int tif,
        bint post_only,
        object owner,
        object ts,
    ) except -1:
        """``MatchingEngine.submit`` of a plain order (its id already taken)."""
        cdef int opposite = 1 if buying else 0
        cdef LevelArray *half = &self.sides[opposite]
        cdef bint has_best = half.size > 0
        cdef int64_t best = half.levels[half.size - 1].price if has_best else 0
        cdef bint crosses = has_best and (
            not has_price or (price >= best if buying else price <= best)
        )
        cdef int reason = -1
        if not has_best:
            if not has_price:
                reason = R_NO_LIQUIDITY
            elif tif == TIF_FOK:
                reason = R_FOK_UNFILLABLE
        elif post_only and crosses:
            reason = R_POST_ONLY_WOULD_CROSS
        elif tif == TIF_FOK and self.fillable(opposite, buying, has_price, price, qty) < qty:
            reason = R_FOK_UNFILLABLE
        kind = K_REJECTED if reason >= 0 else K_ACCEPTED
        self.order_event(out, kind, order_id, owner, buying, has_price, price, qty, ts)
        cdef Record *record = &out.records[out.size - 1]
        record.tif = tif
        if post_only:
            record.flags |= F_POST_ONLY
        if reason >= 0:
            record.code = reason
            return 0
        cdef int own = 1 - opposite
        if not crosses and tif == TIF_GTC and has_price:
            # The common case: a limit order that rests without trading changes one level.
            self.rest(order_id, owner, buying, price, qty, 0, post_only)
            return self.delta(out, own, price, ts, True)
        cdef int64_t leaves = qty
        if crosses:
            leaves = self.match(out, buying, has_price, price, leaves, order_id, owner, ts)
        if leaves:
            if not has_price or tif != TIF_GTC:
                self.order_event(
                    out, K_CANCELLED, order_id, owner, buying, has_price, price, leaves, ts
                )
                out.records[out.size - 1].code = R_IOC_REMAINDER if has_price else R_MARKET_REMAINDER
            else:
                self.rest(order_id, owner, buying, price, leaves, qty - leaves, post_only)
                self.touch(own, price)
        return self.deltas(out, ts)

    cdef int32_t live_slot(self, object order_id, object owner) except -2:
        """The slot of a live order (``MatchingEngine._live_order``'s errors otherwise)."""
        cdef int32_t slot = self.id_get(order_id)
        if slot == NO_SLOT:
            raise UnknownOrderError(f"order {order_id} is not live (unknown, filled or cancelled)")
        if owner is not None and owner != <object>self.pool[slot].owner:
            raise PermissionDeniedError(
                f"order {order_id} belongs to another owner; only its owner may change it"
            )
        return slot

    cdef int remove(self, int32_t slot, int64_t lots) except -1:
        """Take ``lots`` off a resting order, removing it (and an emptied level) at zero."""
        cdef OrderSlot *order = &self.pool[slot]
        cdef int side = 0 if order.buying else 1
        cdef Py_ssize_t index = self.find_level(side, order.price)
        cdef PriceLevel *level = &self.sides[side].levels[index]
        level.qty -= lots
        order.qty -= lots
        if order.qty == 0:
            self.unlink(level, slot)
            self.free_order(slot)
            if level.head == NO_SLOT:
                self.remove_level(side, index)
        return 0

    cdef int cancel(self, EventBatch out, object order_id, object owner, object ts) except -1:
        """``MatchingEngine.cancel`` of a resting order."""
        cdef int32_t slot = self.live_slot(order_id, owner)
        cdef OrderSlot *order = &self.pool[slot]
        cdef int side = 0 if order.buying else 1
        cdef int64_t price = order.price
        self.order_event(
            out, K_CANCELLED, order.order_id, <object>order.owner, order.buying, True, price,
            order.qty, ts,
        )
        out.records[out.size - 1].code = R_USER
        self.remove(slot, order.qty)
        return self.delta(out, side, price, ts, True)

    cdef int execute(self, EventBatch out, object order_id, object qty_lots, object ts) except -1:
        """``MatchingEngine.execute_resting``: an outside counterparty takes ``qty_lots``."""
        cdef int32_t slot = self.live_slot(order_id, None)
        cdef OrderSlot *order = &self.pool[slot]
        if qty_lots > order.qty:
            raise InvalidCommandError(
                f"qty_lots {qty_lots} exceeds the {order.qty} lots open on order {order_id}"
            )
        cdef int64_t lots = qty_lots
        self.seq += 1
        cdef Record *record = out.add(K_TRADE, self.seq, ts)
        record.a = self.next_trade_id
        self.next_trade_id += 1
        record.price = order.price
        record.qty = lots
        record.buying = not order.buying
        record.d = order.order_id
        record.e = 0
        Py_INCREF(<object>order.owner)
        record.owner = order.owner
        Py_INCREF(_NO_OWNER)
        record.owner2 = <PyObject *>_NO_OWNER
        order.filled += lots
        self.traded = True
        self.last_trade = order.price
        cdef int side = 0 if order.buying else 1
        cdef int64_t price = order.price
        self.remove(slot, lots)
        return self.delta(out, side, price, ts, True)

    cdef int replace(
        self, EventBatch out, object order_id, object qty_lots, object price_ticks,
        object owner, object ts,
    ) except -1:
        """``MatchingEngine.replace`` of a plain resting order (see ``amend.Amendments``)."""
        cdef int32_t slot = self.live_slot(order_id, owner)
        cdef OrderSlot *order = &self.pool[slot]
        cdef int64_t old_price = order.price, old_open = order.qty
        cdef int64_t new_price = old_price if price_ticks is None else price_ticks
        cdef int64_t new_open = old_open if qty_lots is None else qty_lots
        cdef bint keeps_priority = new_price == old_price and new_open <= old_open
        cdef bint buying = order.buying
        cdef int side = 0 if buying else 1
        self.seq += 1
        cdef Record *record = out.add(K_REPLACED, self.seq, ts)
        record.a = order.order_id
        record.buying = buying
        record.price = old_price
        record.qty = old_open
        record.d = new_price
        record.e = new_open
        record.flags = F_PRIORITY_KEPT if keeps_priority else 0
        owner = <object>order.owner
        Py_INCREF(owner)
        record.owner = <PyObject *>owner
        self.touch(side, old_price)
        cdef Py_ssize_t index
        cdef PriceLevel *level
        if keeps_priority:
            self.remove(slot, old_open - new_open)
        elif new_price == old_price:
            # More lots at the same price: the order goes to the back of its queue.
            index = self.find_level(side, old_price)
            level = &self.sides[side].levels[index]
            level.qty -= old_open
            self.unlink(level, slot)
            order.qty = new_open
            self.append_to_level(level, slot)
        else:
            self.move(out, slot, new_price, new_open, ts)
        return self.deltas(out, ts)

    cdef int move(
        self, EventBatch out, int32_t slot, int64_t new_price, int64_t new_open, object ts
    ) except -1:
        """``Amendments._move``: re-enter an order at a new price, trading first if it crosses."""
        cdef OrderSlot *order = &self.pool[slot]
        cdef int64_t order_id = order.order_id, filled = order.filled
        cdef bint buying = order.buying, post_only = order.post_only
        owner = <object>order.owner  # kept alive here while the slot is freed
        self.remove(slot, order.qty)
        cdef LevelArray *opposite = &self.sides[1 if buying else 0]
        cdef int64_t best
        cdef int64_t leaves = new_open
        if opposite.size:
            best = opposite.levels[opposite.size - 1].price
            if new_price >= best if buying else new_price <= best:
                if post_only:
                    # The order already left its old level; a post-only order may not take.
                    self.order_event(
                        out, K_CANCELLED, order_id, owner, buying, True, new_price, new_open, ts
                    )
                    out.records[out.size - 1].code = R_POST_ONLY_WOULD_CROSS
                    return 0
                leaves = self.match(out, buying, True, new_price, new_open, order_id, owner, ts)
                filled += new_open - leaves
        if leaves:
            self.rest(order_id, owner, buying, new_price, leaves, filled, post_only)
            self.touch(0 if buying else 1, new_price)
        return 0
