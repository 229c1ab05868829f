# The fast tier's book in C structures (included by _cengine.pyx).
#
# Per side, the price levels sit in one C array sorted by key (the price for bids, minus the
# price for asks), best last, exactly like ``BookHalf.keys``; a new level is placed by binary
# search and a memmove, which is short because activity is near the best price. Each level
# is a FIFO of order slots: doubly linked indices into one pool of ``OrderSlot`` records with
# a free list. An open-addressing hash table maps order ids to slots. No Python object is
# made for a resting order; only its owner string is referenced (one strong reference per
# slot, dropped when the slot is freed). Memory comes from Python's allocator (PyMem), so
# tracemalloc counts it like the object book's.

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from cpython.mem cimport PyMem_Free as free, PyMem_Malloc as malloc, PyMem_Realloc as realloc
from libc.string cimport memmove, memset

cdef extern from "Python.h":
    Py_ssize_t Py_REFCNT(PyObject *obj)


# The structures and the class's attributes are declared in _cengine.pxd, and so are its small
# inline helpers (the id lookup, finding, removing and linking levels and orders), with their code.


cdef void *_grown(void *block, Py_ssize_t count, size_t item_size) except NULL:
    """``block`` reallocated for ``count`` items (MemoryError when that fails)."""
    cdef void *grown = realloc(block, count * item_size)
    if grown is NULL:
        raise MemoryError()
    return grown


cdef class _CBook:
    """One instrument's resting orders in C structures (see the top of this file)."""

    def __cinit__(self):
        self.sides[0].sign = 1
        self.sides[1].sign = -1
        self.free_slot = NO_SLOT
        self._new_id_table(64)

    def __dealloc__(self):
        self.clear()
        free(self.sides[0].levels)
        free(self.sides[1].levels)
        free(self.pool)
        free(self.ids)

    cdef void clear(self):
        """Drop every order (and its owner reference) and level; keep the memory."""
        cdef int32_t slot
        cdef int side
        for side in range(2):
            for i in range(self.sides[side].size):
                slot = self.sides[side].levels[i].head
                while slot != NO_SLOT:
                    Py_XDECREF(self.pool[slot].owner)
                    self.pool[slot].owner = NULL
                    slot = self.pool[slot].next
            self.sides[side].size = 0
        self.free_slot = NO_SLOT
        for slot in range(self.pool_capacity - 1, -1, -1):
            self.pool[slot].next = self.free_slot
            self.free_slot = slot
        memset(self.ids, 0, self.ids_capacity * sizeof(IdEntry))
        self.ids_used = 0
        self.ids_live = 0

    # -- the id table ------------------------------------------------------------------------

    cdef int _new_id_table(self, Py_ssize_t capacity) except -1:
        cdef IdEntry *old = self.ids
        cdef Py_ssize_t old_capacity = self.ids_capacity
        self.ids = <IdEntry *>malloc(capacity * sizeof(IdEntry))
        if self.ids is NULL:
            self.ids = old
            raise MemoryError()
        memset(self.ids, 0, capacity * sizeof(IdEntry))
        self.ids_capacity = capacity
        self.hash_shift = 64
        while capacity > 1:
            capacity >>= 1
            self.hash_shift -= 1
        self.ids_used = 0
        self.ids_live = 0
        for i in range(old_capacity):
            if old[i].key > 0:
                self.id_put(old[i].key, old[i].slot)
        free(old)
        return 0

    cdef int id_put(self, int64_t order_id, int32_t slot) except -1:
        if 2 * (self.ids_used + 1) > self.ids_capacity:
            self._new_id_table(self.ids_capacity * (2 if 4 * self.ids_live > self.ids_capacity else 1))
        cdef Py_ssize_t position = self._id_position(order_id)
        if self.ids[position].key == EMPTY_ID:
            self.ids_used += 1
        self.ids[position].key = order_id
        self.ids[position].slot = slot
        self.ids_live += 1
        return 0

    # -- levels ------------------------------------------------------------------------------

    cdef Py_ssize_t level_for(self, int side, int64_t price) except -1:
        """The index of the level at ``price`` on ``side``, created (empty, new) if needed."""
        cdef Py_ssize_t index = self.find_level(side, price)
        if index >= 0:
            return index
        index = -1 - index
        cdef LevelArray *half = &self.sides[side]
        if half.size == half.capacity:
            half.capacity = 2 * half.capacity if half.capacity else 64
            half.levels = <PriceLevel *>_grown(half.levels, half.capacity, sizeof(PriceLevel))
        memmove(
            &half.levels[index + 1],
            &half.levels[index],
            (half.size - index) * sizeof(PriceLevel),
        )
        half.size += 1
        cdef PriceLevel *level = &half.levels[index]
        level.price = price
        level.qty = 0
        level.head = NO_SLOT
        level.tail = NO_SLOT
        level.count = 0
        level.created_at = self.level_count
        self.level_count += 1
        level.is_new = True
        return index

    # -- orders ------------------------------------------------------------------------------

    cdef int32_t new_slot(self) except -1:
        """A free order slot (the pool grows when none is left)."""
        cdef int32_t slot, capacity
        if self.free_slot == NO_SLOT:
            capacity = 2 * self.pool_capacity if self.pool_capacity else 256
            self.pool = <OrderSlot *>_grown(self.pool, capacity, sizeof(OrderSlot))
            for slot in range(capacity - 1, self.pool_capacity - 1, -1):
                self.pool[slot].owner = NULL
                self.pool[slot].next = self.free_slot
                self.free_slot = slot
            self.pool_capacity = capacity
        slot = self.free_slot
        self.free_slot = self.pool[slot].next
        return slot

    cdef int32_t rest(
        self,
        int64_t order_id,
        object owner,
        bint buying,
        int64_t price,
        int64_t qty,
        int64_t filled,
        bint post_only,
    ) except -1:
        """Queue a new order at the back of its level; return the level's side."""
        cdef int side = 0 if buying else 1
        cdef Py_ssize_t index = self.level_for(side, price)
        cdef int32_t slot = self.new_slot()
        self.id_put(order_id, slot)
        cdef OrderSlot *order = &self.pool[slot]
        order.order_id = order_id
        order.price = price
        order.qty = qty
        order.filled = filled
        order.rested_at = self.rest_count
        self.rest_count += 1
        Py_INCREF(owner)
        order.owner = <PyObject *>owner
        order.buying = buying
        order.post_only = post_only
        self.append_to_level(&self.sides[side].levels[index], slot)
        return side
