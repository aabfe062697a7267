"""morphax_nn: neural-network modules with Flax linen's API.

Import it as `import morphax_nn as nn` and use it as `flax.linen`.
"""

from morphax.nn import (celu, elu, gelu, glu, hard_sigmoid, hard_silu,
                        hard_swish, hard_tanh, identity, leaky_relu,
                        log_sigmoid, log_softmax, logsumexp, mish, one_hot,
                        relu, relu6, selu, sigmoid, silu, soft_sign, softmax,
                        softplus, standardize, swish, tanh)

from . import initializers
from .errors import (ApplyScopeInvalidVariablesStructureError,
                     CallCompactUnboundModuleError, InvalidRngError,
                     ModifyScopeVariableError, NameInUseError,
                     ScopeCollectionNotFound, ScopeParamNotFoundError,
                     ScopeParamShapeError, ScopeVariableNotFoundError,
                     SetAttributeFrozenModuleError)
from .module import Module, Variable, compact, nowrap
from .scope import DenyList
from .layers.linear import (Conv, ConvTranspose, Dense, DenseGeneral, Einsum,
                            Embed)
from .layers.normalization import BatchNorm, GroupNorm, LayerNorm, RMSNorm
from .layers.stochastic import Dropout
from .layers.attention import (MultiHeadAttention,
                               MultiHeadDotProductAttention, SelfAttention,
                               combine_masks, dot_product_attention,
                               dot_product_attention_weights,
                               make_attention_mask, make_causal_mask)
from .layers.combinators import Sequential
from .layers.pooling import avg_pool, max_pool, min_pool, pool
from .summary import tabulate
from .transforms import broadcast, checkpoint, jit, remat, scan, vmap
