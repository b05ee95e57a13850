"""Checkers for the notebooks' exercises, one module per notebook.

Each ``check_*`` function runs a student's function on cases the notebook
never showed, while the ``conv_lab`` routine the exercise replaces is
unavailable to it, and prints either a pass line or the first failing case:
the call, what was expected, what came back and the likely mistake. It never
raises, so an unfinished exercise (``raise NotImplementedError``) just prints
a reminder, and it returns None, so a notebook cell ending with it shows only
what it printed. The shared machinery is in ``_common.py``.

Reference solutions live in ``solutions/`` at the top of the repository,
away from the exercise cells.
"""

import functools as _functools
import inspect as _inspect

from ._guard import Guard as _Guard
from .nb01 import *  # noqa: F403
from .nb02 import *  # noqa: F403
from .nb03 import *  # noqa: F403
from .nb04 import *  # noqa: F403
from .nb05 import *  # noqa: F403
from .nb06 import *  # noqa: F403
from .nb07 import *  # noqa: F403


def _never_raises(check):
    """The last guard around every checker: whatever a strange answer does, a message, never a traceback.

    A value checker's answers are read into plain numbers first, under the guard and its time limit, before
    the checker computes what it expects: so no frame holds the expected values while the answer's own
    methods (``__iter__``, ``__int__``, ...) run, and the checker's code only ever sees plain data.
    """
    takes_function = list(_inspect.signature(check).parameters) == ["fn"]

    @_functools.wraps(check)
    def checker(*args, **kwargs):
        try:
            if not takes_function:
                guard = _Guard()
                read = [guard.read(v) for v in args] + [guard.read(v) for v in kwargs.values()]
                if guard.refused or any(kind != "returned" for kind, _ in read):
                    why = f"it called {guard.refused_name()}" if guard.refused else "reading it failed or took too long"
                    print(f"{check.__name__}: your answer could not be read ({why}); answer with plain numbers.")
                    return None
                args = tuple(v for _, v in read[: len(args)])
                kwargs = dict(zip(kwargs, (v for _, v in read[len(args) :])))
            return check(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            print(
                f"{check.__name__}: your answer could not be checked ({type(exc).__name__}); answer with plain numbers."
            )
            return None

    return checker


for _name in [n for n in dir() if n.startswith("check_")]:
    globals()[_name] = _never_raises(globals()[_name])
del _name
