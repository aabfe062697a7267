"""The examples run end to end and print what a person wants to see."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_example(name, *args):
  env = dict(os.environ)
  env.pop("TF_CPP_MIN_LOG_LEVEL", None)
  return subprocess.run([sys.executable, str(ROOT / "examples" / name), *args],
                        capture_output=True, text=True, env=env, timeout=300)


def test_demo_runs_cleanly():
  result = run_example("demo.py")
  assert result.returncode == 0, result.stderr
  # No jaxlib log lines or warnings reach the user's terminal.
  assert result.stderr == ""
  out = result.stdout
  assert "backend 'cpu'" in out
  assert "int8 array + 1                  -> Array([2, 3, 4], dtype=int8)" in out
  assert "top_k([3, 9, 1, 7], 2)          -> [9. 7.] [1 3]" in out
  assert "cannot be broadcast" in out or "broadcast" in out
  assert "us per op" in out
  assert "grad(loss)(w, x[:3])" in out and "reduce_sum" in out
