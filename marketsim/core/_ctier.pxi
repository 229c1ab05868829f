# Moving an engine's book between its two tiers (included by _cengine.pyx after _cfast.pxi).
#
# The object tier is the pure engine's ``BookState`` (levels of ``RestingOrder`` objects),
# which every rule and every reader of ``engine.book`` works on. The fast tier is a
# ``_FastTier`` (C structures). The fast tier serves while the market is plain: continuous
# trading, no pending stop, no market order waiting for an auction, no iceberg in the book,
# and nobody else holding on to a part of the object book (checked by reference counts, so a
# reader that kept ``engine.book.bids`` never sees it go stale). Anything else moves the
# state into objects first (``demote``); after enough plain commands in a row it moves back
# (``promote``). Both moves keep everything the events depend on: queue order, ``is_new``
# levels, filled lots, the trade-id counter and the orders of the object book's dicts (the id
# index by resting, each side's levels by creation), so a moved book equals the pure one's
# in every detail a snapshot or a fingerprint sees.

import itertools

from marketsim.core.types import ASK, BID

cdef extern from "Python.h":
    int PyDict_Next(object mapping, Py_ssize_t *position, PyObject **key, PyObject **value)

#: Plain commands in a row before an engine tries to move its book into C again.
PROMOTE_AFTER = 32
#: How many times the wait doubles when the book keeps being moved back out soon after.
MAX_BACKOFF = 7
cdef int64_t _LARGEST_ID = 0x7FFFFFFFFFFFFFFF
cdef object _NEW_TRADE_IDS = itertools.count


cdef inline PyObject *_slot_pointer(object obj, Py_ssize_t offset):
    """The object in a slot, without taking a reference (NULL if unset)."""
    return (<PyObject **>((<char *><PyObject *>obj) + offset))[0]


cdef bint _only_owned_by(object obj, Py_ssize_t offset, object cls, Py_ssize_t references):
    """Is the object in ``obj``'s slot a ``cls`` that has exactly ``references`` references?"""
    cdef PyObject *held = _slot_pointer(obj, offset)
    return held is not NULL and Py_REFCNT(held) == references and type(<object>held) is cls


cdef bint _plain_market(object engine):
    """Is the engine in continuous trading with no pending stop or waiting market order?"""
    return (
        _get(engine, ENGINE_PHASE) is _CONTINUOUS
        and not _get(engine, ENGINE_STOPS)
        and not _get(engine, ENGINE_AUCTION)
    )


cdef bint _private_half(object half):
    """Is ``half`` (a ``BookHalf`` owned by the book) plain and referenced by nobody else?"""
    if not (
        _only_owned_by(half, HALF_LEVELS, dict, 1) and _only_owned_by(half, HALF_KEYS, list, 1)
    ):
        return False
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *level
    levels = _get(half, HALF_LEVELS)
    while PyDict_Next(levels, &position, &key, &level):
        if Py_REFCNT(level) != 1 or type(<object>level) is not Level:
            return False
        if not _only_owned_by(<object>level, LEVEL_ORDERS, OrderedDict, 1):
            return False
    return True


cdef bint _private_book(object book):
    """Is ``book`` made only of plain orders, with no part referenced from outside?"""
    if not (
        _only_owned_by(book, BOOK_BIDS, BookHalf, 1)
        and _only_owned_by(book, BOOK_ASKS, BookHalf, 1)
        and _only_owned_by(book, BOOK_ORDERS, dict, 1)
    ):
        return False
    if not (_private_half(_get(book, BOOK_BIDS)) and _private_half(_get(book, BOOK_ASKS))):
        return False
    cdef Py_ssize_t position = 0
    cdef PyObject *key
    cdef PyObject *order
    # A resting order is held by its level's queue and by the id index, by nothing else.
    while PyDict_Next(_get(book, BOOK_ORDERS), &position, &key, &order):
        if Py_REFCNT(order) != 2 or type(<object>order) is not RestingOrder:
            return False
    return True


cdef object _trade_counter_value(object engine):
    """The next trade id of the engine's counter (an ``itertools.count``), or None."""
    counter = getattr(_get(engine, ENGINE_TRADE_IDS), "__self__", None)
    if type(counter) is not itertools.count:
        return None
    return int(repr(counter)[len("count(") : -1])


cdef bint promote(_FastTier tier, object engine) except -1:
    """Move a plain object book into the fast tier; False (nothing moved) if it is not plain."""
    if tier.active or not _plain_market(engine):
        return False
    if not _only_owned_by(engine, ENGINE_BOOK, BookState, 1):
        return False
    book = _get(engine, ENGINE_BOOK)
    if not _private_book(book):
        return False
    next_trade_id = _trade_counter_value(engine)
    next_id = _get(_get(engine, ENGINE_IDS), IDS_NEXT)
    if next_trade_id is None or not next_trade_id < _LARGEST_ID or not next_id < _LARGEST_ID:
        return False
    tier.clear()
    cdef int side
    cdef Py_ssize_t index
    for side in range(2):
        half = _get(book, BOOK_BIDS if side == 0 else BOOK_ASKS)
        levels = _get(half, HALF_LEVELS)
        sign = _get(half, HALF_SIGN)
        for key in _get(half, HALF_KEYS):  # worst to best, the order of the C array
            level = levels[sign * key]
            index = tier.level_for(side, _get(level, LEVEL_PRICE))
            tier.sides[side].levels[index].is_new = _get(level, LEVEL_IS_NEW)
            for order in (<object>_get(level, LEVEL_ORDERS)).values():
                tier.rest(
                    _get(order, ORDER_ID),
                    _get(order, ORDER_OWNER),
                    side == 0,
                    _get(order, ORDER_PRICE),
                    _get(order, ORDER_QTY),
                    _get(order, ORDER_FILLED),
                    _get(order, ORDER_POST_ONLY),
                )
    # The dicts' orders (orders by resting, levels by creation) are kept for the way back.
    tier.rest_count = 0
    for order_id in _get(book, BOOK_ORDERS):
        tier.pool[tier.id_get(order_id)].rested_at = tier.rest_count
        tier.rest_count += 1
    tier.level_count = 0
    for side in range(2):
        for price in _get(_get(book, BOOK_BIDS if side == 0 else BOOK_ASKS), HALF_LEVELS):
            index = tier.find_level(side, price)
            tier.sides[side].levels[index].created_at = tier.level_count
            tier.level_count += 1
    tier.next_trade_id = next_trade_id
    _set(engine, ENGINE_BOOK, None)
    tier.active = True
    tier.commands_since_promotion = 0
    return True


cdef int demote(_FastTier tier, object engine) except -1:
    """Move the fast tier's book into a new object book (``BookState``) on the engine."""
    book = BookState()
    orders = []  # (rested_at, order) of every resting order
    created = []  # (created_at, level) of the levels of one side
    cdef int side
    cdef int32_t slot
    cdef PriceLevel *c_level
    cdef OrderSlot *c_order
    for side in range(2):
        half = _get(book, BOOK_BIDS if side == 0 else BOOK_ASKS)
        levels = _get(half, HALF_LEVELS)
        keys = _get(half, HALF_KEYS)
        book_side = BID if side == 0 else ASK
        order_side = "buy" if side == 0 else "sell"
        created.clear()
        for index in range(tier.sides[side].size):
            c_level = &tier.sides[side].levels[index]
            level = Level(book_side, c_level.price)
            _set(level, LEVEL_IS_NEW, bool(c_level.is_new))
            _set(level, LEVEL_QTY, c_level.qty)
            queue = _get(level, LEVEL_ORDERS)
            slot = c_level.head
            while slot != NO_SLOT:
                c_order = &tier.pool[slot]
                order = _build(
                    _RESTING,
                    (
                        c_order.order_id,
                        <object>c_order.owner,
                        order_side,
                        c_order.price,
                        c_order.qty,
                        c_order.filled,
                        bool(c_order.post_only),
                    ),
                )
                queue[c_order.order_id] = order
                orders.append((c_order.rested_at, order))
                slot = c_order.next
            created.append((c_level.created_at, level))
            keys.append(tier.sides[side].sign * c_level.price)
        created.sort(key=_first)
        for _, level in created:
            levels[_get(level, LEVEL_PRICE)] = level
    orders.sort(key=_first)
    index_by_id = _get(book, BOOK_ORDERS)
    for _, order in orders:
        index_by_id[_get(order, ORDER_ID)] = order
    _set(engine, ENGINE_TRADE_IDS, _NEW_TRADE_IDS(tier.next_trade_id).__next__)
    _set(engine, ENGINE_BOOK, book)
    tier.clear()
    tier.active = False
    # A book moved out again soon after it came in waits longer before the next try.
    if tier.commands_since_promotion < tier.promote_after << tier.backoff:
        tier.backoff = min(tier.backoff + 1, tier.max_backoff)
    else:
        tier.backoff = 0
    tier.streak = 0
    return 0


cdef object _first(tuple pair):
    return pair[0]


cdef bint consider_promotion(_FastTier tier, object engine) except -1:
    """Count a plain command in the object tier; promote after enough in a row."""
    tier.streak += 1
    if tier.streak < tier.promote_after << tier.backoff:
        return False
    tier.streak = 0
    return promote(tier, engine)


cdef bint load(_FastTier tier, object engine) except -1:
    """Copy the engine's counters into the tier (False if one does not fit in C)."""
    seq = _get(engine, ENGINE_SEQ)
    next_id = _get(_exactly(_get(engine, ENGINE_IDS), OrderIds), IDS_NEXT)
    if not (type(seq) is int and type(next_id) is int and seq < _LARGEST_ID and next_id < _LARGEST_ID):
        return False
    tier.seq = seq
    tier.next_id = next_id
    tier.traded = False
    return True


cdef int store(_FastTier tier, object engine) except -1:
    """Copy the tier's counters back to the engine."""
    _set(engine, ENGINE_SEQ, tier.seq)
    _set(_get(engine, ENGINE_IDS), IDS_NEXT, tier.next_id)
    if tier.traded:
        _set(engine, ENGINE_LAST_TRADE, tier.last_trade)
    return 0
