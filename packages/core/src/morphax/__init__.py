"""morphax: NumPy programs traced, transformed and compiled with XLA."""

from ._config import config
from .runtime.array import Array
from .runtime.backend import (default_backend, device_count, devices,
                              local_device_count, local_devices, process_count,
                              process_index)
from .runtime.dispatch import block_until_ready, device_get, device_put
from .runtime.sharded import device_put_replicated, device_put_sharded
from .api import (ShapeDtypeStruct, disable_jit, eval_shape, grad, hessian,
                  jacfwd, jacrev, jit, jvp, linearize, make_jaxpr, pmap,
                  value_and_grad, vjp, vmap)
from .interpreters.staging import eval_jaxpr
from .ops.callback import pure_callback
from .ops.custom_derivatives import custom_jvp, custom_vjp
from .ops.elementwise import stop_gradient
from .ops.remat import checkpoint, checkpoint_policies, remat
from . import debug
from . import distributed
from . import dtypes
from . import test_util
from . import lax
from . import numpy
from . import nn
from . import scipy
from . import tree_util
from . import tree

__version__ = "0.1.0"
