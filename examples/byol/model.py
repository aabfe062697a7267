"""BYOL's networks and loss: a small CNN encoder, the projector and
predictor MLP heads (Dense, BatchNorm, ReLU, Dense) and the normalized-MSE
between online predictions and target projections."""

import morphax
import morphax.numpy as jnp
import morphax_nn as nn


class Encoder(nn.Module):
  """3x3 convolutions (all but the first with stride 2), ReLU, then the
  representation: the final feature map averaged over space (`pool`) or
  flattened."""
  widths: tuple = (32, 64, 128)
  pool: bool = True

  @nn.compact
  def __call__(self, x):
    for i, width in enumerate(self.widths):
      x = nn.relu(nn.Conv(width, (3, 3), strides=1 if i == 0 else 2)(x))
    if self.pool:
      return x.mean(axis=(1, 2))
    return x.reshape((x.shape[0], -1))


class Head(nn.Module):
  """BYOL's MLP: Dense -> BatchNorm (batch statistics, synchronized over
  `axis_name` under pmap) -> ReLU -> Dense."""
  hidden: int
  features: int
  axis_name: object = None

  @nn.compact
  def __call__(self, x):
    x = nn.Dense(self.hidden)(x)
    x = nn.BatchNorm(use_running_average=False, axis_name=self.axis_name)(x)
    return nn.Dense(self.features)(nn.relu(x))


class Online(nn.Module):
  """Encoder + projector (+ predictor): `predict=False` is the target
  network's path, whose parameters are the same minus the predictor."""
  widths: tuple
  hidden: int
  features: int
  axis_name: object = None
  pool: bool = True

  def setup(self):
    self.encoder = Encoder(self.widths, self.pool)
    self.projector = Head(self.hidden, self.features, self.axis_name)
    self.predictor = Head(self.hidden, self.features, self.axis_name)

  def __call__(self, x, predict=True):
    z = self.projector(self.encoder(x))
    return self.predictor(z) if predict else z

  def represent(self, x):
    """The features the linear probe sees."""
    return self.encoder(x)


def normalized_mse(p, z):
  """2 - 2 cos(p, z) per row: the squared distance of the unit vectors."""
  p = p / jnp.sqrt(jnp.sum(p * p, -1, keepdims=True) + 1e-12)
  z = z / jnp.sqrt(jnp.sum(z * z, -1, keepdims=True) + 1e-12)
  return 2.0 - 2.0 * jnp.sum(p * z, -1)


def byol_loss(online_p, target_z):
  """Symmetric BYOL loss for a batch holding view 1 then view 2: each
  view's prediction regresses the target projection of the other view,
  with no gradient into the target."""
  target_z = morphax.lax.stop_gradient(target_z)
  p1, p2 = jnp.split(online_p, 2)
  z1, z2 = jnp.split(target_z, 2)
  return jnp.mean(normalized_mse(p1, z2) + normalized_mse(p2, z1))


def target_decay(step, total_steps, base):
  """The EMA rate tau of the target: cosine from `base` at step 0 to 1 at
  the last step (BYOL, section 3.2)."""
  progress = jnp.minimum(step / total_steps, 1.0)
  return 1.0 - (1.0 - base) * (jnp.cos(jnp.pi * progress) + 1.0) / 2.0
