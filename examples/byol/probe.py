"""The linear probe: multinomial logistic regression on frozen features,
trained full-batch with morphax_optim on the train split, scored on the
held-out split."""

import numpy as np

import morphax
import morphax.numpy as jnp
import morphax_optim as optax

PROBE_STEPS = 500


def _fit(features, labels, num_classes, learning_rate, weight_decay):
  """Adam on the softmax cross-entropy (+ L2), PROBE_STEPS steps in one
  fori_loop; returns (weights, bias)."""
  optimizer = optax.adamw(learning_rate, weight_decay=weight_decay)
  params = (jnp.zeros((features.shape[1], num_classes)), jnp.zeros((num_classes,)))

  def loss(params):
    w, b = params
    logits = features @ w + b
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

  def step(_, carry):
    params, opt_state = carry
    grads = morphax.grad(loss)(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state

  params, _ = morphax.lax.fori_loop(0, PROBE_STEPS, step,
                                    (params, optimizer.init(params)))
  return params


_fit_jit = morphax.jit(_fit, static_argnums=(2, 3, 4))


def linear_probe(train_features, train_labels, test_features, test_labels,
                 num_classes, learning_rate=0.05, weight_decay=0.1):
  """Test accuracy of a logistic regression on standardized features
  (mean and scale from the train split)."""
  train_features = np.asarray(train_features, np.float32)
  test_features = np.asarray(test_features, np.float32)
  mean = train_features.mean(0)
  scale = train_features.std(0) + 1e-6
  w, b = _fit_jit(jnp.asarray((train_features - mean) / scale),
                  jnp.asarray(train_labels), num_classes, learning_rate, weight_decay)
  logits = ((test_features - mean) / scale) @ np.asarray(w) + np.asarray(b)
  return float((logits.argmax(-1) == test_labels).mean())
