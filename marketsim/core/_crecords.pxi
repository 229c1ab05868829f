# Events as compact C records, made into event objects only when read (included by
# _cengine.pyx after _cbook.pxi and _cslots.pxi).
#
# The fast tier writes one fixed-size ``Record`` per event into an ``EventBatch``: numbers as
# C integers, the side, time in force, reason and action as small codes, and the few Python
# objects an event carries (its time stamp and owners) as strong references. An event object
# (``marketsim.core.events``) is built from its record each time it is read. Events that the
# shared Python code made (the rare rules) are kept as they are, in order among the records.


# ``Record``, the record kinds, the time-in-force codes, the flags and ``_ORDER_SIDES`` are
# declared in _cengine.pxd.

cdef tuple _TIFS = ("GTC", "IOC", "FOK")
_ORDER_SIDES = ("sell", "buy")  # by `buying`
cdef tuple _BOOK_SIDES = ("ask", "bid")
cdef tuple _ACTIONS = ("add", "update", "delete")
#: Reasons by code: what the fast tier can say about a rejection or a cancellation.
cdef tuple _REASONS = (
    REASON_NO_LIQUIDITY,
    REASON_FOK_UNFILLABLE,
    REASON_POST_ONLY_WOULD_CROSS,
    REASON_IOC_REMAINDER,
    REASON_MARKET_REMAINDER,
    REASON_USER,
)
cdef enum:
    R_NO_LIQUIDITY = 0
    R_FOK_UNFILLABLE = 1
    R_POST_ONLY_WOULD_CROSS = 2
    R_IOC_REMAINDER = 3
    R_MARKET_REMAINDER = 4
    R_USER = 5

cdef enum:
    A_ADD = 0
    A_UPDATE = 1
    A_DELETE = 2

cdef _Layout _REPLACED = _Layout(OrderReplaced, OrderReplaced.__slots__)
#: The layout of each kind of record's event, by kind (fields in the events' own order).
cdef tuple _LAYOUT_OF_KIND = (_ACCEPTED, _REJECTED, _TRADE, _CANCELLED, _REPLACED, _DELTA)


cdef inline void _put(object event, _Layout layout, Py_ssize_t position, object value):
    """Fill the ``position``-th field of a newly allocated event (see ``_build``)."""
    Py_INCREF(value)
    (<PyObject **>((<char *><PyObject *>event) + layout.offsets[position]))[0] = <PyObject *>value


cdef class EventBatch:
    """The events of a batch of commands, as a read-only sequence (``apply_many`` returns it).

    It supports ``len``, iteration, indexing and slicing, ``==`` with a list of events, ``+``
    with a list (giving a list) and ``list(batch)``. Each event object is built from a compact
    record when it is read, so reading the same index twice gives two equal objects; keep
    ``list(batch)`` to read the events many times.
    """

    # Its attributes are declared in _cengine.pxd.

    def __cinit__(self):
        self.built = []

    def __dealloc__(self):
        self.clear()
        free(self.records)

    cdef void clear(self):
        """Forget every record (dropping the references they hold)."""
        cdef Record *record
        for i in range(self.size):
            record = &self.records[i]
            Py_XDECREF(record.ts)
            Py_XDECREF(record.owner)
            Py_XDECREF(record.owner2)
        self.size = 0
        if self.built:
            self.built = []

    cdef Record *add(self, uint8_t kind, int64_t seq, object ts) except NULL:
        """A new record at the end, its pointers set (``ts`` referenced), the rest to fill."""
        if self.size == self.capacity:
            self.capacity = 2 * self.capacity if self.capacity else 16
            self.records = <Record *>_grown(self.records, self.capacity, sizeof(Record))
        cdef Record *record = &self.records[self.size]
        self.size += 1
        record.kind = kind
        record.seq = seq
        record.flags = 0
        Py_INCREF(ts)
        record.ts = <PyObject *>ts
        record.owner = NULL
        record.owner2 = NULL
        return record

    cdef int add_built(self, list events) except -1:
        """Append events the shared Python code made."""
        cdef Record *record
        for event in events:
            record = self.add(K_BUILT, 0, None)
            record.a = len(self.built)
            self.built.append(event)
        return 0

    cdef object event(self, Py_ssize_t index):
        """The event object of record ``index``."""
        cdef Record *r = &self.records[index]
        cdef uint8_t kind = r.kind
        if kind == K_BUILT:
            return self.built[r.a]
        cdef _Layout layout = _LAYOUT_OF_KIND[kind]
        event = PyType_GenericAlloc(<PyTypeObject *>layout.cls, 0)
        _put(event, layout, 0, r.seq)
        _put(event, layout, 1, <object>r.ts)
        if kind == K_DELTA:
            _put(event, layout, 2, _BOOK_SIDES[r.buying])
            _put(event, layout, 3, r.price)
            _put(event, layout, 4, r.qty)
            _put(event, layout, 5, r.d)
            _put(event, layout, 6, _ACTIONS[r.code])
            _put(event, layout, 7, (r.flags & F_LAST) != 0)
            return event
        if kind == K_TRADE:
            _put(event, layout, 2, r.a)
            _put(event, layout, 3, r.price)
            _put(event, layout, 4, r.qty)
            _put(event, layout, 5, _ORDER_SIDES[r.buying])
            _put(event, layout, 6, r.d)
            _put(event, layout, 7, r.e)
            _put(event, layout, 8, <object>r.owner)
            _put(event, layout, 9, <object>r.owner2)
            return event
        # The orders' events start with the order id, owner and side.
        _put(event, layout, 2, r.a)
        _put(event, layout, 3, <object>r.owner)
        _put(event, layout, 4, _ORDER_SIDES[r.buying])
        price = r.price if r.flags & F_HAS_PRICE else None
        if kind == K_CANCELLED:
            _put(event, layout, 5, price)
            _put(event, layout, 6, r.qty)
            _put(event, layout, 7, _REASONS[r.code])
            return event
        if kind == K_REPLACED:
            _put(event, layout, 5, r.price)
            _put(event, layout, 6, r.qty)
            _put(event, layout, 7, r.d)
            _put(event, layout, 8, r.e)
            _put(event, layout, 9, (r.flags & F_PRIORITY_KEPT) != 0)
            _put(event, layout, 10, None)  # a plain order has no old or new stop price
            _put(event, layout, 11, None)
            return event
        _put(event, layout, 5, "limit" if r.flags & F_HAS_PRICE else "market")
        _put(event, layout, 6, price)
        _put(event, layout, 7, r.qty)
        _put(event, layout, 8, _TIFS[r.tif])
        _put(event, layout, 9, (r.flags & F_POST_ONLY) != 0)
        cdef Py_ssize_t position = 10
        if kind == K_REJECTED:
            _put(event, layout, 10, _REASONS[r.code])
            position = 11
        for default in _SUBMIT_DEFAULTS:
            _put(event, layout, position, default)
            position += 1
        return event

    cdef list events(self, Py_ssize_t start, Py_ssize_t stop):
        return [self.event(index) for index in range(start, stop)]

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.size)
            if step == 1:
                return self.events(start, max(start, stop))
            return [self.event(i) for i in range(start, stop, step)]
        cdef Py_ssize_t position = index
        if position < 0:
            position += self.size
        if not 0 <= position < self.size:
            raise IndexError("event batch index out of range")
        return self.event(position)

    def __iter__(self):
        for index in range(self.size):
            yield self.event(index)

    def __reversed__(self):
        for index in range(self.size - 1, -1, -1):
            yield self.event(index)

    def __eq__(self, other):
        if isinstance(other, (list, tuple, EventBatch)):
            return len(other) == self.size and self.events(0, self.size) == list(other)
        return NotImplemented

    def __add__(self, other):
        return self.events(0, self.size) + list(other)

    def __radd__(self, other):
        return list(other) + list(self)

    def __repr__(self):
        return f"EventBatch({self.size} events)"

    def __reduce__(self):
        return (list, (self.events(0, self.size),))
