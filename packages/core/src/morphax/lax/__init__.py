"""morphax.lax: the primitives' public functions, with jax.lax's names.

Each ops module lists its public functions in `__all__`; this namespace is
their union.
"""

from ..ops.bits import *  # noqa: F401,F403
from ..ops.cond import *  # noqa: F401,F403
from ..ops.convert import *  # noqa: F401,F403
from ..ops.elementwise import *  # noqa: F401,F403
from ..ops.fft import *  # noqa: F401,F403
from ..ops.incomplete import *  # noqa: F401,F403
from ..ops.indexing import *  # noqa: F401,F403
from ..ops.linalg import *  # noqa: F401,F403
from ..ops.lax_misc import *  # noqa: F401,F403
from ..ops.loops import *  # noqa: F401,F403
from ..ops.parallel import *  # noqa: F401,F403
from ..ops.reduction import *  # noqa: F401,F403
from ..ops.lax_extras import *  # noqa: F401,F403  (after reduction: its reduce is the general one)
from ..ops.select import *  # noqa: F401,F403
from ..ops.shape import *  # noqa: F401,F403
from ..ops.slicing import *  # noqa: F401,F403
from ..ops.sort import *  # noqa: F401,F403
from ..ops.special import *  # noqa: F401,F403
from ..ops.window import *  # noqa: F401,F403
from . import linalg  # noqa: E402,F401
