"""A process that saves checkpoints forever, for test_crash.py to kill -9.

Usage: python crash_writer.py DIRECTORY. Prints "committed" once its first step
is on disk (so every run makes progress) and then keeps saving; step s holds
arrays filled with s, so a restore can be checked against its step.
"""

import sys

import numpy as np

import morphax.numpy as jnp
import morphax_checkpoint as mc


def state(step):
  """The tree saved at `step`: a mix of one larger and many small leaves."""
  return {"w": jnp.full((128, 128), step, jnp.float32),
          "small": {str(i): np.full(i + 1, step, np.int32) for i in range(24)},
          "step": step}


def main(directory):
  options = mc.CheckpointManagerOptions(max_to_keep=3, keep_period=10)
  mngr = mc.CheckpointManager(directory, options)
  step = (mngr.latest_step() or 0) + 1
  mngr.save(step, state(step))
  mngr.wait_until_finished()
  print("committed", flush=True)
  while True:
    step += 1
    mngr.save(step, state(step))


if __name__ == "__main__":
  main(sys.argv[1])
