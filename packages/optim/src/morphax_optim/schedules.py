"""Step-size schedules: functions from the step count to a value.

Optax's schedules, with the same arguments and the same values.
"""
import logging

import numpy as np
import morphax.numpy as jnp

NEGATIVE_SCALES = (
    "{name}: boundaries_and_scales has negative scales {scales}; every scale "
    "must be >= 0 (a scale multiplies the current value at its boundary).")
UNKNOWN_INTERPOLATION = (
    "piecewise_interpolate_schedule: interpolate_type={kind!r} is not 'linear' "
    "or 'cosine'.")
NOT_POSITIVE = (
    "{name}: {arg} must be > 0, got {value}. It counts steps, e.g. "
    "{name}(..., {arg}=1000).")
BAD_JOIN = (
    "join_schedules: got {n_sched} schedules and {n_bound} boundaries; give one "
    "boundary fewer than schedules, e.g. join_schedules([s1, s2], [100]).")


def constant_schedule(value):
  """A schedule that always returns value."""
  return lambda count: value


def polynomial_schedule(init_value, end_value, power, transition_steps,
                        transition_begin=0):
  """(init - end) * (1 - t / transition_steps)**power + end, t counted from transition_begin.

  Example:
    >>> s = polynomial_schedule(1.0, 0.1, power=2, transition_steps=10)
  """
  if transition_steps <= 0:
    logging.info("polynomial_schedule: transition_steps <= 0, using a constant.")
    return constant_schedule(init_value)
  if transition_begin < 0:
    logging.info("polynomial_schedule: transition_begin < 0, using 0.")
    transition_begin = 0

  def schedule(count):
    count = jnp.clip(count - transition_begin, 0, transition_steps)
    frac = 1 - count / transition_steps
    return (init_value - end_value) * (frac ** power) + end_value
  return schedule


def linear_schedule(init_value, end_value, transition_steps, transition_begin=0):
  """Linear interpolation from init_value to end_value over transition_steps."""
  return polynomial_schedule(init_value, end_value, 1, transition_steps,
                             transition_begin)


def exponential_decay(init_value, transition_steps, decay_rate,
                      transition_begin=0, staircase=False, end_value=None):
  """init_value * decay_rate**((count - transition_begin) / transition_steps)."""
  if transition_steps <= 0 or decay_rate == 0.0:
    logging.info("exponential_decay: using a constant schedule.")
    return constant_schedule(init_value)
  if transition_begin < 0:
    transition_begin = 0

  def schedule(count):
    decreased = count - transition_begin
    p = decreased / transition_steps
    if staircase:
      p = jnp.floor(p)
    decayed = init_value * jnp.power(decay_rate, p)
    if end_value is not None:
      clip = jnp.maximum if decay_rate < 1.0 else jnp.minimum
      decayed = clip(decayed, end_value)
    return jnp.where(decreased <= 0, init_value, decayed)
  return schedule


def cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0):
  """init * ((1 - alpha) * (0.5 * (1 + cos(pi * t / decay_steps)))**exponent + alpha).

  Reference: Loshchilov & Hutter, SGDR, 2016.
  """
  if not decay_steps > 0:
    raise ValueError(NOT_POSITIVE.format(name="cosine_decay_schedule",
                                         arg="decay_steps", value=decay_steps))

  def schedule(count):
    count = jnp.minimum(count, decay_steps)
    cosine = 0.5 * (1 + jnp.cos(jnp.pi * count / decay_steps))
    return init_value * ((1 - alpha) * cosine ** exponent + alpha)
  return schedule


def join_schedules(schedules, boundaries):
  """Runs schedules[i] from boundaries[i-1] on, each seeing steps from its own start."""
  if len(schedules) != len(boundaries) + 1:
    raise ValueError(BAD_JOIN.format(n_sched=len(schedules), n_bound=len(boundaries)))

  def schedule(step):
    output = schedules[0](step)
    for boundary, s in zip(boundaries, schedules[1:]):
      output = jnp.where(step < boundary, output, s(step - boundary))
    return output
  return schedule


def warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps,
                                 decay_steps, end_value=0.0, exponent=1.0):
  """Linear warmup to peak_value, then cosine decay to end_value at decay_steps."""
  alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
  return join_schedules(
      [linear_schedule(init_value, peak_value, warmup_steps),
       cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)],
      [warmup_steps])


def warmup_exponential_decay_schedule(init_value, peak_value, warmup_steps,
                                      transition_steps, decay_rate,
                                      transition_begin=0, staircase=False,
                                      end_value=None):
  """Linear warmup to peak_value, then exponential decay."""
  return join_schedules(
      [linear_schedule(init_value, peak_value, warmup_steps),
       exponential_decay(peak_value, transition_steps, decay_rate,
                         transition_begin, staircase, end_value)],
      [warmup_steps])


def _sorted_boundaries(name, boundaries_and_scales):
  if not boundaries_and_scales:
    return (), ()
  boundaries, scales = zip(*sorted(boundaries_and_scales.items()))
  negative = [s for s in scales if s < 0]
  if negative:
    raise ValueError(NEGATIVE_SCALES.format(name=name, scales=negative))
  return boundaries, scales


def piecewise_constant_schedule(init_value, boundaries_and_scales=None):
  """init_value times every scale whose boundary the step has reached.

  Example:
    >>> s = piecewise_constant_schedule(1.0, {10: 0.1, 20: 0.5})  # 1, then .1, then .05
  """
  boundaries, scales = _sorted_boundaries("piecewise_constant_schedule",
                                          boundaries_and_scales)

  def schedule(count):
    v = init_value
    for threshold, s in zip(boundaries, scales):
      indicator = jnp.maximum(0.0, jnp.sign(threshold - count))
      v = v * indicator + (1 - indicator) * s * v
    return v
  return schedule


def _linear_interpolate(start, end, pct):
  return (end - start) * pct + start


def _cosine_interpolate(start, end, pct):
  return end + (start - end) / 2.0 * (jnp.cos(jnp.pi * pct) + 1)


def piecewise_interpolate_schedule(interpolate_type, init_value,
                                   boundaries_and_scales=None):
  """Interpolates ('linear' or 'cosine') between values scaled at the boundaries."""
  if interpolate_type == "linear":
    interpolate = _linear_interpolate
  elif interpolate_type == "cosine":
    interpolate = _cosine_interpolate
  else:
    raise ValueError(UNKNOWN_INTERPOLATION.format(kind=interpolate_type))
  boundaries, scales = _sorted_boundaries("piecewise_interpolate_schedule",
                                          boundaries_and_scales)
  bounds = np.stack((0,) + tuple(boundaries))
  values = np.cumprod(np.stack((init_value,) + tuple(scales))).astype(np.float32)
  interval_sizes = (bounds[1:] - bounds[:-1]).astype(np.float32)

  def schedule(count):
    count = jnp.asarray(count)
    indicator = (bounds[:-1] <= count) & (count < bounds[1:])
    pct = (count - bounds[:-1]) / interval_sizes
    interp = interpolate(values[:-1], values[1:], pct)
    return jnp.dot(indicator.astype(interp.dtype), interp) + (
        (bounds[-1] <= count) * values[-1])
  return schedule


def cosine_onecycle_schedule(transition_steps, peak_value, pct_start=0.3,
                             div_factor=25.0, final_div_factor=1e4):
  """One cycle (Smith & Topin, 2017): cosine up to peak_value, then cosine down."""
  if transition_steps <= 0:
    raise ValueError(NOT_POSITIVE.format(name="cosine_onecycle_schedule",
                                         arg="transition_steps", value=transition_steps))
  return piecewise_interpolate_schedule(
      "cosine", peak_value / div_factor,
      {int(pct_start * transition_steps): div_factor,
       int(transition_steps): 1.0 / (div_factor * final_div_factor)})


def linear_onecycle_schedule(transition_steps, peak_value, pct_start=0.3,
                             pct_final=0.85, div_factor=25.0,
                             final_div_factor=1e4):
  """One cycle with linear pieces: up to peak, down to the initial value, then to final."""
  if transition_steps <= 0:
    raise ValueError(NOT_POSITIVE.format(name="linear_onecycle_schedule",
                                         arg="transition_steps", value=transition_steps))
  return piecewise_interpolate_schedule(
      "linear", peak_value / div_factor,
      {int(pct_start * transition_steps): div_factor,
       int(pct_final * transition_steps): 1.0 / div_factor,
       transition_steps: 1.0 / final_div_factor})


def sgdr_schedule(cosine_kwargs):
  """Warm restarts (Loshchilov & Hutter): warmup-cosine cycles one after another.

  Args:
    cosine_kwargs: for each cycle, the kwargs of warmup_cosine_decay_schedule.
  """
  boundaries, schedules, step = [], [], 0
  for kwargs in cosine_kwargs:
    schedules.append(warmup_cosine_decay_schedule(**kwargs))
    step += kwargs["decay_steps"]
    boundaries.append(step)
  return join_schedules(schedules, boundaries[:-1])
