# One command at a time into a given batch of records (included by _cengine.pyx after
# _ctier.pxi).
#
# ``MatchingEngine.apply`` runs a command into its scratch batch and builds the events from it.
# Another extension can append the records to a batch it keeps instead and read them from C
# (``_apply_into`` is declared in _cengine.pxd): ``marketsim/sim/_crouter.pyx`` keeps a
# simulation's log this way and routes each command's records to the agents.


cdef object _apply_into(object engine, _FastTier tier, EventBatch out, object command, object ts):
    """``MatchingEngine.apply`` of one command, its events appended to ``out`` as records.

    Returns None then; returns the list of event objects instead (``out`` unchanged) when the
    object tier ran the command. On an error ``out`` is as it was.
    """
    kind = type(command)
    cdef Py_ssize_t size = out.size
    if _fast_command(command, kind):
        if _fast_tier_ready(tier, engine):
            if load(tier, engine):
                try:
                    _run_fast(tier, out, command, kind, ts)
                except BaseException:
                    _truncate(out, size)
                    raise
                finally:
                    store(tier, engine)
                return None
            demote(tier, engine)
    elif tier.active:
        demote(tier, engine)
    return _object_apply(engine, command, ts)


cdef void _truncate(EventBatch batch, Py_ssize_t size):
    """Drop the records after the first ``size`` (and the references they hold)."""
    cdef Record *record
    while batch.size > size:
        batch.size -= 1
        record = &batch.records[batch.size]
        Py_XDECREF(record.ts)
        Py_XDECREF(record.owner)
        Py_XDECREF(record.owner2)
