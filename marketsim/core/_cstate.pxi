# The compiled engine's view of the pure engine's state (included by _cengine.pyx, after its
# imports): where each slot it uses lives, how to build the events and orders it makes, and
# the type checks that guard every object it reaches through those slots.

# Where the state lives: the engine, the book, its halves, levels, orders and id counter.
cdef object _Engine = _pure.MatchingEngine
cdef Py_ssize_t ENGINE_BOOK = _offset(_Engine, "book")
cdef Py_ssize_t ENGINE_SEQ = _offset(_Engine, "seq")
cdef Py_ssize_t ENGINE_IDS = _offset(_Engine, "order_ids")
cdef Py_ssize_t ENGINE_PHASE = _offset(_Engine, "phase")
cdef Py_ssize_t ENGINE_STOPS = _offset(_Engine, "stop_orders")
cdef Py_ssize_t ENGINE_AUCTION = _offset(_Engine, "auction_orders")
cdef Py_ssize_t ENGINE_TRADE_IDS = _offset(_Engine, "_next_trade_id")
cdef Py_ssize_t ENGINE_LAST_TRADE = _offset(_Engine, "last_trade_ticks")
cdef Py_ssize_t BOOK_BIDS = _offset(BookState, "bids")
cdef Py_ssize_t BOOK_ASKS = _offset(BookState, "asks")
cdef Py_ssize_t BOOK_ORDERS = _offset(BookState, "orders")
cdef Py_ssize_t HALF_LEVELS = _offset(BookHalf, "levels")
cdef Py_ssize_t HALF_KEYS = _offset(BookHalf, "keys")
cdef Py_ssize_t HALF_SIGN = _offset(BookHalf, "sign")
cdef Py_ssize_t LEVEL_ORDERS = _offset(Level, "orders")
cdef Py_ssize_t LEVEL_QTY = _offset(Level, "qty_lots")
cdef Py_ssize_t LEVEL_IS_NEW = _offset(Level, "is_new")
cdef Py_ssize_t LEVEL_SIDE = _offset(Level, "side")
cdef Py_ssize_t LEVEL_PRICE = _offset(Level, "price_ticks")
cdef Py_ssize_t ORDER_ID = _offset(RestingOrder, "order_id")
cdef Py_ssize_t ORDER_OWNER = _offset(RestingOrder, "owner")
cdef Py_ssize_t ORDER_SIDE = _offset(RestingOrder, "side")
cdef Py_ssize_t ORDER_PRICE = _offset(RestingOrder, "price_ticks")
cdef Py_ssize_t ORDER_QTY = _offset(RestingOrder, "qty_lots")
cdef Py_ssize_t ORDER_FILLED = _offset(RestingOrder, "filled_lots")
cdef Py_ssize_t ORDER_POST_ONLY = _offset(RestingOrder, "post_only")
cdef Py_ssize_t IDS_NEXT = _offset(OrderIds, "next_id")
# The command objects' fields, read directly once a command's exact type is known.
cdef Py_ssize_t SUBMIT_SIDE = _offset(SubmitOrder, "side")
cdef Py_ssize_t SUBMIT_QTY = _offset(SubmitOrder, "qty_lots")
cdef Py_ssize_t SUBMIT_PRICE = _offset(SubmitOrder, "price_ticks")
cdef Py_ssize_t SUBMIT_TIF = _offset(SubmitOrder, "tif")
cdef Py_ssize_t SUBMIT_POST_ONLY = _offset(SubmitOrder, "post_only")
cdef Py_ssize_t SUBMIT_OWNER = _offset(SubmitOrder, "owner")
cdef Py_ssize_t SUBMIT_ID = _offset(SubmitOrder, "order_id")
cdef Py_ssize_t SUBMIT_MECHANICS = _offset(SubmitOrder, "mechanics")
cdef Py_ssize_t CANCEL_ID = _offset(CancelOrder, "order_id")
cdef Py_ssize_t CANCEL_OWNER = _offset(CancelOrder, "owner")

cdef _Layout _ACCEPTED = _Layout(OrderAccepted, OrderAccepted.__slots__)
cdef _Layout _REJECTED = _Layout(OrderRejected, OrderRejected.__slots__)
cdef _Layout _TRADE = _Layout(Trade, Trade.__slots__)
cdef _Layout _CANCELLED = _Layout(OrderCancelled, OrderCancelled.__slots__)
cdef _Layout _DELTA = _Layout(BookDelta, BookDelta.__slots__)
cdef _Layout _RESTING = _Layout(
    RestingOrder,
    ("order_id", "owner", "side", "price_ticks", "qty_lots", "filled_lots", "post_only"),
)
# The trailing fields of an accepted or rejected order the pure engine leaves at their default.
cdef tuple _SUBMIT_DEFAULTS = (None, 0, "")


cdef inline object _resting(object order):
    """``order``, after checking it is a resting order (plain or iceberg)."""
    if type(order) is not RestingOrder and type(order) is not IcebergOrder:
        raise TypeError(f"expected a resting order, got {type(order).__name__}")
    return order


cdef inline object _book(object engine):
    """The engine's object book (moved out of the fast tier first if it is there)."""
    book = _get(engine, ENGINE_BOOK)
    if book is None:
        book = engine.book
    return _exactly(book, BookState)


cdef inline object _half(object book, bint bids):
    return _exactly(_get(book, BOOK_BIDS if bids else BOOK_ASKS), BookHalf)


cdef inline object _hidden_lots(object order):
    """An order's hidden lots (a class default of 0 for a plain order)."""
    return 0 if type(order) is RestingOrder else order.hidden_lots
