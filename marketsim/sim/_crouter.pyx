# cython: language_level=3, infer_types=True
"""The compiled twin of the simulation's routing (Cython), over the engine's compact records.

``sim.run`` applies one command per agent decision and must tell the agents what happened
to their orders before the next decision. Through ``MatchingEngine.apply`` each command's
events become event objects, are logged, and are read back by a Python loop
(``marketsim.sim.view.route``). ``RecordRouter`` does the same work without the objects: the
engine's fast tier appends its records to one ``EventBatch`` (the run's log, which the book
keeps lazily, see ``marketsim.core.eventlog``) through ``_apply_into``, and a C loop reads the
new records to update the owners' states, keeping their ``OwnOrders`` in C. Commands the
object tier runs arrive as event objects and go to the Python ``route`` the router was given.

The engine's structures come from ``marketsim/core/_cengine.pxd``; the core knows nothing of
this module. The pure reference is ``marketsim.sim.routing.ObjectRouter``;
``tests/sim/test_sim_routing.py`` keeps the two equal.
"""

from cpython.dict cimport PyDict_GetItem
from cpython.ref cimport PyObject
from libc.stdint cimport int64_t

from marketsim.core._cengine cimport (
    F_HAS_PRICE,
    K_ACCEPTED,
    K_CANCELLED,
    K_REPLACED,
    K_TRADE,
    TIF_GTC,
    EventBatch,
    Record,
    _FastTier,
    _Layout,
    _ORDER_SIDES,
    _apply_into,
    _build,
    _exactly,
    _get,
    _set,
)

from marketsim.core._cengine import MatchingEngine


cdef class _Owner:
    """One owner's state, with the parts of its ``OwnOrders`` the router keeps from C."""

    cdef object state
    cdef object account_fill  # state.account.fill (the core ledger's Position)
    cdef dict early_fills  # state._early_fills (live only: fills that beat their order's ack)
    cdef dict by_id  # OwnOrders._by_id: id -> OwnOrder, oldest first
    cdef list ids  # OwnOrders.ids: the same ids, in no particular order


cdef class RecordRouter:
    """Applies commands to a compiled engine and routes their events to their owners' states.

    ``states`` maps an owner to its ``marketsim.sim.view.AgentState`` and ``market`` gets
    ``last_trade_ticks``. The states' ``OwnOrders`` (of class ``orders_class``, holding
    ``order_class`` entries) are kept here in C: entries are added, reduced, removed and
    changed as ``OwnOrders.add``, ``reduce``, ``discard`` and a replace in ``route`` do it,
    through the classes' slots; a fill also goes to the state's ``account.fill`` as in
    ``AgentState.fill`` (and an order that filled before its acknowledgement, live only, to
    ``AgentState.rest``).

    ``apply(command, ts_event)`` runs the command as ``MatchingEngine.apply`` does (same
    errors, nothing logged or routed on an error), appends its events to ``log`` (an
    ``EventBatch``) and routes them exactly as ``route_objects`` (``marketsim.sim.view.route``)
    routes event objects; it is handed the events of commands the object tier runs.
    """

    cdef object engine
    cdef _FastTier tier
    cdef dict owners  # owner -> _Owner
    cdef object market
    cdef object route_objects
    cdef dict states
    cdef _Layout order_layout
    cdef Py_ssize_t order_index  # where an OwnOrder keeps its place in ``ids``
    cdef readonly EventBatch log

    def __init__(
        self, engine, dict states, market, route_objects, *, orders_class, order_class
    ):
        if not isinstance(engine, MatchingEngine):
            raise TypeError(f"RecordRouter needs the compiled MatchingEngine, got {engine!r:.80}")
        self.engine = engine
        self.tier = <_FastTier>engine._fast
        self.market = market
        self.route_objects = route_objects
        self.states = states
        self.order_layout = _Layout(
            order_class, ("order_id", "side", "price_ticks", "qty_lots", "_index")
        )
        self.order_index = self.order_layout.offsets[4]
        self.owners = {}
        cdef _Owner owner
        for name, state in states.items():
            owner = _Owner()
            owner.state = state
            owner.account_fill = state.account.fill
            owner.early_fills = _exactly(state._early_fills, dict)
            orders = _exactly(state.orders, orders_class)
            owner.by_id = _exactly(orders._by_id, dict)
            owner.ids = _exactly(orders.ids, list)
            self.owners[name] = owner
        self.log = EventBatch()

    def apply(self, command, ts_event):
        """Apply ``command`` at ``ts_event``, log its events and route them."""
        cdef Py_ssize_t start = self.log.size
        built = _apply_into(self.engine, self.tier, self.log, command, ts_event)
        if built is None:
            self.route(start)
        else:
            self.log.add_built(built)
            self.route_objects(built, self.states, self.market)

    cdef int route(self, Py_ssize_t start) except -1:
        """Route the records from ``start`` on (``marketsim.sim.view.route``, read from C)."""
        cdef EventBatch log = self.log
        cdef Record *r
        cdef _Owner owner
        cdef dict owners = self.owners
        cdef PyObject *found
        for index in range(start, log.size):
            r = &log.records[index]
            if r.kind == K_ACCEPTED:
                if r.tif == TIF_GTC and r.flags & F_HAS_PRICE:
                    found = PyDict_GetItem(owners, <object>r.owner)
                    if found is not NULL:
                        owner = <_Owner>found
                        if owner.early_fills:
                            owner.state.rest(r.a, _ORDER_SIDES[r.buying], r.price, r.qty)
                        else:
                            self.add(owner, r.a, _ORDER_SIDES[r.buying], r.price, r.qty)
            elif r.kind == K_TRADE:
                self.market.last_trade_ticks = r.price
                found = PyDict_GetItem(owners, <object>r.owner2)  # the taker
                if found is not NULL:
                    self.fill(<_Owner>found, r.e, r.buying == 1, r.price, r.qty)
                found = PyDict_GetItem(owners, <object>r.owner)  # the maker
                if found is not NULL:
                    self.fill(<_Owner>found, r.d, r.buying == 0, r.price, r.qty)
            elif r.kind == K_CANCELLED:
                found = PyDict_GetItem(owners, <object>r.owner)
                if found is not NULL:
                    self.discard(<_Owner>found, r.a)
            elif r.kind == K_REPLACED:
                found = PyDict_GetItem(owners, <object>r.owner)
                if found is not NULL:
                    order = (<_Owner>found).by_id.get(r.a)
                    if order is not None:
                        order.price_ticks = r.d  # the new price and open lots
                        order.qty_lots = r.e
        return 0

    cdef int add(self, _Owner owner, object order_id, str side, object price, object qty) except -1:
        """``OwnOrders.add``: a new entry, last in ``by_id``, its id appended to ``ids``."""
        cdef list ids = owner.ids
        order = _build(self.order_layout, (order_id, side, price, qty, len(ids)))
        ids.append(order_id)
        owner.by_id[order_id] = order
        return 0

    cdef int fill(
        self, _Owner owner, object order_id, bint bought, object price, int64_t qty
    ) except -1:
        """``AgentState.fill``: book the execution, then ``OwnOrders.reduce`` the order."""
        owner.account_fill(bought, price, qty, 0)
        order = owner.by_id.get(order_id)
        if order is not None:
            order.qty_lots -= qty
            if order.qty_lots <= 0:
                self.discard(owner, order_id)
        return 0

    cdef int discard(self, _Owner owner, object order_id) except -1:
        """``OwnOrders.discard``: the entry leaves; the last id takes its place in ``ids``."""
        order = owner.by_id.pop(order_id, None)
        if order is None:
            return 0
        cdef list ids = owner.ids
        last = ids.pop()
        if last != order_id:
            index = _get(order, self.order_index)
            ids[index] = last
            _set(owner.by_id[last], self.order_index, index)
        return 0
