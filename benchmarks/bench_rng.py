"""Benchmark of morphax_rng: jit'd normal(key, (10_000_000,)) against jax.random.

Run (in an environment with jax, e.g. `nox -s bench`): python benchmarks/bench_rng.py [--quick] [--size N]
(an environment with both jax and morphax_rng installed). Each library runs
in its own subprocess (`--worker morphax|jax`): both attach methods to
jaxlib's C++ classes, so they never share a process. Timing is
_timing.time_call (warm-up, calibrated rounds, block_until_ready).
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing  # noqa: E402

TARGET = 1.2  # morphax / jax


def worker(lib, size, quick):
  """Times one library and prints its result as JSON on stdout's last line."""
  if lib == "jax":
    import jax
    import jax.random as random
  else:
    import morphax as jax
    import morphax_rng as random
  key = random.PRNGKey(0)
  f = jax.jit(lambda k: random.normal(k, (size,)))
  f(key).block_until_ready()
  result = _timing.time_call(lambda: f(key).block_until_ready(), quick=quick)
  print(json.dumps(result))


def run(lib, size, quick):
  """Starts one worker subprocess; returns its timing dict."""
  cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--size", str(size)]
  if quick:
    cmd.append("--quick")
  print(f"  timing {lib} ...", file=sys.stderr, flush=True)
  out = subprocess.run(cmd, check=True, capture_output=True, text=True)
  return json.loads(out.stdout.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--size", type=int, default=10_000_000)
  parser.add_argument("--quick", action="store_true")
  parser.add_argument("--worker", choices=("morphax", "jax"))
  args = parser.parse_args()
  if args.worker:
    worker(args.worker, args.size, args.quick)
    return
  res = {lib: run(lib, args.size, args.quick) for lib in ("morphax", "jax")}
  ratio = res["morphax"]["median_us"] / res["jax"]["median_us"]
  print(f"jit(normal(key, ({args.size:_},))), float32, {_timing.methodology(args.quick)}")
  print(f"{'library':<10}{'median ms':>12}{'min ms':>10}{'max ms':>10}")
  for lib in ("morphax", "jax"):
    r = res[lib]
    print(f"{lib:<10}{r['median_us'] / 1e3:>12.2f}{r['min_us'] / 1e3:>10.2f}{r['max_us'] / 1e3:>10.2f}")
  verdict = "ok" if ratio <= TARGET else "SLOWER than target"
  print(f"ratio morphax/jax = {ratio:.2f} (target <= {TARGET}): {verdict}")


if __name__ == "__main__":
  main()
