"""examples/mlp: trains, resumes exactly where it stopped, and runs
data-parallel over two CPU devices (a few steps each)."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "examples" / "mlp" / "train.py"


def train(workdir, *args):
  env = {k: v for k, v in os.environ.items() if k != "MORPHAX_NUM_CPU_DEVICES"}
  result = subprocess.run(
      [sys.executable, str(TRAIN), "--workdir", str(workdir), "--no-progress",
       "--eval-every", "10", *args],
      capture_output=True, text=True, env=env, timeout=240)
  assert result.returncode == 0, result.stdout + result.stderr
  return result.stdout


def test_trains_and_prints_a_summary(tmp_path):
  out = train(tmp_path, "--steps", "60", "--plot")
  assert "scikit-learn digits" in out and "50,826 parameters" in out
  accuracy = float(out.split("test accuracy")[1].split("%")[0])
  # 60 steps of adamw on digits: far above chance (10%).
  assert accuracy > 80, out
  assert "steps          0 -> 60 of 60" in out
  rows = (tmp_path / "metrics.csv").read_text().splitlines()
  assert rows[0] == "step,train_loss,train_accuracy,test_accuracy"
  assert [r.split(",")[0] for r in rows[1:]] == ["10", "20", "30", "40", "50", "60"]
  losses = [float(r.split(",")[1]) for r in rows[1:]]
  assert losses[-1] < losses[0]
  assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_continues_the_curve_exactly(tmp_path):
  train(tmp_path / "whole", "--steps", "40")
  train(tmp_path / "split", "--steps", "40", "--stop-at", "20")
  out = train(tmp_path / "split", "--steps", "40", "--resume")
  assert "resumed from step 20" in out
  whole = (tmp_path / "whole" / "metrics.csv").read_text()
  assert (tmp_path / "split" / "metrics.csv").read_text() == whole


def test_two_devices_match_one(tmp_path):
  one = train(tmp_path / "one", "--steps", "20")
  two = train(tmp_path / "two", "--steps", "20", "--devices", "2")
  assert "on 2 device(s)" in two
  # pmean of per-device gradients = the global batch's gradient.
  rows = [(tmp_path / d / "metrics.csv").read_text().splitlines()[1:] for d in ("one", "two")]
  for a, b in zip(*rows):
    loss_a, loss_b = float(a.split(",")[1]), float(b.split(",")[1])
    assert abs(loss_a - loss_b) < 1e-4 * max(1.0, abs(loss_a)), (a, b)
