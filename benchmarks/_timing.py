"""Timing shared by the benchmark workers: warm-up, calibrated timeit
rounds, and the statistics the report prints. Imports neither morphax nor jax.
"""

import statistics
import timeit

# (warm-up calls, timed rounds, seconds one round should last at least)
FULL = (200, 15, 0.1)
QUICK = (20, 3, 0.01)


def calibrate(timer, min_round_s):
  """Calls per round so that one round lasts at least `min_round_s`."""
  number = 1
  while True:
    elapsed = timer.timeit(number)
    if elapsed >= min_round_s:
      return number
    # Aim a little past the target so the next try usually suffices.
    scale = 1.2 * min_round_s / max(elapsed, 1e-9)
    number = max(number * 2, int(number * min(scale, 100)))


def time_call(fn, quick=False):
  """Per-call latency of `fn()` in microseconds.

  `fn` must block on its result (block_until_ready) so the device work is
  counted. It is called `warmup` times first (compiles and fills caches),
  then timed in `rounds` rounds of `number` calls with timeit (which turns
  the garbage collector off while timing). Returns the median, min and max
  over rounds of the mean call time within a round.
  """
  warmup, rounds, min_round_s = QUICK if quick else FULL
  for _ in range(warmup):
    fn()
  timer = timeit.Timer(fn)
  number = calibrate(timer, min_round_s)
  per_call = [t / number * 1e6 for t in timer.repeat(repeat=rounds, number=number)]
  return {
      "median_us": statistics.median(per_call),
      "min_us": min(per_call),
      "max_us": max(per_call),
      "rounds": rounds,
      "calls_per_round": number,
  }


def methodology(quick=False):
  """One line describing how `time_call` measures, for the report."""
  warmup, rounds, min_round_s = QUICK if quick else FULL
  return (f"{warmup} warm-up calls, then {rounds} timeit rounds of N calls "
          f"(N calibrated so a round lasts >= {min_round_s * 1e3:g} ms, GC off); "
          "each call blocks on its result; reported: median over rounds of "
          "the per-call mean (min in the JSON)")
