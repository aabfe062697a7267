"""One process of a multi-process run spawned by test_distributed.py:
`python distributed_worker.py MODE PROCESS_ID NUM_PROCESSES PORT`; prints
one JSON line with its results. MODE: collectives, train, dead_peer (process
1 dies mid-run), frozen_peer (process 1 stops answering) or alone (the
peers never join).
"""

import json
import os
import signal
import sys

import numpy as np

LOCAL_DEVICES = 2
STEPS = 20
LR = 0.1


def global_data(num_devices):
  """The linear-regression data: 4 rows per device."""
  rng = np.random.RandomState(0)
  x = rng.standard_normal((num_devices * 4, 3)).astype(np.float32)
  y = (x @ np.array([1.0, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)
  return x, y


def loss(params, x, y):
  import morphax.numpy as jnp
  w, b = params
  return jnp.mean((x @ w + b - y) ** 2)


def collectives(morphax, lax, first):
  """psum and all_gather of each device's global index over all devices."""
  x = (first + np.arange(LOCAL_DEVICES, dtype=np.float32))[:, None] * np.ones((1, 3), np.float32)
  f = morphax.pmap(lambda a: (lax.psum(a, "i"), lax.all_gather(a, "i"), lax.axis_index("i")),
                   axis_name="i")
  total, gathered, index = f(x)
  return {"psum": np.asarray(total.addressable_shards[0]).tolist(),
          "all_gather": np.asarray(gathered.addressable_shards[1]).tolist(),
          "axis_index": [int(np.asarray(s)) for s in index.addressable_shards]}


def train(morphax, lax, first, num_devices):
  """20 steps of data-parallel SGD: local gradients, pmean, update."""
  x, y = global_data(num_devices)
  rows = slice(first * 4, (first + LOCAL_DEVICES) * 4)
  xs = x[rows].reshape(LOCAL_DEVICES, 4, 3)
  ys = y[rows].reshape(LOCAL_DEVICES, 4)

  def step(params, xb, yb):
    grads = lax.pmean(morphax.grad(loss)(params, xb, yb), "batch")
    return tuple(p - LR * g for p, g in zip(params, grads))
  pstep = morphax.pmap(step, axis_name="batch")
  params = (np.zeros((LOCAL_DEVICES, 3), np.float32), np.zeros((LOCAL_DEVICES,), np.float32))
  for _ in range(STEPS):
    params = pstep(params, xs, ys)
  return {"w": np.asarray(params[0].addressable_shards[0]).tolist(),
          "b": float(np.asarray(params[1].addressable_shards[0]))}


def main():
  mode, process_id, num_processes, port = sys.argv[1:5]
  process_id, num_processes = int(process_id), int(num_processes)
  import morphax
  from morphax import lax
  if mode == "collectives":  # the coordinates from the environment
    os.environ.update(MORPHAX_COORDINATOR=f"127.0.0.1:{port}",
                      MORPHAX_NUM_PROCESSES=str(num_processes),
                      MORPHAX_PROCESS_ID=str(process_id))
    address = num_processes = process_id = None
  else:
    address = f"127.0.0.1:{port}"
  morphax.distributed.initialize(address, num_processes, process_id,
                                 local_device_count=LOCAL_DEVICES,
                                 initialization_timeout=3 if mode == "alone" else 30,
                                 heartbeat_timeout=5)
  first = morphax.process_index() * LOCAL_DEVICES
  out = {"process_index": morphax.process_index(), "process_count": morphax.process_count(),
         "devices": len(morphax.devices()), "local_devices": len(morphax.local_devices())}
  if mode == "collectives":
    out.update(collectives(morphax, lax, first))
  elif mode == "train":
    out.update(train(morphax, lax, first, len(morphax.devices())))
  elif mode in ("dead_peer", "frozen_peer"):
    collectives(morphax, lax, first)  # everyone is up and talking
    if first and mode == "dead_peer":
      os._exit(3)                       # dies without leaving the run
    if first:
      os.kill(os.getpid(), signal.SIGSTOP)  # alive but silent: no heartbeats
    for _ in range(200):                # the survivor keeps going: it must fail
      collectives(morphax, lax, first)
  print(json.dumps(out), flush=True)
  morphax.distributed.shutdown()


if __name__ == "__main__":
  main()
