"""Ready-made optimizers with Optax's names, signatures and defaults.

Each is a chain of transformations; learning rates are floats or schedules.
"""
import morphax.numpy as jnp

from morphax_optim import adding
from morphax_optim import base
from morphax_optim import clipping
from morphax_optim import combine
from morphax_optim import factorized
from morphax_optim import transforms as tr


def _lr(learning_rate, flip_sign=True):
  return tr.scale_by_learning_rate(learning_rate, flip_sign=flip_sign)


def sgd(learning_rate, momentum=None, nesterov=False, accumulator_dtype=None):
  """Stochastic gradient descent, with optional (Nesterov) momentum.

  Example:
    >>> opt = sgd(0.1, momentum=0.9)
  """
  momentum_tx = (tr.trace(decay=momentum, nesterov=nesterov,
                          accumulator_dtype=accumulator_dtype)
                 if momentum is not None else base.identity())
  return combine.chain(momentum_tx, _lr(learning_rate))


def adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
         mu_dtype=None, *, nesterov=False):
  """Adam (Kingma & Ba, 2014).

  Example:
    >>> opt = adam(1e-3); state = opt.init(params)
  """
  return combine.chain(
      tr.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root,
                       mu_dtype=mu_dtype, nesterov=nesterov),
      _lr(learning_rate))


def adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
          mu_dtype=None, weight_decay=1e-4, mask=None, *, nesterov=False):
  """Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""
  return combine.chain(
      tr.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root,
                       mu_dtype=mu_dtype, nesterov=nesterov),
      adding.add_decayed_weights(weight_decay, mask),
      _lr(learning_rate))


def nadam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
          mu_dtype=None, *, nesterov=True):
  """Adam with Nesterov momentum (Dozat, 2016)."""
  return adam(learning_rate, b1, b2, eps, eps_root, mu_dtype, nesterov=nesterov)


def nadamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
           mu_dtype=None, weight_decay=1e-4, mask=None, *, nesterov=True):
  """NAdam with decoupled weight decay."""
  return adamw(learning_rate, b1, b2, eps, eps_root, mu_dtype, weight_decay,
               mask, nesterov=nesterov)


def adamax(learning_rate, b1=0.9, b2=0.999, eps=1e-8):
  """Adamax: Adam with the infinity norm (Kingma & Ba, 2014)."""
  return combine.chain(tr.scale_by_adamax(b1=b1, b2=b2, eps=eps), _lr(learning_rate))


def adamaxw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-4, mask=None):
  """Adamax with decoupled weight decay."""
  return combine.chain(tr.scale_by_adamax(b1=b1, b2=b2, eps=eps),
                       adding.add_decayed_weights(weight_decay, mask),
                       _lr(learning_rate))


def amsgrad(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
            mu_dtype=None, bias_correction_mu=True, bias_correction_nu=True):
  """AMSGrad (Reddi et al., 2018)."""
  return combine.chain(
      tr.scale_by_amsgrad(b1=b1, b2=b2, eps=eps, eps_root=eps_root,
                          mu_dtype=mu_dtype, bias_correction_mu=bias_correction_mu,
                          bias_correction_nu=bias_correction_nu),
      _lr(learning_rate))


def radam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0,
          threshold=5.0, *, nesterov=False):
  """Rectified Adam (Liu et al., 2020)."""
  return combine.chain(
      tr.scale_by_radam(b1=b1, b2=b2, eps=eps, eps_root=eps_root,
                        threshold=threshold, nesterov=nesterov),
      _lr(learning_rate))


def rmsprop(learning_rate, decay=0.9, eps=1e-8, initial_scale=0.0,
            eps_in_sqrt=True, centered=False, momentum=None, nesterov=False,
            bias_correction=False):
  """RMSProp (Hinton, 2012), optionally centred (Graves, 2013) and with momentum."""
  if centered:
    scaling = tr.scale_by_stddev(decay=decay, eps=eps, initial_scale=initial_scale,
                                 eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction)
  else:
    scaling = tr.scale_by_rms(decay=decay, eps=eps, initial_scale=initial_scale,
                              eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction)
  momentum_tx = (tr.trace(decay=momentum, nesterov=nesterov)
                 if momentum is not None else base.identity())
  return combine.chain(scaling, _lr(learning_rate), momentum_tx)


def adagrad(learning_rate, initial_accumulator_value=0.1, eps=1e-7):
  """Adagrad (Duchi et al., 2011)."""
  return combine.chain(
      tr.scale_by_rss(initial_accumulator_value=initial_accumulator_value, eps=eps),
      _lr(learning_rate))


def adadelta(learning_rate=None, rho=0.9, eps=1e-6, weight_decay=0.0,
             weight_decay_mask=None):
  """Adadelta (Zeiler, 2012)."""
  return combine.chain(
      adding.add_decayed_weights(weight_decay, mask=weight_decay_mask),
      tr.scale_by_adadelta(rho=rho, eps=eps),
      _lr(learning_rate))


def adafactor(learning_rate=None, min_dim_size_to_factor=128, decay_rate=0.8,
              decay_offset=0, multiply_by_parameter_scale=True,
              clipping_threshold=1.0, momentum=None, dtype_momentum=jnp.float32,
              weight_decay_rate=None, eps=1e-30, factored=True,
              weight_decay_mask=None):
  """Adafactor (Shazeer & Stern, 2018)."""
  txs = [factorized.scale_by_factored_rms(factored, decay_rate, decay_offset,
                                          min_dim_size_to_factor, eps)]
  if clipping_threshold is not None:
    txs.append(clipping.clip_by_block_rms(clipping_threshold))
  if learning_rate is not None:
    txs.append(_lr(learning_rate, flip_sign=False))
  if multiply_by_parameter_scale:
    txs.append(tr.scale_by_param_block_rms())
  if momentum is not None:
    txs.append(tr.ema(momentum, debias=False, accumulator_dtype=dtype_momentum))
  if weight_decay_rate is not None:
    txs.append(adding.add_decayed_weights(weight_decay_rate, mask=weight_decay_mask))
  txs.append(tr.scale(-1))
  return combine.chain(*txs)


def lamb(learning_rate, b1=0.9, b2=0.999, eps=1e-6, eps_root=0.0,
         weight_decay=0.0, mask=None):
  """LAMB (You et al., 2020): Adam with a layer-wise trust ratio."""
  return combine.chain(
      tr.scale_by_adam(b1=b1, b2=b2, eps=eps, eps_root=eps_root),
      adding.add_decayed_weights(weight_decay=weight_decay, mask=mask),
      tr.scale_by_trust_ratio(),
      _lr(learning_rate))


def lars(learning_rate, weight_decay=0.0, weight_decay_mask=True,
         trust_coefficient=0.001, eps=0.0, trust_ratio_mask=True,
         momentum=0.9, nesterov=False):
  """LARS (You et al., 2017): SGD with a layer-wise trust ratio and momentum."""
  return combine.chain(
      adding.add_decayed_weights(weight_decay, mask=weight_decay_mask),
      combine.masked(tr.scale_by_trust_ratio(trust_coefficient=trust_coefficient,
                                             eps=eps), trust_ratio_mask),
      _lr(learning_rate),
      tr.trace(decay=momentum, nesterov=nesterov))


def lion(learning_rate, b1=0.9, b2=0.99, mu_dtype=None, weight_decay=1e-3,
         mask=None):
  """Lion (Chen et al., 2023)."""
  return combine.chain(
      tr.scale_by_lion(b1=b1, b2=b2, mu_dtype=mu_dtype),
      adding.add_decayed_weights(weight_decay, mask),
      _lr(learning_rate))


def novograd(learning_rate, b1=0.9, b2=0.25, eps=1e-6, eps_root=0.0,
             weight_decay=0.0):
  """NovoGrad (Ginsburg et al., 2019)."""
  return combine.chain(
      tr.scale_by_novograd(b1=b1, b2=b2, eps=eps, eps_root=eps_root,
                           weight_decay=weight_decay),
      _lr(learning_rate))


def yogi(learning_rate, b1=0.9, b2=0.999, eps=1e-3):
  """Yogi (Zaheer et al., 2018)."""
  return combine.chain(tr.scale_by_yogi(b1=b1, b2=b2, eps=eps), _lr(learning_rate))


def noisy_sgd(learning_rate, eta=0.01, gamma=0.55, key=None, *, seed=None):
  """SGD with annealed Gaussian gradient noise (Neelakantan et al., 2015)."""
  return combine.chain(adding.add_noise(eta, gamma, key, seed=seed),
                       _lr(learning_rate))


def fromage(learning_rate, min_norm=1e-6):
  """Fromage (Bernstein et al., 2020)."""
  if not callable(learning_rate):
    mult = 1 / (1 + learning_rate ** 2) ** 0.5
    return combine.chain(tr.scale_by_trust_ratio(min_norm),
                         _lr(learning_rate * mult),
                         adding.add_decayed_weights(mult - 1))
  mult_lr = lambda count: 1 / (1 + learning_rate(count) ** 2) ** 0.5  # noqa: E731
  return combine.chain(tr.scale_by_trust_ratio(min_norm),
                       _lr(lambda c: mult_lr(c) * learning_rate(c)),
                       adding.add_decayed_weights(lambda c: mult_lr(c) - 1))


def adabelief(learning_rate, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, *,
              nesterov=False):
  """AdaBelief (Zhuang et al., 2020)."""
  return combine.chain(
      tr.scale_by_belief(b1=b1, b2=b2, eps=eps, eps_root=eps_root, nesterov=nesterov),
      _lr(learning_rate))
