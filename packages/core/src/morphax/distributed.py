"""Several processes, one program: initialize() joins this process to a
distributed run (jaxlib's coordination service, gloo collectives on CPU).
"""

import atexit
import os
import sys
import threading
import time

from jaxlib import _jax

from .runtime import backend

ARGUMENT_MESSAGE = (
    "distributed.initialize: {name} is not set; pass {name}= or set "
    "{env} (coordinator_address, num_processes and process_id are needed).")
PROCESS_ID_MESSAGE = (
    "distributed.initialize: process_id={process_id} is not in "
    "[0, num_processes={num_processes}).")
CONNECT_MESSAGE = (
    "distributed.initialize: process {process_id} could not join the run at "
    "{address} within initialization_timeout={timeout} s: not every one of the "
    "{num_processes} processes reached the coordinator ({error}).")
ALREADY_MESSAGE = (
    "distributed.initialize was already called in this process; call "
    "distributed.shutdown() first.")

PEER_SILENT_MESSAGE = (
    "morphax.distributed: process {peer} of the run has not signalled for {timeout} s "
    "(heartbeat_timeout): it died, hung or lost the network. The collectives "
    "waiting on it can never finish, so process {me} exits (status {code}); "
    "restart every process of the run (from a checkpoint).")
SERVICE_ERROR_MESSAGE = (
    "morphax.distributed: the coordination service reports a failure (a peer "
    "process died, hung or never joined): {error}")

PEER_LOST_EXIT_CODE = 75

_ENV = {"coordinator_address": "MORPHAX_COORDINATOR",
        "num_processes": "MORPHAX_NUM_PROCESSES",
        "process_id": "MORPHAX_PROCESS_ID"}


class _State:
  service = None
  client = None
  process_id = 0
  num_processes = 1
  error = None
  connecting = False
  watchdog = None


_state = _State()


def _from_env(name, value, convert):
  if value is not None:
    return value
  raw = os.environ.get(_ENV[name])
  if raw is None or raw == "":
    raise ValueError(ARGUMENT_MESSAGE.format(name=name, env=_ENV[name]))
  return convert(raw)


def initialize(coordinator_address=None, num_processes=None, process_id=None,
               local_device_count=None, initialization_timeout=300,
               heartbeat_timeout=100):
  """Joins a run of `num_processes` processes coordinated at
  `coordinator_address` ("host:port"; process 0 serves it). Call before any
  other morphax work. Then devices() lists every process's devices,
  local_devices() this one's, and pmap spans them all.

  Missing arguments come from MORPHAX_COORDINATOR, MORPHAX_NUM_PROCESSES
  and MORPHAX_PROCESS_ID. A peer that does not join within
  `initialization_timeout` seconds, or stops answering for
  `heartbeat_timeout` seconds, makes the others fail instead of hang.
  `local_device_count` sets this process's CPU device count (default:
  MORPHAX_NUM_CPU_DEVICES or 1).
  """
  if _state.client is not None:
    raise RuntimeError(ALREADY_MESSAGE)
  address = _from_env("coordinator_address", coordinator_address, str)
  num_processes = _from_env("num_processes", num_processes, int)
  process_id = _from_env("process_id", process_id, int)
  if not 0 <= process_id < num_processes:
    raise ValueError(PROCESS_ID_MESSAGE.format(process_id=process_id,
                                               num_processes=num_processes))
  if backend.started():
    raise RuntimeError(backend.STARTED_MESSAGE.format(
        what="morphax.distributed.initialize"))
  init_timeout = int(initialization_timeout)
  heartbeat = max(1, int(heartbeat_timeout))
  # jaxlib's own heartbeats only back up the watchdog (theirs end the
  # process with a C++ abort): give them more time than ours.
  service_heartbeat = 2 * heartbeat + 5
  if process_id == 0:
    bind = "[::]:" + address.rsplit(":", 1)[1]
    _state.service = _jax.get_distributed_runtime_service(
        bind, num_processes, heartbeat_timeout=service_heartbeat,
        cluster_register_timeout=init_timeout, shutdown_timeout=init_timeout)
  client = _jax.get_distributed_runtime_client(
      address, process_id, init_timeout=init_timeout, heartbeat_timeout=service_heartbeat,
      shutdown_timeout=init_timeout, shutdown_on_destruction=False,
      missed_heartbeat_callback=_on_service_error)
  _state.connecting = True
  try:
    client.connect()
  except Exception as e:  # the coordinator or a peer never came
    _stop_service()
    raise RuntimeError(CONNECT_MESSAGE.format(
        process_id=process_id, address=address, timeout=init_timeout,
        num_processes=num_processes,
        error=_state.error or str(e).splitlines()[0][:300])) from None
  finally:
    _state.connecting = False
  _state.client = client
  _state.process_id = process_id
  _state.num_processes = num_processes
  host = address.rsplit(":", 1)[0].strip("[]")
  collectives = _jax.make_gloo_tcp_collectives(
      client, hostname=host if host in ("127.0.0.1", "localhost") else None)
  options = dict(distributed_client=client, node_id=process_id,
                 num_nodes=num_processes, collectives=collectives)
  if local_device_count is not None:
    options["num_devices"] = int(local_device_count)
  backend.set_cpu_client_options(**options)
  _state.watchdog = _Watchdog(client, process_id, num_processes, heartbeat)
  _state.watchdog.start()
  atexit.register(shutdown)


def _on_service_error(status, *args):
  """The coordination service lost a peer (no heartbeat for
  heartbeat_timeout seconds) or never saw it join. While connecting, the
  error is recorded and initialize() raises it. Later a collective may be
  waiting forever on the lost peer, which nothing can cancel: the process
  says why and exits with status PEER_LOST_EXIT_CODE (jaxlib's own default
  aborts with a C++ stack trace)."""
  _state.error = str(status).splitlines()[0][:400]
  print(SERVICE_ERROR_MESSAGE.format(error=_state.error), file=sys.stderr, flush=True)
  if not _state.connecting:
    os._exit(PEER_LOST_EXIT_CODE)


def _stop_service():
  if _state.service is not None:
    _state.service.shutdown()
    _state.service = None


class _Watchdog(threading.Thread):
  """Each process beats a counter in the coordination service's key-value
  store every second and watches its peers' counters: a peer whose counter
  stands still for `timeout` seconds (dead, stopped, cut off) ends this
  process with a message saying so, instead of a collective waiting on it
  forever. A peer that left through shutdown() is no longer watched."""

  def __init__(self, client, process_id, num_processes, timeout):
    super().__init__(name="morphax-distributed-watchdog", daemon=True)
    self.client = client
    self.me = process_id
    self.peers = [p for p in range(num_processes) if p != process_id]
    self.timeout = timeout
    self.stopped = threading.Event()

  def run(self):
    start = time.monotonic()
    seen = {p: (None, start) for p in self.peers}
    beat = 0
    while not self.stopped.wait(min(1.0, self.timeout / 3)):
      beat += 1
      now = time.monotonic()
      try:
        self.client.key_value_set(f"morphax/beat/{self.me}", str(beat), allow_overwrite=True)
      except Exception:  # the service itself is gone: jaxlib ends the process
        continue
      for peer in list(self.peers):
        if self._read(f"morphax/left/{peer}") is not None:
          self.peers.remove(peer)
          continue
        value = self._read(f"morphax/beat/{peer}")
        if value != seen[peer][0]:
          seen[peer] = (value, now)
        elif now - seen[peer][1] > self.timeout and not self.stopped.is_set():
          print(PEER_SILENT_MESSAGE.format(peer=peer, timeout=self.timeout, me=self.me,
                                           code=PEER_LOST_EXIT_CODE),
                file=sys.stderr, flush=True)
          os._exit(PEER_LOST_EXIT_CODE)

  def _read(self, key):
    try:
      return self.client.key_value_try_get(key)
    except Exception:  # not written yet
      return None

  def leave(self):
    self.stopped.set()
    try:
      self.client.key_value_set(f"morphax/left/{self.me}", "1", allow_overwrite=True)
    except Exception:
      pass


def shutdown():
  """Leaves the distributed run (waits for the peers to leave too)."""
  client, _state.client = _state.client, None
  watchdog, _state.watchdog = _state.watchdog, None
  if watchdog is not None:
    watchdog.leave()
  if client is not None:
    try:
      client.shutdown()
    except Exception:  # a peer already gone: leaving alone is all that is left
      pass
  _stop_service()


def is_initialized():
  """True between initialize() and shutdown()."""
  return _state.client is not None
