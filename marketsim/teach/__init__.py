"""Teaching aids: "predict, then run" exercises checked by the engine, and an undoable book.

    from marketsim import teach
    teach.keys()                          # the exercises, in teaching order
    teach.show("fok")                     # the scene and the question
    teach.check("fok", "no")              # right or wrong, with the engine's explanation
    teach.solution("fok")                 # the teacher's answer

``BookTimeline`` is the in-process book with undo, redo and reset that the ``Playground``
widget (``marketsim.widgets.Playground``) drives; it needs nothing beyond the core.
"""

from marketsim.teach.check import Task, Verdict, check, exercise, keys, show, solution
from marketsim.teach.exercises import EXERCISES, Exercise
from marketsim.teach.timeline import BookTimeline, Step

__all__ = [
    "EXERCISES",
    "BookTimeline",
    "Exercise",
    "Step",
    "Task",
    "Verdict",
    "check",
    "exercise",
    "keys",
    "show",
    "solution",
]
