"""The rows of the known-answer tests, shared with the reference generator.

Each optimizer row is a Python expression over `optax`; the generator
(tools/reference/gen_optax_trajectories.py) evaluates it with real Optax and
the tests with morphax_optim, on the same problem and gradients.
"""
NUM_STEPS = 10


def initial_params(np):
  """The starting point: a float32[3,2] matrix and a float32[2] vector."""
  return {"w": np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]], np.float32),
          "b": np.array([0.3, -0.2], np.float32)}


def gradients(np, params, k):
  """Gradient at step k: a * (p - target) + a fixed perturbation (float32, exact)."""
  a = {"w": np.array([[1.0, 2.0], [0.5, 3.0], [1.5, 0.8]], np.float32),
       "b": np.array([2.0, 0.7], np.float32)}
  target = {"w": np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], np.float32),
            "b": np.array([1.0, -1.0], np.float32)}
  rng = np.random.RandomState(1000 + k)
  return {key: (a[key] * (np.asarray(params[key], np.float32) - target[key])
                + rng.normal(0, 0.1, size=a[key].shape).astype(np.float32)).astype(np.float32)
          for key in ("w", "b")}


OPTIMIZERS = {
    "sgd": "optax.sgd(0.1)",
    "sgd_momentum": "optax.sgd(0.1, momentum=0.9)",
    "sgd_nesterov": "optax.sgd(0.1, momentum=0.9, nesterov=True)",
    "sgd_schedule": "optax.sgd(optax.linear_schedule(0.2, 0.01, 8))",
    "adam": "optax.adam(0.1)",
    "adam_nesterov": "optax.adam(0.1, nesterov=True)",
    "adam_eps_root": "optax.adam(0.1, eps_root=1e-8)",
    "adam_schedule": "optax.adam(optax.warmup_cosine_decay_schedule(0.0, 0.1, 3, 10))",
    "adamw": "optax.adamw(0.1)",
    "adamw_mask": "optax.adamw(0.1, weight_decay=0.1, mask={'w': True, 'b': False})",
    "adamax": "optax.adamax(0.1)",
    "adamaxw": "optax.adamaxw(0.1, weight_decay=0.05)",
    "amsgrad": "optax.amsgrad(0.1)",
    "nadam": "optax.nadam(0.1)",
    "nadamw": "optax.nadamw(0.1, weight_decay=0.05)",
    "radam": "optax.radam(0.1)",
    "radam_low_threshold": "optax.radam(0.1, threshold=2.0)",
    "rmsprop": "optax.rmsprop(0.1)",
    "rmsprop_centered_momentum": "optax.rmsprop(0.05, centered=True, momentum=0.9, nesterov=True)",
    "rmsprop_bias_correction": "optax.rmsprop(0.05, bias_correction=True, eps_in_sqrt=False)",
    "adagrad": "optax.adagrad(0.1)",
    "adadelta": "optax.adadelta(1.0)",
    "adafactor": "optax.adafactor(0.1)",
    "adafactor_factored": "optax.adafactor(0.1, min_dim_size_to_factor=2, momentum=0.9, weight_decay_rate=0.01)",
    "lamb": "optax.lamb(0.1, weight_decay=0.01)",
    "lars": "optax.lars(0.1, weight_decay=0.01)",
    "lion": "optax.lion(0.01)",
    "novograd": "optax.novograd(0.1, weight_decay=0.01)",
    "yogi": "optax.yogi(0.1)",
    "noisy_sgd_no_noise": "optax.noisy_sgd(0.1, eta=0.0)",
    "fromage": "optax.fromage(0.1)",
    "fromage_schedule": "optax.fromage(optax.exponential_decay(0.1, 2, 0.5))",
    "adabelief": "optax.adabelief(0.1)",
    "adabelief_nesterov": "optax.adabelief(0.1, nesterov=True)",
    "chain_clip_adam": "optax.chain(optax.clip_by_global_norm(0.5), optax.scale_by_adam(), optax.scale(-0.1))",
    "chain_clip_centralize": "optax.chain(optax.clip(0.3), optax.centralize(), optax.scale_by_rms(), optax.scale(-0.05))",
    "block_rms_param_norm": "optax.chain(optax.clip_by_block_rms(0.2), optax.scale_by_param_block_norm(), optax.scale(-0.1))",
    "ema_trace": "optax.chain(optax.ema(0.8), optax.trace(0.5), optax.scale(-0.1))",
    "scale_by_stddev": "optax.chain(optax.scale_by_stddev(), optax.scale(-0.05))",
    "lion_smooth": "optax.chain(optax.scale_by_lion(mode='smooth', smooth_beta=2.0), optax.scale(-0.01))",
    "nonneg": "optax.chain(optax.sgd(0.5), optax.keep_params_nonnegative())",
    "multi_steps": "optax.MultiSteps(optax.adam(optax.linear_schedule(0.1, 0.0, 4)), every_k_schedule=3)",
    "multi_steps_sum": "optax.MultiSteps(optax.sgd(0.1, momentum=0.5), every_k_schedule=2, use_grad_mean=False)",
    "inject_adam": "optax.inject_hyperparams(optax.adam)(learning_rate=optax.exponential_decay(0.1, 3, 0.5), b1=0.8)",
    "multi_transform": "optax.multi_transform({'a': optax.adam(0.1), 's': optax.sgd(0.05)}, {'w': 'a', 'b': 's'})",
    "masked_sgd": "optax.chain(optax.masked(optax.trace(0.9), {'w': False, 'b': True}), optax.scale(-0.1))",
    "apply_if_finite": "optax.apply_if_finite(optax.adam(0.1), 2)",
    "flatten_adam": "optax.flatten(optax.adam(0.1))",
    "named_chain": "optax.named_chain(('clip', optax.clip(0.5)), ('adam', optax.adam(0.1)))",
}

SCHEDULE_STEPS = [0, 1, 2, 3, 5, 7, 9, 10, 12, 15, 20, 30, 100]

SCHEDULES = {
    "constant": "optax.constant_schedule(0.3)",
    "linear": "optax.linear_schedule(1.0, 0.1, 10, 2)",
    "polynomial": "optax.polynomial_schedule(1.0, 0.01, 2.0, 12, 1)",
    "exponential": "optax.exponential_decay(1.0, 4, 0.5)",
    "exponential_staircase": "optax.exponential_decay(1.0, 4, 0.5, transition_begin=2, staircase=True)",
    "exponential_end": "optax.exponential_decay(1.0, 4, 0.5, end_value=0.3)",
    "exponential_growth": "optax.exponential_decay(0.1, 3, 2.0, end_value=0.5)",
    "cosine": "optax.cosine_decay_schedule(1.0, 12, alpha=0.1)",
    "cosine_exponent": "optax.cosine_decay_schedule(2.0, 10, exponent=2.0)",
    "warmup_cosine": "optax.warmup_cosine_decay_schedule(0.0, 1.0, 4, 20, end_value=0.05)",
    "warmup_exponential": "optax.warmup_exponential_decay_schedule(0.0, 1.0, 3, 4, 0.5, transition_begin=1, end_value=0.1)",
    "piecewise_constant": "optax.piecewise_constant_schedule(1.0, {3: 0.5, 10: 0.1})",
    "piecewise_linear": "optax.piecewise_interpolate_schedule('linear', 1.0, {3: 2.0, 10: 0.1})",
    "piecewise_cosine": "optax.piecewise_interpolate_schedule('cosine', 1.0, {3: 2.0, 10: 0.1})",
    "join": "optax.join_schedules([optax.constant_schedule(1.0), optax.linear_schedule(1.0, 0.0, 5)], [3])",
    "cosine_onecycle": "optax.cosine_onecycle_schedule(20, 1.0)",
    "linear_onecycle": "optax.linear_onecycle_schedule(20, 1.0)",
    "sgdr": "optax.sgdr_schedule([dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=8), dict(init_value=0.1, peak_value=0.5, warmup_steps=1, decay_steps=6)])",
}


def loss_inputs(np):
  """Fixed inputs for the loss rows (float32 unless integer labels)."""
  rng = np.random.RandomState(7)
  logits = rng.normal(size=(4, 5)).astype(np.float32) * 2
  probs = rng.dirichlet(np.ones(5), size=4).astype(np.float32)
  return {
      "pred": rng.normal(size=(4, 5)).astype(np.float32) * 2,
      "targ": rng.normal(size=(4, 5)).astype(np.float32),
      "logits": logits,
      "probs": probs,
      "int_labels": np.array([0, 3, 4, 1], np.int32),
      "bin_labels": (rng.uniform(size=(4, 5)) > 0.5).astype(np.float32),
      "signs": np.where(rng.uniform(size=(4, 5)) > 0.5, 1.0, -1.0).astype(np.float32),
      "mask": np.array([[1, 1, 0, 1, 1]] * 4, bool),
      "logits3": rng.normal(size=(2, 3, 4)).astype(np.float32),
      "int_labels3": np.array([[0, 2, 1, 1], [2, 1, 0, 0]], np.int32),
  }


LOSSES = {
    "l2_loss": "optax.l2_loss(pred, targ)",
    "l2_loss_no_target": "optax.l2_loss(pred)",
    "squared_error": "optax.squared_error(pred, targ)",
    "huber": "optax.huber_loss(pred, targ)",
    "huber_delta": "optax.huber_loss(pred, targ, delta=0.5)",
    "log_cosh": "optax.log_cosh(pred, targ)",
    "softmax_ce": "optax.softmax_cross_entropy(logits, probs)",
    "softmax_ce_where": "optax.softmax_cross_entropy(logits, probs, where=mask)",
    "softmax_ce_axis0": "optax.softmax_cross_entropy(logits, probs, axis=0)",
    "softmax_ce_int": "optax.softmax_cross_entropy_with_integer_labels(logits, int_labels)",
    "softmax_ce_int_where": "optax.softmax_cross_entropy_with_integer_labels(logits, int_labels, where=mask)",
    "softmax_ce_int_axis0": "optax.softmax_cross_entropy_with_integer_labels(logits3, int_labels3, axis=1)",
    "softmax_ce_int_axes": "optax.softmax_cross_entropy_with_integer_labels(logits3, jnp.array([5, 11]), axis=(1, 2))",
    "safe_softmax_ce": "optax.safe_softmax_cross_entropy(logits, probs)",
    "sigmoid_bce": "optax.sigmoid_binary_cross_entropy(logits, bin_labels)",
    "focal": "optax.sigmoid_focal_loss(logits, bin_labels)",
    "focal_alpha": "optax.sigmoid_focal_loss(logits, bin_labels, alpha=0.25, gamma=1.5)",
    "hinge": "optax.hinge_loss(pred, signs)",
    "cosine_similarity": "optax.cosine_similarity(pred, targ)",
    "cosine_similarity_eps": "optax.cosine_similarity(pred, targ, epsilon=0.5, where=mask)",
    "cosine_distance": "optax.cosine_distance(pred, targ, axis=0)",
    "kl": "optax.kl_divergence(jnp.log(probs), probs[::-1])",
    "kl_where": "optax.kl_divergence(jnp.log(probs), probs[::-1], where=mask)",
    "smooth_labels": "optax.smooth_labels(probs, 0.1)",
}
