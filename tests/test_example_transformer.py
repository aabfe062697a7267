"""Smoke tests of examples/transformer: a few steps of a tiny model print
the summary and a sample, `--resume` continues the curve exactly, `--devices
2` trains data-parallel, and bad flags get clear errors."""

import csv
import importlib.util
import math
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "examples" / "transformer" / "train.py"
# A tiny model: the run is about compiling and wiring, not learning.
TINY = ["--d-model", "32", "--num-heads", "2", "--num-layers", "1", "--seq-len", "16",
        "--batch-size", "4", "--eval-batches", "2", "--warmup", "2", "--no-progress"]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
  """Real English: the packages' READMEs, one UTF-8 file."""
  path = tmp_path_factory.mktemp("text") / "readmes.txt"
  path.write_text("\n\n".join(p.read_text(encoding="utf-8")
                              for p in sorted(ROOT.glob("packages/*/README.md"))),
                  encoding="utf-8")
  return path


def run(workdir, text_file, *args, devices=None):
  env = dict(os.environ)
  env.pop("TF_CPP_MIN_LOG_LEVEL", None)
  env.pop("MORPHAX_NUM_CPU_DEVICES", None)
  result = subprocess.run(
      [sys.executable, str(TRAIN), *TINY, "--text", str(text_file),
       "--workdir", str(workdir), *args],
      capture_output=True, text=True, env=env, timeout=300)
  assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
  return result.stdout


def rows(workdir):
  with open(workdir / "metrics.csv", newline="") as f:
    return list(csv.DictReader(f))


def test_trains_samples_and_resumes_exactly(tmp_path, text_file):
  out = run(tmp_path / "full", text_file, "--steps", "6", "--eval-every", "3",
            "--sample", "24", "--prompt", "The ")
  assert "unigram baseline:" in out and "bits/byte on validation" in out
  assert "--- sample (24 bytes, temperature 0.8) ---\nThe " in out
  assert "Byte transformer on " in out and "steps             0 -> 6 of 6" in out
  assert "tokens/s" in out
  full = rows(tmp_path / "full")
  assert [r["step"] for r in full] == ["3", "6"]
  for r in full:  # bits per byte is the loss in nats over ln 2
    assert float(r["val_bits_per_byte"]) == pytest.approx(
        float(r["val_loss"]) / math.log(2), abs=1e-3)
  # The same run stopped halfway (same schedule), then resumed.
  part = tmp_path / "part"
  run(part, text_file, "--steps", "6", "--stop-at", "3", "--eval-every", "3")
  assert [r["step"] for r in rows(part)] == ["3"]
  out = run(part, text_file, "--steps", "6", "--eval-every", "3", "--resume")
  assert "resumed from step 3" in out and "steps             3 -> 6 of 6" in out
  assert rows(part) == full


def test_data_parallel_over_two_devices(tmp_path, text_file):
  out = run(tmp_path, text_file, "--steps", "2", "--eval-every", "2", "--devices", "2",
            "--tie-embeddings", "--plot")
  assert "batch 4 on 2 device(s)" in out and "tied embeddings" in out
  assert [r["step"] for r in rows(tmp_path)] == ["2"]
  if importlib.util.find_spec("matplotlib"):
    assert (tmp_path / "curves.png").stat().st_size > 1000
  else:  # matplotlib is optional: the run says how to get the plot
    assert "--plot needs matplotlib" in out


def import_train():
  sys.path.insert(0, str(TRAIN.parent))
  try:
    import train
  finally:
    sys.path.remove(str(TRAIN.parent))
  return train


def test_unigram_baseline_matches_a_loop():
  train = import_train()
  rng = np.random.default_rng(0)
  corpus = rng.integers(97, 100, 500).astype(np.uint8)
  held_out = np.frombuffer(b"abcabd", np.uint8)
  counts = {b: 1 for b in range(256)}
  for b in corpus:
    counts[int(b)] += 1
  total = sum(counts.values())
  expected = -sum(math.log2(counts[int(b)] / total) for b in held_out) / len(held_out)
  assert train.unigram_bits(corpus, held_out) == pytest.approx(expected, rel=1e-12)


def test_windows_are_inputs_with_next_byte_targets():
  train = import_train()
  tokens = np.arange(10, dtype=np.uint8)
  starts = train.windows(tokens, 3)
  np.testing.assert_array_equal(starts, [0, 3, 6])
  np.testing.assert_array_equal(train.gather(tokens, starts[1:], 3), [[3, 4, 5, 6],
                                                                     [6, 7, 8, 9]])


@pytest.mark.parametrize("flags, message", [
    (["--d-model", "30", "--num-heads", "4"], "--d-model 30 is not divisible by --num-heads 4"),
    (["--seq-len", "1"], "--seq-len must be at least 2, got 1"),
    (["--temperature", "0"], "--temperature must be > 0, got 0.0"),
    (["--sample", "-1"], "--sample must be >= 0 bytes, got -1"),
    (["--eval-batches", "0"], "--eval-batches must be at least 1, got 0"),
])
def test_bad_flags_are_named(tmp_path, capsys, flags, message):
  train = import_train()
  with pytest.raises(SystemExit):
    train.main([*flags, "--workdir", str(tmp_path)])
  assert message in capsys.readouterr().err
