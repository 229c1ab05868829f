# Declarations of the compiled engine's C structures, shared with other extensions.
#
# ``_cengine.pyx`` (with its ``.pxi`` includes) implements everything declared here. Another
# extension can ``cimport`` the fast tier's book (``_CBook``, ``_FastTier``), its compact
# event records (``EventBatch``), the moves between the tiers and ``_apply_into`` (one command
# into a batch), to drive the engine from C without a Python call per command:
# ``marketsim/data/lobster/_cwindow.pyx`` does this for the LOBSTER replay and
# ``marketsim/sim/_crouter.pyx`` for the simulation's router. A new attribute or cdef method
# of these classes is declared here too, and an inline method or function is defined here.

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.string cimport memmove


# -- slot access (_cslots.pxi) ----------------------------------------------------------------

cdef class _Layout:
    cdef object cls
    cdef Py_ssize_t offsets[16]
    cdef Py_ssize_t count


cdef object _build(_Layout layout, tuple values)


cdef inline object _get(object obj, Py_ssize_t offset):
    """The value of the slot at ``offset`` (AttributeError if it was never set)."""
    cdef PyObject *value = (<PyObject**>((<char*><PyObject*>obj) + offset))[0]
    if value is NULL:
        raise AttributeError("slot not set")
    return <object>value


cdef inline void _set(object obj, Py_ssize_t offset, object value):
    """Store ``value`` in the slot at ``offset``."""
    cdef PyObject **slot = <PyObject**>((<char*><PyObject*>obj) + offset)
    cdef PyObject *old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject*>value
    Py_XDECREF(old)


cdef inline object _exactly(object obj, object cls):
    """``obj``, after checking it is a ``cls`` exactly."""
    if type(obj) is not cls:
        raise TypeError(f"expected a {cls.__name__}, got {type(obj).__name__}")
    return obj


# -- the book (_cbook.pxi) ----------------------------------------------------------------------

ctypedef struct OrderSlot:
    int64_t order_id
    int64_t price
    int64_t qty
    int64_t filled
    int64_t rested_at  # when it (last) entered the book: the order of the engine's id index
    PyObject *owner
    int32_t prev
    int32_t next
    uint8_t buying
    uint8_t post_only


ctypedef struct PriceLevel:
    int64_t price
    int64_t qty
    int32_t head
    int32_t tail
    int32_t count
    int64_t created_at  # when it was made: the order of the object book's ``levels`` dict
    uint8_t is_new


ctypedef struct LevelArray:
    PriceLevel *levels
    Py_ssize_t size
    Py_ssize_t capacity
    int64_t sign


ctypedef struct IdEntry:
    int64_t key  # 0: empty, -1: deleted (order ids are positive)
    int32_t slot


cdef enum:
    NO_SLOT = -1
    EMPTY_ID = 0
    DELETED_ID = -1


cdef class _CBook:
    cdef LevelArray sides[2]  # 0: bids, 1: asks
    cdef OrderSlot *pool
    cdef int32_t pool_capacity
    cdef int32_t free_slot
    cdef IdEntry *ids
    cdef Py_ssize_t ids_capacity
    cdef Py_ssize_t ids_used  # live entries plus deleted markers
    cdef Py_ssize_t ids_live
    cdef int hash_shift
    cdef int64_t rest_count
    cdef int64_t level_count  # levels made so far (see ``PriceLevel.created_at``)

    cdef void clear(self)
    cdef int _new_id_table(self, Py_ssize_t capacity) except -1
    cdef int id_put(self, int64_t order_id, int32_t slot) except -1
    cdef Py_ssize_t level_for(self, int side, int64_t price) except -1
    cdef int32_t new_slot(self) except -1
    cdef int32_t rest(
        self,
        int64_t order_id,
        object owner,
        bint buying,
        int64_t price,
        int64_t qty,
        int64_t filled,
        bint post_only,
    ) except -1

    # The small helpers of the hot paths are defined here, not in _cbook.pxi, so that the
    # fast tier and other extensions call them directly (inlined) instead of through the
    # class's table of methods.

    cdef inline Py_ssize_t _id_position(self, int64_t order_id):
        """Where ``order_id`` is in the table, or the first free place to put it."""
        cdef Py_ssize_t mask = self.ids_capacity - 1
        cdef Py_ssize_t position = <Py_ssize_t>(
            (<uint64_t>order_id * <uint64_t>11400714819323198485ULL) >> self.hash_shift
        )
        cdef Py_ssize_t reusable = -1
        cdef int64_t key
        while True:
            key = self.ids[position].key
            if key == order_id:
                return position
            if key == EMPTY_ID:
                return position if reusable < 0 else reusable
            if key == DELETED_ID and reusable < 0:
                reusable = position
            position = (position + 1) & mask

    cdef inline int32_t id_get(self, int64_t order_id):
        """The slot of live order ``order_id``, or -1."""
        cdef Py_ssize_t position = self._id_position(order_id)
        return self.ids[position].slot if self.ids[position].key == order_id else NO_SLOT

    cdef inline void id_delete(self, int64_t order_id):
        cdef Py_ssize_t position = self._id_position(order_id)
        if self.ids[position].key == order_id:
            self.ids[position].key = DELETED_ID
            self.ids_live -= 1

    cdef inline Py_ssize_t find_level(self, int side, int64_t price):
        """The index of the level at ``price`` on ``side``, or -1 - where it would go."""
        cdef LevelArray *half = &self.sides[side]
        cdef int64_t key = half.sign * price
        cdef Py_ssize_t low = 0, high = half.size, middle
        cdef int64_t middle_key
        # Most activity is at or near the best price, the end of the array.
        if high and half.sign * half.levels[high - 1].price == key:
            return high - 1
        while low < high:
            middle = (low + high) >> 1
            middle_key = half.sign * half.levels[middle].price
            if middle_key < key:
                low = middle + 1
            elif middle_key > key:
                high = middle
            else:
                return middle
        return -1 - low

    cdef inline void remove_level(self, int side, Py_ssize_t index):
        cdef LevelArray *half = &self.sides[side]
        half.size -= 1
        memmove(
            &half.levels[index],
            &half.levels[index + 1],
            (half.size - index) * sizeof(PriceLevel),
        )

    cdef inline void append_to_level(self, PriceLevel *level, int32_t slot):
        cdef OrderSlot *order = &self.pool[slot]
        order.next = NO_SLOT
        order.prev = level.tail
        if level.tail == NO_SLOT:
            level.head = slot
        else:
            self.pool[level.tail].next = slot
        level.tail = slot
        level.count += 1
        level.qty += order.qty

    cdef inline void unlink(self, PriceLevel *level, int32_t slot):
        """Take an order out of its level's queue (the level's total is left to the caller)."""
        cdef OrderSlot *order = &self.pool[slot]
        if order.prev == NO_SLOT:
            level.head = order.next
        else:
            self.pool[order.prev].next = order.next
        if order.next == NO_SLOT:
            level.tail = order.prev
        else:
            self.pool[order.next].prev = order.prev
        level.count -= 1

    cdef inline void free_order(self, int32_t slot):
        """Forget a removed order: its id, its owner reference and its slot."""
        cdef OrderSlot *order = &self.pool[slot]
        self.id_delete(order.order_id)
        Py_XDECREF(order.owner)
        order.owner = NULL
        order.next = self.free_slot
        self.free_slot = slot

    cdef inline Py_ssize_t level_of(self, int32_t slot):
        """The index of the level an order rests in."""
        cdef OrderSlot *order = &self.pool[slot]
        return self.find_level(0 if order.buying else 1, order.price)


# -- compact event records (_crecords.pxi) ---------------------------------------------------

ctypedef struct Record:
    uint8_t kind
    uint8_t buying  # the event's side: buy (bid for a delta) or sell (ask)
    uint8_t tif
    uint8_t flags
    uint8_t code  # a reason or a delta action
    int64_t seq
    int64_t a  # order id (trade id for a trade, index into the objects for a built event)
    int64_t price
    int64_t qty
    int64_t d  # maker id, level order count, or new price
    int64_t e  # taker id or new quantity
    PyObject *ts
    PyObject *owner
    PyObject *owner2  # a trade's taker


cdef enum:
    K_ACCEPTED = 0
    K_REJECTED = 1
    K_TRADE = 2
    K_CANCELLED = 3
    K_REPLACED = 4
    K_DELTA = 5
    K_BUILT = 6

cdef enum:
    TIF_GTC = 0
    TIF_IOC = 1
    TIF_FOK = 2

cdef enum:  # Record.flags
    F_HAS_PRICE = 1
    F_POST_ONLY = 2
    F_LAST = 4
    F_PRIORITY_KEPT = 8

cdef tuple _ORDER_SIDES  # a Record's ``buying`` as an order's side: ("sell", "buy")


cdef class EventBatch:
    cdef Record *records
    cdef Py_ssize_t size
    cdef Py_ssize_t capacity
    cdef list built  # events made by the shared Python code, in order among the records

    cdef void clear(self)
    cdef Record *add(self, uint8_t kind, int64_t seq, object ts) except NULL
    cdef int add_built(self, list events) except -1
    cdef object event(self, Py_ssize_t index)
    cdef list events(self, Py_ssize_t start, Py_ssize_t stop)


# -- the fast tier's commands (_cfast.pxi) ----------------------------------------------------

ctypedef struct Touched:
    int side
    int64_t price


cdef class _FastTier(_CBook):
    cdef bint active
    cdef int64_t seq
    cdef int64_t next_id
    cdef int64_t next_trade_id
    cdef int64_t last_trade
    cdef bint traded
    cdef Touched *touched
    cdef Py_ssize_t touched_count
    cdef Py_ssize_t touched_capacity
    #: Plain commands in a row before the object book is moved into C (see ``_ctier.pxi``).
    cdef public int promote_after
    #: The most times that wait doubles (see ``demote``).
    cdef public int max_backoff
    cdef int backoff
    cdef int streak
    cdef Py_ssize_t commands_since_promotion
    cdef EventBatch scratch

    cdef int touch(self, int side, int64_t price) except -1
    cdef int delta(self, EventBatch out, int side, int64_t price, object ts, bint last) except -1
    cdef int deltas(self, EventBatch out, object ts) except -1
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
    ) except -1
    cdef int64_t fillable(
        self, int side, bint buying, bint has_limit, int64_t limit, int64_t wanted
    )
    cdef list level_ticks(self, int side, object depth)
    cdef tuple resting_state(self, int64_t order_id)
    cdef int64_t take_id(self, object order_id) except -1
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
    ) except -1
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
    ) except -1
    cdef int32_t live_slot(self, object order_id, object owner) except -2
    cdef int remove(self, int32_t slot, int64_t lots) except -1
    cdef int cancel(self, EventBatch out, object order_id, object owner, object ts) except -1
    cdef int execute(self, EventBatch out, object order_id, object qty_lots, object ts) except -1
    cdef int replace(
        self, EventBatch out, object order_id, object qty_lots, object price_ticks,
        object owner, object ts,
    ) except -1
    cdef int move(
        self, EventBatch out, int32_t slot, int64_t new_price, int64_t new_open, object ts
    ) except -1


# -- moving the book between the tiers (_ctier.pxi) -------------------------------------------

cdef bint promote(_FastTier tier, object engine) except -1
cdef int demote(_FastTier tier, object engine) except -1
cdef bint load(_FastTier tier, object engine) except -1
cdef int store(_FastTier tier, object engine) except -1


# -- one command into a batch of records (_capply.pxi) ------------------------------------------

cdef object _apply_into(object engine, _FastTier tier, EventBatch out, object command, object ts)
