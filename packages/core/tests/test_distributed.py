"""Two processes x two CPU devices on loopback (jaxlib's distributed runtime,
gloo collectives): collectives across processes, a data-parallel training
loop against the single-process run, and the failures of a dead or absent
peer. Every process runs in a subprocess bounded by a timeout.
"""

import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

import morphax
import morphax.numpy as jnp

WORKER = pathlib.Path(__file__).with_name("distributed_worker.py")
sys.path.insert(0, str(WORKER.parent))
import distributed_worker  # noqa: E402

TIMEOUT = 90  # seconds any worker may take; the runs take a few


def free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def spawn(mode, num_processes=2, ids=None):
  port = free_port()
  env = dict(os.environ)
  env.pop("MORPHAX_NUM_CPU_DEVICES", None)
  return [subprocess.Popen([sys.executable, str(WORKER), mode, str(i), str(num_processes),
                            str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
          for i in (ids if ids is not None else range(num_processes))]


def finish(procs):
  """(returncode, stdout, stderr) of each process, killing any that hangs."""
  results = []
  for p in procs:
    try:
      out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
      for q in procs:
        q.kill()
      raise AssertionError(f"a worker hung for {TIMEOUT} s") from None
    results.append((p.returncode, out, err))
  return results


def outputs(procs):
  results = finish(procs)
  for code, out, err in results:
    assert code == 0, err[-3000:]
  return [json.loads(out.strip().splitlines()[-1]) for _, out, _ in results]


def test_initialize_checks_its_arguments(monkeypatch):
  for name in ("MORPHAX_COORDINATOR", "MORPHAX_NUM_PROCESSES", "MORPHAX_PROCESS_ID"):
    monkeypatch.delenv(name, raising=False)
  with pytest.raises(ValueError, match="coordinator_address is not set; pass "
                                       "coordinator_address= or set MORPHAX_COORDINATOR"):
    morphax.distributed.initialize()
  with pytest.raises(ValueError, match=r"process_id=5 is not in \[0, num_processes=2\)"):
    morphax.distributed.initialize("127.0.0.1:1", 2, 5)
  morphax.devices()  # the backend has started in this process: too late
  with pytest.raises(RuntimeError, match="must be called before morphax starts its backend"):
    morphax.distributed.initialize("127.0.0.1:1", 2, 1)
  assert not morphax.distributed.is_initialized()
  assert (morphax.process_index(), morphax.process_count()) == (0, 1)


def test_collectives_cross_processes():
  outs = outputs(spawn("collectives"))
  for rank, out in enumerate(outs):
    assert (out["process_index"], out["process_count"]) == (rank, 2)
    assert (out["devices"], out["local_devices"]) == (4, 2)
    assert out["psum"] == [0.0 + 1 + 2 + 3] * 3
    np.testing.assert_array_equal(out["all_gather"],
                                  np.arange(4)[:, None] * np.ones((1, 3)))
    assert out["axis_index"] == [2 * rank, 2 * rank + 1]


def test_data_parallel_training_matches_single_process():
  outs = outputs(spawn("train"))
  x, y = distributed_worker.global_data(4)
  params = (np.zeros(3, np.float32), np.float32(0.0))
  grad = morphax.jit(morphax.grad(distributed_worker.loss))
  for _ in range(distributed_worker.STEPS):
    g = grad(params, x, y)
    params = tuple(p - distributed_worker.LR * gi for p, gi in zip(params, g))
  for out in outs:
    np.testing.assert_allclose(out["w"], np.asarray(params[0]), atol=1e-5)
    np.testing.assert_allclose(out["b"], float(params[1]), atol=1e-5)
  assert float(jnp.abs(params[0] - np.array([1.0, -2.0, 0.5])).max()) < 0.1


def test_a_dead_peer_makes_the_survivor_fail_clearly():
  (code0, _, err0), (code1, _, _) = finish(spawn("dead_peer"))
  assert code1 == 3
  assert code0 != 0
  assert "a peer process of this distributed run died or disconnected" in err0


def test_a_peer_that_never_joins_times_out_clearly():
  (code, _, err), = finish(spawn("alone", ids=[0]))
  assert code != 0
  assert "could not join the run" in err and "initialization_timeout=3 s" in err


def test_a_frozen_peer_is_detected_by_heartbeats():
  """A peer that stops (SIGSTOP) keeps its sockets open, so the survivor's
  collective waits; the missed heartbeats (heartbeat_timeout=5) end it."""
  survivor, frozen = spawn("frozen_peer")
  try:
    code, _, err = finish([survivor])[0]
  finally:
    frozen.kill()
    frozen.communicate(timeout=TIMEOUT)
  assert code == morphax.distributed.PEER_LOST_EXIT_CODE, err[-2000:]
  assert "process 1 of the run has not signalled for 5 s (heartbeat_timeout)" in err
