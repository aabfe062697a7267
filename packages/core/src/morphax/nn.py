"""morphax.nn: activation functions and helpers with jax.nn's names and
semantics (relu, gelu, softplus, softmax, one_hot, standardize, ...).
"""

import numpy as np

from . import lax
from .ops.custom_derivatives import custom_jvp
from . import numpy as jnp
from .numpy import _util
from .scipy.special import _inexact as _special_inexact
from .scipy.special import log_softmax as _log_softmax
from .scipy.special import logsumexp
from .scipy.special import softmax as _softmax

__all__ = [
    "relu", "relu6", "gelu", "silu", "swish", "sigmoid", "log_sigmoid",
    "softplus", "soft_sign", "elu", "selu", "celu", "leaky_relu", "hard_tanh",
    "hard_sigmoid", "hard_silu", "hard_swish", "glu", "softmax",
    "log_softmax", "logsumexp", "one_hot", "standardize", "identity", "tanh",
    "mish", "squareplus", "sparse_plus", "sparse_sigmoid", "log1mexp",
    "logmeanexp", "dot_product_attention",
]

# relu, relu6 and softplus carry custom JVPs (JAX's derivatives: 0 at
# relu's kink; softplus' is sigmoid, finite in both tails).


def _inexact(name, x):
  return _special_inexact(name, x)[0]


@custom_jvp
def relu(x):
  """max(x, 0), with derivative 0 at x == 0 (a custom JVP, as jax.nn.relu)."""
  return jnp.maximum(_util.ensure_array(x, "relu"), 0)


@relu.defjvp
def _relu_jvp(primals, tangents):
  x, = primals
  t, = tangents
  return relu(x), jnp.where(x > 0, t, jnp.zeros_like(t))


@custom_jvp
def relu6(x):
  """min(max(x, 0), 6), with derivative 0 at 0 and at 6 (a custom JVP, as
  jax.nn.relu6)."""
  return jnp.minimum(jnp.maximum(_util.ensure_array(x, "relu6"), 0), 6)


@relu6.defjvp
def _relu6_jvp(primals, tangents):
  x, = primals
  t, = tangents
  return relu6(x), jnp.where((x > 0) & (x < 6), t, jnp.zeros_like(t))


def sigmoid(x):
  """1 / (1 + exp(-x)). Lowers to stablehlo.logistic."""
  return lax.logistic(_inexact("sigmoid", x))


def softplus(x):
  """log(1 + exp(x)), stable for large |x| (jax.nn.softplus); its
  derivative is sigmoid(x), through a custom JVP."""
  return _softplus(_inexact("softplus", x))


@custom_jvp
def _softplus(x):
  # max(x, 0) + log1p(exp(-|x|)): no overflow at either end.
  return jnp.maximum(x, 0) + jnp.log1p(jnp.exp(-jnp.abs(x)))


@_softplus.defjvp
def _softplus_jvp(primals, tangents):
  x, = primals
  t, = tangents
  return _softplus(x), t * lax.logistic(x)


def log_sigmoid(x):
  """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
  return -softplus(-_inexact("log_sigmoid", x))


def silu(x):
  """x * sigmoid(x) (the swish activation)."""
  x = _inexact("silu", x)
  return x * lax.logistic(x)


swish = silu


def gelu(x, approximate=True):
  """The Gaussian error linear unit: x * Phi(x) exactly, or its tanh
  approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) when
  `approximate` (the default, as in jax.nn.gelu)."""
  x = _inexact("gelu", x)
  if approximate:
    # x * cdf with x**3 (one integer_pow, whose derivative is 3x^2), not
    # 0.5 x (...) with x*x*x: the backward is then two fewer full-size
    # multiplies per element, and it is JAX's formula, values included.
    c = float(np.sqrt(2 / np.pi))
    cdf = 0.5 * (1 + jnp.tanh(c * (x + 0.044715 * x ** 3)))
    return x * cdf
  return x * (lax.erf(x / float(np.sqrt(2))) + 1) / 2


def soft_sign(x):
  """x / (|x| + 1)."""
  x = _inexact("soft_sign", x)
  return x / (jnp.abs(x) + 1)


def elu(x, alpha=1.0):
  """x for x > 0, alpha * (exp(x) - 1) otherwise."""
  x = _inexact("elu", x)
  pos = x > 0
  return jnp.where(pos, x, alpha * jnp.expm1(jnp.where(pos, 0, x)))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
  """scale * elu(x, alpha) with the self-normalizing constants of
  Klambauer et al. (2017)."""
  return _SELU_SCALE * elu(_inexact("selu", x), _SELU_ALPHA)


def celu(x, alpha=1.0):
  """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
  x = _inexact("celu", x)
  pos = x > 0
  return jnp.where(pos, x, alpha * jnp.expm1(jnp.where(pos, 0, x) / alpha))


def leaky_relu(x, negative_slope=0.01):
  """x for x >= 0, negative_slope * x otherwise."""
  x = _inexact("leaky_relu", x)
  return jnp.where(x >= 0, x, negative_slope * x)


def hard_tanh(x):
  """x clipped to [-1, 1] (derivative 0 outside)."""
  x = _inexact("hard_tanh", x)
  return jnp.where(x > 1, 1, jnp.where(x < -1, -1, x))


def hard_sigmoid(x):
  """relu6(x + 3) / 6."""
  return relu6(_inexact("hard_sigmoid", x) + 3.0) / 6.0


def hard_silu(x):
  """x * hard_sigmoid(x)."""
  x = _inexact("hard_silu", x)
  return x * hard_sigmoid(x)


hard_swish = hard_silu


def glu(x, axis=-1):
  """The gated linear unit: a * sigmoid(b) for the two halves a, b of x
  along `axis` (whose size must be even)."""
  x = _inexact("glu", x)
  axis = _util.canonicalize_axis("glu", axis, x.ndim)
  size = x.shape[axis]
  if size % 2:
    raise ValueError(f"glu: axis {axis} of shape {x.shape} must have an even "
                     f"size, got {size}")
  a = _util.slice_axis(x, axis, 0, size // 2)
  b = _util.slice_axis(x, axis, size // 2, size)
  return a * lax.logistic(b)


def softmax(x, axis=-1, where=None, initial=None):
  """exp(x) / sum(exp(x)) over `axis` (default the last), computed with
  the max subtracted under stop_gradient; entries outside `where` are 0.
  Without `where`, its derivative is a custom JVP, y * (t - sum(y * t)),
  as jax.nn.softmax's: no division in the backward pass.

  Example: `softmax(jnp.array([1000., 1000.]))` is [0.5, 0.5].
  """
  if where is None and initial is None:
    axis = tuple(axis) if isinstance(axis, list) else axis
    return _softmax_y(_inexact("softmax", x), axis)
  return _softmax(x, axis=axis, where=where, initial=initial)


def _softmax_y_fun(x, axis):
  return _softmax(x, axis=axis)


_softmax_y = custom_jvp(_softmax_y_fun, nondiff_argnums=(1,))


@_softmax_y.defjvp
def _softmax_y_jvp(axis, primals, tangents):
  x, = primals
  t, = tangents
  y = _softmax_y(x, axis)
  return y, y * (t - jnp.sum(y * t, axis=axis, keepdims=True))


def log_softmax(x, axis=-1, where=None, initial=None):
  """x - logsumexp(x) over `axis` (default the last); -inf outside
  `where`."""
  return _log_softmax(x, axis=axis, where=where, initial=initial)


def one_hot(x, num_classes, *, dtype=jnp.float32, axis=-1):
  """One-hot encoding of integer array `x` into `num_classes` classes along
  a new `axis`: 1 where x == class, else 0 (out-of-range x gives all 0).

  Example: `one_hot(jnp.array([0, 2]), 3)` is [[1, 0, 0], [0, 0, 1]].
  """
  try:
    num_classes = int(num_classes)
  except TypeError:
    raise TypeError("one_hot: num_classes must be a concrete int, got "
                    f"{num_classes!r:.60}") from None
  _util.check_arraylike("one_hot", x)
  x = _util.ensure_array(x, "one_hot")
  out_ndim = x.ndim + 1
  axis = _util.canonicalize_axis("one_hot", axis, out_ndim)
  classes = lax.broadcasted_iota(np.int32, (1,) * x.ndim + (num_classes,),
                                 x.ndim)
  hot = jnp.expand_dims(x, -1) == classes
  hot = jnp.moveaxis(hot, -1, axis)
  return hot.astype(dtype)


def standardize(x, axis=-1, mean=None, variance=None, epsilon=1e-5,
                where=None):
  """(x - mean) / sqrt(variance + epsilon) over `axis`, with mean and
  variance computed (as E[x^2] - E[x]^2, like JAX) unless given."""
  x = _inexact("standardize", x)
  if mean is None:
    mean = jnp.mean(x, axis, keepdims=True, where=where)
  if variance is None:
    variance = (jnp.mean(jnp.square(x), axis, keepdims=True, where=where)
                - jnp.square(mean))
  return (x - mean) * lax.rsqrt(variance + epsilon)




def identity(x):
  """x unchanged (jax.nn.identity)."""
  return _util.ensure_array(x, "identity")


def tanh(x):
  """Hyperbolic tangent (jax.nn.tanh)."""
  return jnp.tanh(x)


def mish(x):
  """x * tanh(softplus(x)) (Misra, 2019)."""
  x = _inexact("mish", x)
  return x * jnp.tanh(softplus(x))


def squareplus(x, b=4):
  """(x + sqrt(x**2 + b)) / 2, a smooth relu (So, 2021)."""
  x = _inexact("squareplus", x)
  return (x + jnp.sqrt(x * x + b)) / 2


def sparse_plus(x):
  """0 for x <= -1, (x + 1)**2 / 4 in between, x for x >= 1 (jax.nn)."""
  x = _inexact("sparse_plus", x)
  return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, x, (x + 1.0) ** 2 / 4))


def sparse_sigmoid(x):
  """The derivative of sparse_plus: 0, (x + 1) / 2, 1 (jax.nn)."""
  x = _inexact("sparse_sigmoid", x)
  return jnp.where(x <= -1.0, 0.0, jnp.where(x >= 1.0, 1.0, (x + 1.0) / 2))


def log1mexp(x):
  """log(1 - exp(-x)) for x > 0, stable at both ends (Maechler, 2012)."""
  x = _inexact("log1mexp", x)
  return jnp.where(x > np.log(2.0), jnp.log1p(-jnp.exp(-x)), jnp.log(-jnp.expm1(-x)))


def logmeanexp(x, axis=None, where=None, keepdims=False):
  """log(mean(exp(x))) computed stably through logsumexp."""
  x = _inexact("logmeanexp", x)
  lse = logsumexp(x, axis=axis, where=where, keepdims=keepdims)
  count = jnp.sum(jnp.ones_like(x), axis=axis, where=where, keepdims=keepdims)
  return lse - jnp.log(count)


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal=False, implementation=None, **unsupported):
  """softmax(q k^T * scale + bias, masked) v, with jax.nn's layout:
  query [B, T, N, H], key/value [B, S, K, H] (K divides N: grouped-query
  attention), returns [B, T, N, H]. Written with einsum and softmax (the
  XLA path; no fused kernel). `mask` is True where attention is allowed.
  """
  if unsupported:
    raise NotImplementedError(f"dot_product_attention: unsupported arguments {sorted(unsupported)}")
  q, k, v = (_util.ensure_array(a, "dot_product_attention") for a in (query, key, value))
  if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
    raise ValueError(f"dot_product_attention: query, key and value must be 4-d "
                     f"[batch, length, heads, head_dim], got {q.shape}, {k.shape}, {v.shape}")
  b, t, n, h = q.shape
  s, kh = k.shape[1], k.shape[2]
  if n % kh or v.shape[2] != kh:
    raise ValueError(f"dot_product_attention: query heads ({n}) must be a multiple "
                     f"of key/value heads ({kh}, {v.shape[2]})")
  scale = 1.0 / np.sqrt(h) if scale is None else scale
  qg = q.reshape(b, t, kh, n // kh, h)
  logits = jnp.einsum("btkgh,bskh->bkgts", qg, k) * scale
  logits = logits.reshape(b, n, t, s)
  if bias is not None:
    logits = logits + bias
  allowed = None
  if mask is not None:
    allowed = jnp.broadcast_to(mask, logits.shape)
  if is_causal:
    causal = jnp.tril(jnp.ones((t, s), bool))
    allowed = causal if allowed is None else jnp.logical_and(allowed, causal)
  if allowed is not None:
    logits = jnp.where(allowed, logits, jnp.finfo(logits.dtype).min)
  probs = _softmax(logits, axis=-1).astype(v.dtype)
  probs = probs.reshape(b, kh, n // kh, t, s)
  out = jnp.einsum("bkgts,bskh->btkgh", probs, v)
  return out.reshape(b, t, n, h)
