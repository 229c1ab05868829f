# Slot access from C for the compiled engine (included by _cengine.pyx).
#
# The engine's state and its events are slotted Python classes. Going through Python to read
# a slot (``level.qty_lots``) or to build an object (``Trade(...)``, which runs a Python
# ``__init__``) was most of the compiled engine's time. A slot is a pointer at a fixed offset
# inside the object, which the class's member descriptor records, so C reads and writes it
# directly, and builds an object by allocating it and filling its slots. The objects are the
# very ones the pure engine makes; only the access is faster. Every object reached this way is
# type-checked first, so an unexpected object raises TypeError instead of being misread.
# ``_Layout``'s fields and the inline readers and writers (``_get``, ``_set``, ``_exactly``)
# are in _cengine.pxd, so that other extensions use them too.

from cpython.object cimport PyTypeObject
from cpython.ref cimport PyObject, Py_INCREF


cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef *d_member

    object PyType_GenericAlloc(PyTypeObject *cls, Py_ssize_t items)


cdef Py_ssize_t _offset(object cls, str name) except -1:
    """Where slot ``name`` of ``cls`` objects lives, from its member descriptor."""
    descriptor = getattr(cls, name)
    if type(descriptor).__name__ != "member_descriptor":
        raise TypeError(f"{cls.__name__}.{name} is not a slot")
    return (<PyMemberDescrObject*><PyObject*>descriptor).d_member.offset


cdef class _Layout:
    """The slots of a class, in the order a builder gives their values (``cls``, ``offsets``
    and ``count``, declared in _cengine.pxd)."""

    def __cinit__(self, cls, fields):
        if set(fields) != set(cls.__slots__) or len(fields) > 16:
            raise TypeError(f"{cls.__name__}: fields {fields} are not its slots")
        self.cls = cls
        self.count = len(fields)
        for position, name in enumerate(fields):
            self.offsets[position] = _offset(cls, name)


cdef object _build(_Layout layout, tuple values):
    """A new ``layout.cls`` object whose slots hold ``values`` (as its ``__init__`` would)."""
    obj = PyType_GenericAlloc(<PyTypeObject*>layout.cls, 0)
    cdef char *base = <char*><PyObject*>obj
    cdef Py_ssize_t position
    cdef PyObject *value
    for position in range(layout.count):
        value = <PyObject*>values[position]
        Py_INCREF(<object>value)
        (<PyObject**>(base + layout.offsets[position]))[0] = value
    return obj
