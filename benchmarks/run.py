"""Side-by-side eager benchmarks, morphax vs JAX: runs each library's
workloads in its own process (_worker.py) and prints one table.

    python benchmarks/run.py [--quick] [--json PATH] [--layers] [--profile]

JAX is measured when it is importable in this Python environment; without
it the morphax column is printed alone. See benchmarks/README.md.
"""

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile

import _timing
from _worker import CHAIN, WORKLOADS

HERE = pathlib.Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"

NO_JAX_NOTE = (
    "jax is not installed in this environment: morphax measured alone. For the "
    "side-by-side table run `nox -s bench`, or `pip install jax==<the jaxlib "
    "version>` here.")


def version_of(dist):
  try:
    return importlib.metadata.version(dist)
  except importlib.metadata.PackageNotFoundError:
    return None


def cpu_model():
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        if line.startswith("model name"):
          return line.split(":", 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or "unknown"


def machine_info():
  """The facts a reader needs to compare figures between runs."""
  try:
    usable = len(os.sched_getaffinity(0))
  except AttributeError:
    usable = os.cpu_count()
  return {
      "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
      "cpu": cpu_model(),
      "cpu_count": os.cpu_count(),
      "usable_cpus": usable,
      "os": platform.platform(),
      "python": platform.python_version(),
      "numpy": version_of("numpy"),
      "jaxlib": version_of("jaxlib"),
      "jax": version_of("jax"),
      "morphax": version_of("morphax"),
  }


def worker_env(platform_name):
  """The environment both workers run in: same platform, quiet logs."""
  env = dict(os.environ)
  env.setdefault("JAX_PLATFORMS", platform_name)
  env.setdefault("MORPHAX_PLATFORMS", platform_name)
  env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
  return env


def run_worker(lib, args, env, chain=None, extra=()):
  """Runs _worker.py for `lib`; its JSON report, or None if it failed."""
  with tempfile.TemporaryDirectory() as tmp:
    out = pathlib.Path(tmp) / f"{lib}.json"
    cmd = [sys.executable, str(WORKER), "--lib", lib, "--out", str(out)]
    if args.quick:
      cmd.append("--quick")
    if chain:
      cmd += ["--chain", ",".join(chain)]
    cmd += list(extra)
    proc = subprocess.run(cmd, env=env, cwd=HERE)
    if proc.returncode != 0 or not out.exists():
      print(f"\n!! the {lib} worker failed (exit code {proc.returncode}); "
            "its error is above.", file=sys.stderr)
      return None
    return json.loads(out.read_text())


def best_of(reports):
  """Per workload, the trial with the lowest median (noise only adds time)."""
  best = {}
  for report in reports:
    for key, result in report["results"].items():
      if key not in best or result["median_us"] < best[key]["median_us"]:
        best[key] = result
  return best


def best_layers(reports):
  """Per layer, the trial with the lowest median; None without layers."""
  best = {}
  for report in reports:
    for layer in report.get("layers") or ():
      label = layer["layer"]
      if label not in best or layer.get("median_us", float("inf")) < best[label].get(
          "median_us", float("inf")):
        best[label] = layer
  return list(best.values()) or None


def fmt(value, spec):
  return "-" if value is None else format(value, spec)


def table(rows, jax_measured):
  """The report table as text lines."""
  header = ["workload", "morphax us", "jax us", "ratio m/j", "target", "ok?"]
  lines = []
  for row in rows:
    target = row["target"]
    ok = ("-" if row["ratio"] is None or target is None
          else ("yes" if row["ratio"] <= target else "NO"))
    lines.append([row["label"], fmt(row["morphax_us"], ".2f"),
                  fmt(row["jax_us"], ".2f"), fmt(row["ratio"], ".2f"),
                  "-" if target is None else f"<= {target:g}", ok])
  if not jax_measured:
    header, lines = header[:2], [line[:2] for line in lines]
  widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
  def render(cells):
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(cells, widths)))
  return [render(header), render(["-" * w for w in widths])] + [render(l) for l in lines]


def collect_rows(morphax, jax):
  rows = []
  for key, label, target in WORKLOADS:
    m, j = morphax.get(key), jax.get(key) if jax else None
    if m is None and j is None:
      continue
    m_us = m["median_us"] if m else None
    j_us = j["median_us"] if j else None
    note = m["note"] if m else "not available in morphax yet"
    rows.append({
        "workload": key, "label": label + (" *" if note else ""),
        "target": target, "morphax_us": m_us, "jax_us": j_us,
        "ratio": m_us / j_us if m_us and j_us else None,
        "morphax": m, "jax": j, "note": note,
    })
  return rows


def print_layers(layers):
  print("\nmorphax eager add, layer by layer (median us, best trial; from the "
        "second row on, each row adds one layer to the row above):")
  width = max(len(layer["layer"]) for layer in layers)
  for layer in layers:
    value = (f"{layer['median_us']:8.2f}" if "median_us" in layer
             else f"  skipped ({layer['error']})")
    print(f"  {layer['layer'].ljust(width)}  {value}")


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--quick", action="store_true",
                      help="few warm-up calls and rounds (a smoke test, noisy)")
  parser.add_argument("--json", metavar="PATH", help="also write results here")
  parser.add_argument("--trials", type=int, default=None,
                      help="alternating morphax/jax runs; each workload keeps "
                      "its best trial (default 2, 1 with --quick)")
  parser.add_argument("--no-jax", action="store_true", help="skip the JAX side")
  parser.add_argument("--layers", action="store_true",
                      help="also time morphax's eager dispatch layer by layer")
  parser.add_argument("--profile", action="store_true",
                      help="print a cProfile of morphax's (and jax's) x + y")
  parser.add_argument("--platform", default="cpu",
                      help="backend for both libraries (default cpu)")
  parser.add_argument("--check", action="store_true",
                      help="exit with status 1 when a ratio misses its target")
  args = parser.parse_args(argv)
  trials = args.trials or (1 if args.quick else 2)

  info = machine_info()
  print("morphax vs JAX, eager dispatch on float32[100]")
  print(f"  date     {info['date']}")
  print(f"  machine  {info['cpu']}; {info['cpu_count']} CPUs "
        f"({info['usable_cpus']} usable); {info['os']}")
  print(f"  versions python {info['python']}, numpy {info['numpy']}, "
        f"jaxlib {info['jaxlib']}, jax {info['jax'] or '(not installed)'}, "
        f"morphax {info['morphax']}")
  print(f"  timing   {_timing.methodology(args.quick)}; best of {trials} "
        "alternating trial(s) per workload; each library in its own process")

  jax_available = not args.no_jax and importlib.util.find_spec("jax") is not None
  notes = []
  if not jax_available and not args.no_jax:
    notes.append(NO_JAX_NOTE)
  env = worker_env(args.platform)
  morphax_reports, jax_reports = [], []
  for trial in range(trials):
    extra = ["--layers"] if args.layers else []
    if trial == 0 and args.profile:
      extra.append("--profile")
    report = run_worker("morphax", args, env, extra=extra)
    if report is None:
      return 2
    morphax_reports.append(report)
    if jax_available:
      report = run_worker("jax", args, env, chain=morphax_reports[0]["chain"],
                          extra=["--profile"] if trial == 0 and args.profile else [])
      if report is None:
        notes.append("the jax worker failed: morphax measured alone")
        jax_available = False
        jax_reports = []
      else:
        jax_reports.append(report)

  chain = morphax_reports[0]["chain"]
  layers = best_layers(morphax_reports)
  rows = collect_rows(best_of(morphax_reports),
                      best_of(jax_reports) if jax_reports else None)
  print(f"  backend  morphax: {morphax_reports[0]['backend']}"
        + (f", jax: {jax_reports[0]['backend']}" if jax_reports else ""))
  print(f"  chain    {' -> '.join(chain) if chain else '(not run: ops missing)'}"
        " (binary ops take y as second operand)")
  print()
  for line in table(rows, bool(jax_reports)):
    print(line)
  if chain and list(chain) != [name for name, _ in CHAIN]:
    notes.append("the chain replaces the ops morphax lacks: planned "
                 + " -> ".join(name for name, _ in CHAIN))
  for row in rows:
    if row["note"]:
      notes.append(f"{row['label']}: {row['note']}")
  if layers:
    print_layers(layers)
  if notes:
    print()
  for note in notes:
    print(f"note: {note}")

  missed = [r["label"] for r in rows
            if r["target"] is not None and r["ratio"] is not None
            and r["ratio"] > r["target"]]
  if jax_reports:
    print("\n" + ("all ratios within target" if not missed
                  else f"missing the target: {', '.join(missed)}"))
  if args.json:
    result = {
        "machine": info, "methodology": _timing.methodology(args.quick),
        "trials": trials, "quick": args.quick, "chain": chain,
        "jax_measured": bool(jax_reports), "rows": rows, "layers": layers,
        "notes": notes, "missed_target": missed,
    }
    pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {args.json}")
  return 1 if args.check and missed else 0


if __name__ == "__main__":
  sys.exit(main())
