# The object tier's C functions (included by _cengine.pyx after _cstate.pxi).
#
# They run the common commands over the pure engine's own book objects (``BookState``,
# ``Level``, ``RestingOrder``), reached through their slots: a plain order's submit, a cancel,
# the matching loop and the deltas, which the shared Python rules (stops, icebergs,
# self-trade prevention, auctions, replace) call too. Each mirrors its method in
# ``marketsim.core.matching``.


cdef object _delta(object level, object seq, object ts_event, bint last):
    """The ``BookDelta`` publishing ``level``'s state (the first one says "add")."""
    count = len(<object>_get(level, LEVEL_ORDERS))
    if not count:
        action = "delete"
    elif _get(level, LEVEL_IS_NEW):
        action = "add"
        _set(level, LEVEL_IS_NEW, False)
    else:
        action = "update"
    return _build(
        _DELTA,
        (
            seq,
            ts_event,
            _get(level, LEVEL_SIDE),
            _get(level, LEVEL_PRICE),
            _get(level, LEVEL_QTY),
            count,
            action,
            last,
        ),
    )


cdef object _rest(object book, object order, bint buying, object price, object qty):
    """Queue ``order`` at the back of its level (created if needed); return the level."""
    half = _half(book, buying)
    level = (<dict>_get(half, HALF_LEVELS)).get(price)
    if level is None:
        level = half.level_for(price)
    _exactly(level, Level)
    order_id = _get(order, ORDER_ID)
    _get(level, LEVEL_ORDERS)[order_id] = order
    _set(level, LEVEL_QTY, _get(level, LEVEL_QTY) + qty)
    (<dict>_get(book, BOOK_ORDERS))[order_id] = order
    return level


cdef object _unrest(object book, object order):
    """Take ``order`` out of its level (dropping the level if it empties); return it."""
    half = _half(book, _get(order, ORDER_SIDE) == "buy")
    price = _get(order, ORDER_PRICE)
    level = _exactly((<dict>_get(half, HALF_LEVELS))[price], Level)
    orders = _get(level, LEVEL_ORDERS)
    order_id = _get(order, ORDER_ID)
    del orders[order_id]
    _set(level, LEVEL_QTY, _get(level, LEVEL_QTY) - _get(order, ORDER_QTY))
    del (<dict>_get(book, BOOK_ORDERS))[order_id]
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
    _exactly(opposite, BookHalf)
    cdef dict levels = _get(opposite, HALF_LEVELS)
    cdef list keys = _get(opposite, HALF_KEYS)
    cdef long long sign = _get(opposite, HALF_SIGN)
    cdef dict index = _get(_book(engine), BOOK_ORDERS)
    cdef long long seq = _get(engine, ENGINE_SEQ)
    cdef bint buying = side == "buy"
    cdef bint has_limit = limit is not None
    cdef long long limit_ticks = limit if has_limit else 0
    cdef long long price, fill, maker_qty
    cdef bint traded = False
    cdef long long traded_at = 0
    next_trade_id = _get(engine, ENGINE_TRADE_IDS)
    prevented_owner = taker_owner if stp else ""
    while leaves and keys:
        price = sign * <long long>keys[-1]
        if has_limit and (price > limit_ticks if buying else price < limit_ticks):
            break
        level = _exactly(levels[price], Level)
        touched[level] = None
        orders = _get(level, LEVEL_ORDERS)
        while leaves and orders:
            maker = _resting(next(iter(orders.values())))
            if prevented_owner and _get(maker, ORDER_OWNER) == prevented_owner:
                _set(engine, ENGINE_SEQ, seq)
                leaves = engine.prevent_self_trade(
                    events, level, maker, stp, leaves, taker_id, side, limit, ts_event
                )
                seq = _get(engine, ENGINE_SEQ)
                continue
            maker_qty = _get(maker, ORDER_QTY)
            fill = maker_qty if maker_qty < leaves else leaves
            seq += 1
            maker_id = _get(maker, ORDER_ID)
            events.append(
                _build(
                    _TRADE,
                    (
                        seq,
                        ts_event,
                        next_trade_id(),
                        price,
                        fill,
                        side,
                        maker_id,
                        taker_id,
                        _get(maker, ORDER_OWNER),
                        taker_owner,
                    ),
                )
            )
            leaves -= fill
            _set(level, LEVEL_QTY, _get(level, LEVEL_QTY) - fill)
            _set(maker, ORDER_FILLED, _get(maker, ORDER_FILLED) + fill)
            traded = True
            traded_at = price
            if fill != maker_qty:
                _set(maker, ORDER_QTY, maker_qty - fill)
            elif _hidden_lots(maker):
                _set(maker, ORDER_QTY, 0)
                seq = engine._refill(events, maker, level, seq, ts_event)
            else:
                _set(maker, ORDER_QTY, 0)
                orders.popitem(last=False)
                del index[maker_id]
        if not orders:
            del levels[price]
            keys.pop()
    _set(engine, ENGINE_SEQ, seq)
    if traded:
        _set(engine, ENGINE_LAST_TRADE, traded_at)
    return leaves


cdef void _emit_deltas(object engine, list events, dict touched, object ts_event) except *:
    """One delta per touched level, the last flagged ``last``."""
    cdef long long seq = _get(engine, ENGINE_SEQ)
    cdef Py_ssize_t remaining = len(touched)
    if not remaining:
        events[-1].last = True  # as the pure engine does (it raises for a non-delta)
        return
    for level in touched:
        seq += 1
        remaining -= 1
        events.append(_delta(_exactly(level, Level), seq, ts_event, remaining == 0))
    _set(engine, ENGINE_SEQ, seq)


cdef list _submit_plain(
    object engine,
    object order_id,
    object side,
    object qty,
    object price,
    object tif,
    bint post_only,
    object owner,
    object ts_event,
):
    """A plain order in continuous trading: ``MatchingEngine.submit`` after its id checks."""
    book = _book(engine)
    cdef bint buying = side == "buy"
    opposite = _half(book, not buying)
    cdef bint has_price = price is not None
    order_type = "limit" if has_price else "market"
    cdef long long ticks = price if has_price else 0
    cdef list keys = _get(opposite, HALF_KEYS)
    cdef bint has_best = len(keys) > 0
    cdef long long best = 0
    if has_best:
        best = <long long>_get(opposite, HALF_SIGN) * <long long>keys[-1]
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
    seq = _get(engine, ENGINE_SEQ) + 1
    fields = (seq, ts_event, order_id, owner, side, order_type, price, qty, tif, post_only)
    if reject_reason is not None:
        _set(engine, ENGINE_SEQ, seq)
        return [_build(_REJECTED, fields + (reject_reason,) + _SUBMIT_DEFAULTS)]

    cdef list events = [_build(_ACCEPTED, fields + _SUBMIT_DEFAULTS)]
    cdef bint gtc = tif == "GTC"
    if not crosses and gtc and has_price:
        # The common case: a limit order that rests without trading changes one level.
        order = _build(_RESTING, (order_id, owner, side, price, qty, 0, post_only))
        level = _rest(book, order, buying, price, qty)
        _set(engine, ENGINE_SEQ, seq + 1)
        events.append(_delta(level, seq + 1, ts_event, True))
        return events

    _set(engine, ENGINE_SEQ, seq)
    cdef dict touched = {}
    cdef long long leaves = qty
    if crosses:
        leaves = _match(
            engine, events, touched, opposite, side, price, leaves, order_id, owner, ts_event, ""
        )
    if leaves:
        if not has_price or not gtc:
            seq = _get(engine, ENGINE_SEQ) + 1
            _set(engine, ENGINE_SEQ, seq)
            reason = REASON_IOC_REMAINDER if has_price else REASON_MARKET_REMAINDER
            events.append(
                _build(_CANCELLED, (seq, ts_event, order_id, owner, side, price, leaves, reason))
            )
        else:
            order = _build(
                _RESTING, (order_id, owner, side, price, leaves, qty - leaves, post_only)
            )
            touched[_rest(book, order, buying, price, leaves)] = None
    if _get(engine, ENGINE_STOPS):
        engine.trigger_stops(events, touched, ts_event)
    if touched:
        _emit_deltas(engine, events, touched, ts_event)
    return events


cdef list _cancel(object engine, object order_id, object owner, object ts_event):
    """``MatchingEngine.cancel`` of a resting order (a waiting one goes to the shared code)."""
    book = _book(engine)
    order = (<dict>_get(book, BOOK_ORDERS)).get(order_id)
    if order is None:
        return engine.cancel_pending(CancelOrder(order_id, owner), ts_event)
    _resting(order)
    if owner is not None and owner != _get(order, ORDER_OWNER):
        engine._live_order(order_id, owner)  # raises PermissionDeniedError
    level = _unrest(book, order)
    seq = _get(engine, ENGINE_SEQ)
    _set(engine, ENGINE_SEQ, seq + 2)
    cancelled = _build(
        _CANCELLED,
        (
            seq + 1,
            ts_event,
            _get(order, ORDER_ID),
            _get(order, ORDER_OWNER),
            _get(order, ORDER_SIDE),
            _get(order, ORDER_PRICE),
            _get(order, ORDER_QTY) + _hidden_lots(order),
            REASON_USER,
        ),
    )
    return [cancelled, _delta(level, seq + 2, ts_event, True)]


cdef object _take_id(object engine, object order_id):
    """The order id a submit uses: the next free one, or the given one if it is not live."""
    ids = _exactly(_get(engine, ENGINE_IDS), OrderIds)
    next_id = _get(ids, IDS_NEXT)
    if order_id is None:
        _set(ids, IDS_NEXT, next_id + 1)
        return next_id
    if engine.is_live(order_id):
        raise InvalidCommandError(f"order_id {order_id} is already live")
    if order_id >= next_id:
        _set(ids, IDS_NEXT, order_id + 1)
    return order_id


cdef list _submit(object engine, object cmd, object ts_event):
    """``MatchingEngine.submit``: plain orders here, the rest in the shared Python code."""
    if type(cmd) is not SubmitOrder:
        return _Engine.submit(engine, cmd, ts_event)
    order_id = _take_id(engine, cmd.order_id)
    if cmd.mechanics is not None or _get(engine, ENGINE_PHASE) is not _CONTINUOUS:
        return engine.submit_with_mechanics(cmd, order_id, ts_event)
    return _submit_plain(
        engine,
        order_id,
        cmd.side,
        cmd.qty_lots,
        cmd.price_ticks,
        cmd.tif,
        cmd.post_only,
        cmd.owner,
        ts_event,
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
