"""Benchmark of pmap: (x @ x.T, then psum over the devices) on
float32[4, 256, 256] over 4 CPU devices, morphax against JAX.

Run: python benchmarks/bench_pmap.py [--quick] [--jax-python PATH]
Each library runs in its own subprocess (never both in one process), with 4
CPU devices (MORPHAX_NUM_CPU_DEVICES / XLA_FLAGS); JAX comes from
--jax-python (default: this Python; `nox -s bench` installs jax beside morphax).
The timed call feeds the previous step's output back in, as a pmapped
training loop does, and blocks on its result. Trials alternate between the
libraries (--trials, default 3) and each keeps its best median, since a
shared machine's load comes and goes.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
SHAPE = (4, 256, 256)
TARGET = 1.2  # morphax / jax


def worker(library, quick):
  """Times the workload in this process with `library`; prints JSON."""
  sys.path.insert(0, str(HERE))
  import numpy as np
  from _timing import time_call
  if library == "jax":
    import jax as lib
    from jax import lax
  else:
    import morphax as lib
    from morphax import lax
  assert lib.device_count() >= SHAPE[0], lib.devices()
  x = np.random.RandomState(0).standard_normal(SHAPE).astype(np.float32) / 16
  step = lib.pmap(lambda a: lax.psum(a @ a.T, "i") / 64, axis_name="i")
  expected = (x @ x.transpose(0, 2, 1)).sum(0) / 64
  first = step(x)
  np.testing.assert_allclose(np.asarray(first)[1], expected, rtol=1e-4, atol=1e-5)
  state = {"y": first}

  def call():
    state["y"] = step(state["y"])
    state["y"].block_until_ready()

  def fresh():
    step(first).block_until_ready()
  result = {"library": library, "loop": time_call(call, quick),
            "same_input": time_call(fresh, quick)}
  print(json.dumps(result))


def run_worker(python, library, quick):
  env = dict(os.environ)
  env["MORPHAX_NUM_CPU_DEVICES"] = str(SHAPE[0])
  env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                      f" --xla_force_host_platform_device_count={SHAPE[0]}").strip()
  env.setdefault("JAX_PLATFORMS", "cpu")
  env.setdefault("MORPHAX_PLATFORMS", "cpu")
  cmd = [python, str(pathlib.Path(__file__).resolve()), "--worker", library]
  if quick:
    cmd.append("--quick")
  done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
  if done.returncode != 0:
    raise RuntimeError(f"{library} worker failed:\n{done.stderr[-3000:]}")
  return json.loads(done.stdout.strip().splitlines()[-1])


def best(trials):
  """Per workload, the trial with the lowest median."""
  return {key: min((t[key] for t in trials), key=lambda r: r["median_us"])
          for key in ("loop", "same_input")}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--quick", action="store_true", help="few rounds (noisy)")
  parser.add_argument("--jax-python", default=sys.executable,
                      help="a Python with jax installed")
  parser.add_argument("--trials", type=int, default=3, help="alternating runs per library")
  parser.add_argument("--worker", help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.worker:
    return worker(args.worker, args.quick)
  print(f"pmap (x @ x.T, psum) on float32{list(SHAPE)} over {SHAPE[0]} CPU devices")
  ours, theirs = [], []
  for _ in range(max(1, args.trials)):
    ours.append(run_worker(sys.executable, "morphax", args.quick))
    if theirs is not None:
      try:
        theirs.append(run_worker(args.jax_python, "jax", args.quick))
      except (RuntimeError, FileNotFoundError) as e:
        print(f"jax unavailable ({str(e).splitlines()[0]}); morphax alone")
        theirs = None
  ours = best(ours)
  theirs = best(theirs) if theirs else None
  print(f"{'workload':<28}{'morphax us':>12}{'jax us':>12}{'ratio':>8}  target <= {TARGET}")
  for key, label in (("loop", "output fed back (train loop)"),
                     ("same_input", "same sharded input")):
    m = ours[key]["median_us"]
    if theirs is None:
      print(f"{label:<28}{m:>12.1f}{'-':>12}{'-':>8}")
      continue
    j = theirs[key]["median_us"]
    flag = "ok" if m / j <= TARGET else "SLOW"
    print(f"{label:<28}{m:>12.1f}{j:>12.1f}{m / j:>8.2f}  {flag}")


if __name__ == "__main__":
  main()
