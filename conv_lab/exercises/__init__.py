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

from .nb01 import *  # noqa: F403
from .nb02 import *  # noqa: F403
from .nb03 import *  # noqa: F403
from .nb04 import *  # noqa: F403
from .nb05 import *  # noqa: F403
from .nb06 import *  # noqa: F403
from .nb07 import *  # noqa: F403
