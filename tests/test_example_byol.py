"""Smoke runs of examples/byol: the summary reports the three linear
probes, --resume continues the metrics exactly, --devices 2 trains."""

import csv
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "examples" / "byol" / "train.py"
# Small and quick: 6 steps of 32 images, a probe and a checkpoint every 3.
SMALL = ["--steps", "6", "--batch-size", "32", "--eval-every", "3", "--warmup", "2",
         "--no-progress"]
PROBES = ("BYOL encoder", "random encoder", "raw pixels")


def run_byol(workdir, *args):
  """Run train.py in a fresh process; fail with its output if it fails."""
  env = dict(os.environ)
  env.pop("MORPHAX_NUM_CPU_DEVICES", None)
  result = subprocess.run([sys.executable, str(TRAIN), *SMALL, "--workdir", str(workdir),
                           *args], capture_output=True, text=True, env=env, timeout=300)
  assert result.returncode == 0, result.stdout + result.stderr
  return result.stdout


def probe_accuracies(out):
  """{probe name: accuracy in percent} from the summary."""
  found = {}
  for name in PROBES:
    match = re.search(rf"linear probe, {name}\s+([\d.]+)% test accuracy", out)
    assert match, f"summary lacks the {name} probe:\n{out}"
    found[name] = float(match.group(1))
  return found


def read_rows(path):
  with open(path, newline="") as f:
    return list(csv.DictReader(f))


def test_summary_and_exact_resume(tmp_path):
  full = run_byol(tmp_path / "full")
  accuracies = probe_accuracies(full)
  # Ten classes: every probe is far above chance (10%) even after 6 steps.
  assert all(50 < a <= 100 for a in accuracies.values()), accuracies
  assert "0 -> 6 of 6" in full
  rows = read_rows(tmp_path / "full" / "metrics.csv")
  assert [int(r["step"]) for r in rows] == [3, 6]
  assert all(0 <= float(r["train_loss"]) <= 4 for r in rows)  # 2 - 2cos, two views

  part = tmp_path / "part"
  first = run_byol(part, "--stop-at", "3")
  assert "0 -> 3 of 6" in first
  assert read_rows(part / "metrics.csv") == rows[:1]
  resumed = run_byol(part, "--resume")
  assert "resumed from step 3" in resumed and "3 -> 6 of 6" in resumed
  assert read_rows(part / "metrics.csv") == rows
  assert probe_accuracies(resumed) == accuracies


def test_data_parallel_on_two_devices(tmp_path):
  out = run_byol(tmp_path, "--devices", "2")
  probe_accuracies(out)
  assert "on 2 device(s)" in out
  rows = read_rows(tmp_path / "metrics.csv")
  assert [int(r["step"]) for r in rows] == [3, 6]
  assert all(0 <= float(r["train_loss"]) <= 4 for r in rows)


def load_train_module():
  """examples/byol/train.py as a module (its flags are parsed before any
  morphax import, so bad flags fail fast in-process)."""
  spec = importlib.util.spec_from_file_location("byol_train", TRAIN)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


@pytest.mark.parametrize("flags, message", [
    (["--stop-at", "0"], "--stop-at must be between 1 and --steps"),
    (["--tau", "1.5"], r"--tau is the target's EMA rate at step 0, in \[0, 1\].*got 1.5"),
    (["--widths", "8", "0"], "--widths, --hidden and --projection must be positive"),
])
def test_bad_flags_are_named(tmp_path, capsys, flags, message):
  with pytest.raises(SystemExit):
    load_train_module().main([*flags, "--workdir", str(tmp_path)])
  assert re.search(message, capsys.readouterr().err)
