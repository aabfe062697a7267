"""Loss functions with Optax's names and conventions.

Regression (l2, squared error, Huber, log-cosh, cosine), classification
(softmax / sigmoid cross-entropies, focal, hinge, KL) and label smoothing.
"""
import numpy as np
import morphax
import morphax.numpy as jnp
from morphax import nn

NOT_FLOATING = (
    "{fn}: {arg} must have a floating dtype, got {dtype}. Cast it, e.g. "
    "{arg}.astype(jnp.float32).")


NOT_INTEGER_LABELS = (
    "softmax_cross_entropy_with_integer_labels: labels must be integers "
    "(class indices), got {dtype}. For one-hot or soft labels use "
    "softmax_cross_entropy(logits, labels).")


def _check_floating(fn, arg, x):
  x = jnp.asarray(x)
  if not jnp.issubdtype(x.dtype, jnp.floating):
    raise TypeError(NOT_FLOATING.format(fn=fn, arg=arg, dtype=x.dtype))
  return x


def squared_error(predictions, targets=None):
  """(predictions - targets)**2 elementwise (targets default to 0)."""
  predictions = _check_floating("squared_error", "predictions", predictions)
  errors = predictions - targets if targets is not None else predictions
  return errors ** 2


def l2_loss(predictions, targets=None):
  """0.5 * squared_error, elementwise."""
  return 0.5 * squared_error(predictions, targets)


def huber_loss(predictions, targets=None, *, delta=1.0):
  """Quadratic for |error| <= delta, linear beyond (Huber, 1964)."""
  predictions = _check_floating("huber_loss", "predictions", predictions)
  errors = predictions - targets if targets is not None else predictions
  abs_errors = jnp.abs(errors)
  quadratic = jnp.minimum(abs_errors, delta)
  linear = abs_errors - quadratic
  return 0.5 * quadratic ** 2 + delta * linear


def log_cosh(predictions, targets=None):
  """log(cosh(predictions - targets)), computed without overflow."""
  predictions = _check_floating("log_cosh", "predictions", predictions)
  errors = predictions - targets if targets is not None else predictions
  return jnp.logaddexp(errors, -errors) - jnp.log(2.0).astype(errors.dtype)


def cosine_similarity(predictions, targets, *, epsilon=0.0, axis=-1, where=None):
  """Cosine of the angle between predictions and targets along axis."""
  a = _check_floating("cosine_similarity", "predictions", predictions)
  b = _check_floating("cosine_similarity", "targets", targets)
  a_norm2 = jnp.sum(jnp.square(a), axis=axis, where=where, keepdims=True)
  b_norm2 = jnp.sum(jnp.square(b), axis=axis, where=where, keepdims=True)
  a_unit = a / jnp.sqrt(jnp.clip(a_norm2, epsilon))
  b_unit = b / jnp.sqrt(jnp.clip(b_norm2, epsilon))
  return jnp.sum(a_unit * b_unit, axis=axis, where=where)


def cosine_distance(predictions, targets, *, epsilon=0.0, axis=-1, where=None):
  """1 - cosine_similarity."""
  return 1.0 - cosine_similarity(predictions, targets, epsilon=epsilon,
                                 axis=axis, where=where)


def softmax_cross_entropy(logits, labels, axis=-1, where=None):
  """-sum(labels * log_softmax(logits)) along axis (labels are distributions)."""
  logits = _check_floating("softmax_cross_entropy", "logits", logits)
  if where is not None and jnp.ndim(where) != logits.ndim:
    where = jnp.expand_dims(where, axis)
  log_probs = nn.log_softmax(logits, axis=axis, where=where)
  return -jnp.sum(labels * log_probs, axis=axis, where=where)


def _logsumexp(x, axis, where):
  if where is not None:
    x = jnp.where(where, x, -jnp.inf)
  m = jnp.max(x, axis=axis, keepdims=True)
  m = morphax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0.0))
  return jnp.squeeze(m, axis=axis) + jnp.log(jnp.sum(jnp.exp(x - m), axis=axis))


def softmax_cross_entropy_with_integer_labels(logits, labels, axis=-1, where=None):
  """Cross-entropy with labels given as class indices along axis (int or tuple).

  Example:
    >>> softmax_cross_entropy_with_integer_labels(jnp.array([[1.2, -0.8, -0.5]]), jnp.array([0]))
  """
  logits = _check_floating("softmax_cross_entropy_with_integer_labels", "logits", logits)
  labels = jnp.asarray(labels)
  if not jnp.issubdtype(labels.dtype, jnp.integer):
    raise TypeError(NOT_INTEGER_LABELS.format(dtype=labels.dtype))
  axes = (axis,) if isinstance(axis, int) else tuple(axis)
  axes = tuple(a % logits.ndim for a in axes)
  rest = [d for d in range(logits.ndim) if d not in axes]
  moved = jnp.transpose(logits, rest + list(axes))
  batch_shape = moved.shape[:len(rest)]
  flat = moved.reshape(batch_shape + (int(np.prod([logits.shape[a] for a in axes])),))
  if where is not None:
    where = jnp.asarray(where)
    if where.ndim == logits.ndim:
      where = jnp.transpose(where, rest + list(axes)).reshape(flat.shape)
    else:
      where = where[..., None]
  label_logits = jnp.take_along_axis(flat, labels[..., None], axis=-1)[..., 0]
  return _logsumexp(flat, -1, where) - label_logits


def safe_softmax_cross_entropy(logits, labels):
  """softmax_cross_entropy where 0 * log(0) counts as 0 (logits may be -inf)."""
  logits = _check_floating("safe_softmax_cross_entropy", "logits", logits)
  log_probs = nn.log_softmax(logits, axis=-1)
  weighted = jnp.where(labels != 0.0, labels * log_probs, jnp.zeros_like(log_probs))
  return -jnp.sum(weighted, axis=-1)


def sigmoid_binary_cross_entropy(logits, labels):
  """Binary cross-entropy of sigmoid(logits) against labels in [0, 1], elementwise."""
  logits = _check_floating("sigmoid_binary_cross_entropy", "logits", logits)
  log_p = nn.log_sigmoid(logits)
  log_not_p = nn.log_sigmoid(-logits)
  return -labels * log_p - (1.0 - labels) * log_not_p


def sigmoid_focal_loss(logits, labels, *, alpha=None, gamma=2.0):
  """Focal loss (Lin et al., 2017): cross-entropy scaled by (1 - p_t)**gamma."""
  logits = _check_floating("sigmoid_focal_loss", "logits", logits)
  p = nn.sigmoid(logits)
  ce = sigmoid_binary_cross_entropy(logits, labels)
  p_t = p * labels + (1 - p) * (1 - labels)
  loss = ce * ((1 - p_t) ** gamma)
  if alpha is not None:
    loss = (alpha * labels + (1 - alpha) * (1 - labels)) * loss
  return loss


def hinge_loss(predictor_outputs, targets):
  """max(0, 1 - predictor_outputs * targets), targets in {-1, 1}."""
  return jnp.maximum(0, 1 - predictor_outputs * targets)


def kl_divergence(log_predictions, targets, axis=-1, where=None):
  """KL(targets || predictions), predictions given as log-probabilities."""
  log_predictions = _check_floating("kl_divergence", "log_predictions", log_predictions)
  targets = _check_floating("kl_divergence", "targets", targets)
  loss = targets * (jnp.where(targets == 0, 0, jnp.log(targets)) - log_predictions)
  return jnp.sum(loss, axis=axis, where=where)


def smooth_labels(labels, alpha, *, axis=-1, where=None):
  """(1 - alpha) * labels + alpha / num_categories (Muller et al., 2019)."""
  labels = _check_floating("smooth_labels", "labels", labels)
  if where is None:
    num_categories = labels.shape[axis] if isinstance(axis, int) else int(
        np.prod([labels.shape[a] for a in axis]))
  else:
    num_categories = jnp.sum(where, axis, keepdims=True)
  return (1.0 - alpha) * labels + alpha / num_categories
