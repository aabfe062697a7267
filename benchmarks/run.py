"""Side-by-side benchmarks, morphax vs JAX: eager dispatch, cached jit calls,
an MLP train step (first call and steady state), per-example gradients and
eager grad. Each library runs in its own processes (_worker.py); one table.

    python benchmarks/run.py [--quick] [--json PATH] [--layers] [--profile [WORKLOAD]]

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
import shutil
import statistics
import subprocess
import sys
import tempfile

import _timing
from _worker import CACHE_SPEEDUP_TARGET, CHAIN, FIRST_CALL, WORKLOADS

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
  """The environment both workers run in: same platform, quiet logs, and
  both persistent compilation caches off (morphax's is on by default;
  JAX's is on only when a directory is configured)."""
  env = dict(os.environ)
  env.setdefault("JAX_PLATFORMS", platform_name)
  env.setdefault("MORPHAX_PLATFORMS", platform_name)
  env.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
  env["MORPHAX_CACHE_DIR"] = ""
  env.pop("JAX_COMPILATION_CACHE_DIR", None)
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
  """Per workload, the trial with the lowest median (noise only adds time);
  a workload that failed in every trial keeps its error."""
  best = {}
  for report in reports:
    for key, result in report["results"].items():
      if key not in best or "error" in best[key] or (
          "error" not in result and result["median_us"] < best[key]["median_us"]):
        best[key] = result
  return best


def first_call_runs(lib, args, env, runs, cache_dir=None):
  """`runs` fresh processes each timing the MLP step's first call; their
  reports (a failed process gives {"error": ...})."""
  if cache_dir is not None:
    env = dict(env, MORPHAX_CACHE_DIR=str(cache_dir))
  reports = []
  for _ in range(runs):
    report = run_worker(lib, args, env, extra=["--first-call"])
    reports.append(report or {"error": f"the {lib} worker failed (see above)"})
  return reports


def summarize_first_calls(reports):
  """Median, min and max first-call seconds and median phases, or the error."""
  ok = [r for r in reports if "error" not in r]
  if not ok:
    return {"error": reports[0]["error"]} if reports else None
  times = [r["first_call_s"] for r in ok]
  phases = {}
  for name in ("trace_s", "lower_s", "compile_s"):
    values = [r["phases"][name] for r in ok if name in r.get("phases", {})]
    if values:
      phases[name] = statistics.median(values)
  return {"median_s": statistics.median(times), "min_s": min(times),
          "max_s": max(times), "runs": len(times), "phases": phases,
          "import_s": statistics.median(r["import_s"] for r in ok),
          "cache": ok[0].get("morphax_cache_dir", ok[0].get("jax_compilation_cache_dir"))}


def cache_pairs(args, env, runs):
  """`runs` pairs of fresh morphax processes sharing a new empty cache
  directory: the first fills it (cold), the second reads it (warm)."""
  pairs = []
  for _ in range(runs):
    cache_dir = tempfile.mkdtemp(prefix="morphax-bench-cache-")  # mode 0700
    try:
      cold = first_call_runs("morphax", args, env, 1, cache_dir)[0]
      warm = first_call_runs("morphax", args, env, 1, cache_dir)[0]
    finally:
      shutil.rmtree(cache_dir, ignore_errors=True)
    pairs.append((cold, warm))
  return pairs


def summarize_cache(pairs):
  """Median cold and warm first-call seconds and their ratio, or the error."""
  failed = [r["error"] for pair in pairs for r in pair if "error" in r]
  if failed:
    return {"error": failed[0]}
  cold = summarize_first_calls([c for c, _ in pairs])
  warm = summarize_first_calls([w for _, w in pairs])
  return {"cold": cold, "warm": warm,
          "speedup": cold["median_s"] / warm["median_s"],
          "target": CACHE_SPEEDUP_TARGET}


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


def fmt_time(us):
  """A duration in microseconds, in the unit that suits it."""
  if us is None:
    return "-"
  if us < 1e3:
    return f"{us:.2f} us"
  if us < 1e6:
    return f"{us / 1e3:.2f} ms"
  return f"{us / 1e6:.3f} s"


def cell(result, us):
  """A table cell: the time, or the start of the error."""
  if result is not None and "error" in result:
    text = "error: " + result["error"]
    return text if len(text) <= 40 else text[:37] + "..."
  return fmt_time(us)


def table(rows, jax_measured):
  """The report table as text lines."""
  header = ["workload", "morphax", "jax", "ratio m/j", "target", "ok?"]
  lines = []
  for row in rows:
    target = row["target"]
    ok = ("-" if row["ratio"] is None or target is None
          else ("yes" if row["ratio"] <= target else "NO"))
    if row["morphax"] and "error" in row["morphax"]:
      ok = "ERR"
    lines.append([row["label"], cell(row["morphax"], row["morphax_us"]),
                  cell(row["jax"], row["jax_us"]), fmt(row["ratio"], ".2f"),
                  "-" if target is None else f"<= {target:g}", ok])
  if not jax_measured:
    header, lines = header[:2], [line[:2] for line in lines]
  widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
  def render(cells):
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(cells, widths)))
  return [render(header), render(["-" * w for w in widths])] + [render(l) for l in lines]


def make_row(key, label, target, m, j, m_us, j_us, note=""):
  ok = m_us is not None and j_us is not None
  return {"workload": key, "label": label + (" *" if note else ""),
          "target": target, "morphax_us": m_us, "jax_us": j_us,
          "ratio": m_us / j_us if ok and j_us else None,
          "morphax": m, "jax": j, "note": note}


def collect_rows(morphax, jax, first_calls=None):
  """Table rows: the steady workloads, then the first call (if measured)."""
  rows = []
  for key, label, target in WORKLOADS:
    m, j = morphax.get(key), jax.get(key) if jax else None
    if m is None and j is None:
      continue
    m_us = m.get("median_us") if m else None
    j_us = j.get("median_us") if j else None
    note = m["note"] if m else "not available in morphax yet"
    rows.append(make_row(key, label, target, m, j, m_us, j_us, note))
  if first_calls:
    key, label, target = FIRST_CALL
    m, j = first_calls.get("morphax"), first_calls.get("jax")
    seconds = lambda r: r["median_s"] * 1e6 if r and "median_s" in r else None
    rows.append(make_row(key, label, target, m, j, seconds(m), seconds(j)))
  return rows


def print_layers(layers):
  print("\nmorphax eager add, layer by layer (median us, best trial; from the "
        "second row on, each row adds one layer to the row above):")
  width = max(len(layer["layer"]) for layer in layers)
  for layer in layers:
    value = (f"{layer['median_us']:8.2f}" if "median_us" in layer
             else f"  skipped ({layer['error']})")
    print(f"  {layer['layer'].ljust(width)}  {value}")


def print_first_calls(first_calls):
  """Where the first call's time goes, per library (medians)."""
  print("\nMLP train step first call, fresh process each (median of runs; "
        "phases as each library reports them):")
  for lib, summary in first_calls.items():
    if not summary or "error" in summary:
      continue
    phases = ", ".join(f"{name[:-2]} {value * 1e3:.0f} ms"
                       for name, value in summary["phases"].items())
    print(f"  {lib:8} {summary['median_s'] * 1e3:7.0f} ms over {summary['runs']} runs "
          f"(min {summary['min_s'] * 1e3:.0f}, max {summary['max_s'] * 1e3:.0f}); "
          f"{phases or 'no breakdown'}; import {summary['import_s'] * 1e3:.0f} ms; "
          f"persistent cache {'off' if not summary['cache'] else 'ON in ' + summary['cache']}")


def print_cache(cache):
  print("\nmorphax persistent compilation cache, MLP train step first call "
        "in a fresh process:")
  if "error" in cache:
    print(f"  error: {cache['error']}")
    return
  cold, warm = cache["cold"], cache["warm"]
  ok = "yes" if cache["speedup"] >= cache["target"] else "NO"
  phases = warm["phases"]
  print(f"  cold: empty cache directory     {cold['median_s'] * 1e3:7.0f} ms")
  print(f"  warm: same directory, next run  {warm['median_s'] * 1e3:7.0f} ms  "
        f"(trace {phases.get('trace_s', 0) * 1e3:.0f} ms, lower "
        f"{phases.get('lower_s', 0) * 1e3:.0f} ms, cache load "
        f"{phases.get('compile_s', 0) * 1e3:.0f} ms, the rest is the first run)")
  print(f"  speedup cold/warm {cache['speedup']:.1f}x (target >= {cache['target']:g}x: "
        f"{ok}; median of {cold['runs']} pair(s))")


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--quick", action="store_true",
                      help="few warm-up calls and rounds, one first-call run "
                      "per library (a smoke test, noisy)")
  parser.add_argument("--json", metavar="PATH", help="also write results here")
  parser.add_argument("--trials", type=int, default=None,
                      help="alternating morphax/jax runs; each workload keeps "
                      "its best trial (default 2, 1 with --quick)")
  parser.add_argument("--first-calls", type=int, default=None, metavar="N",
                      help="fresh processes per library timing the MLP step's "
                      "first call, and cold/warm cache pairs (default 3, 1 "
                      "with --quick; 0 skips both)")
  parser.add_argument("--no-jax", action="store_true", help="skip the JAX side")
  parser.add_argument("--layers", action="store_true",
                      help="also time morphax's eager dispatch layer by layer")
  parser.add_argument("--profile", nargs="?", const="add_operator", metavar="WORKLOAD",
                      help="print a cProfile of this workload on each side "
                      f"(default add_operator; one of {', '.join(k for k, _, _ in WORKLOADS)})")
  parser.add_argument("--platform", default="cpu",
                      help="backend for both libraries (default cpu)")
  parser.add_argument("--check", action="store_true",
                      help="exit with status 1 when a ratio misses its target")
  args = parser.parse_args(argv)
  trials = args.trials or (1 if args.quick else 2)
  runs = args.first_calls if args.first_calls is not None else (1 if args.quick else 3)

  info = machine_info()
  print("morphax vs JAX: eager dispatch, cached jit calls, MLP training, "
        "per-example and eager grad")
  print(f"  date     {info['date']}")
  print(f"  machine  {info['cpu']}; {info['cpu_count']} CPUs "
        f"({info['usable_cpus']} usable); {info['os']}; load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg()))
  print(f"  versions python {info['python']}, numpy {info['numpy']}, "
        f"jaxlib {info['jaxlib']}, jax {info['jax'] or '(not installed)'}, "
        f"morphax {info['morphax']}")
  print(f"  timing   {_timing.methodology(args.quick)}; best of {trials} "
        "alternating trial(s) per workload; each library in its own process")
  if runs:
    print(f"  first    MLP step first call: median of {runs} fresh process(es) "
          "per library, persistent caches off")

  jax_available = not args.no_jax and importlib.util.find_spec("jax") is not None
  notes = []
  if not jax_available and not args.no_jax:
    notes.append(NO_JAX_NOTE)
  env = worker_env(args.platform)
  morphax_reports, jax_reports = [], []
  for trial in range(trials):
    extra = ["--layers"] if args.layers else []
    if trial == 0 and args.profile:
      extra += ["--profile", args.profile]
    report = run_worker("morphax", args, env, extra=extra)
    if report is None:
      return 2
    morphax_reports.append(report)
    if jax_available:
      report = run_worker("jax", args, env, chain=morphax_reports[0]["chain"],
                          extra=["--profile", args.profile]
                          if trial == 0 and args.profile else [])
      if report is None:
        notes.append("the jax worker failed: morphax measured alone")
        jax_available = False
        jax_reports = []
      else:
        jax_reports.append(report)

  first_calls, cache = {}, None
  if runs:
    libs = ["morphax"] + (["jax"] if jax_available else [])
    per_lib = {lib: [] for lib in libs}
    for _ in range(runs):  # alternating, like the trials
      for lib in libs:
        per_lib[lib] += first_call_runs(lib, args, env, 1)
    first_calls = {lib: summarize_first_calls(r) for lib, r in per_lib.items()}
    cache = summarize_cache(cache_pairs(args, env, runs))

  chain = morphax_reports[0]["chain"]
  layers = best_layers(morphax_reports)
  rows = collect_rows(best_of(morphax_reports),
                      best_of(jax_reports) if jax_reports else None, first_calls)
  print(f"  backend  morphax: {morphax_reports[0]['backend']}"
        + (f", jax: {jax_reports[0]['backend']}" if jax_reports else ""))
  print(f"  chain    {' -> '.join(chain) if chain else '(not run: ops missing)'}"
        " (binary ops take y as second operand)")
  print()
  for line in table(rows, bool(jax_reports)):
    print(line)
  if first_calls:
    print_first_calls(first_calls)
  if cache:
    print_cache(cache)
  if chain and list(chain) != [name for name, _ in CHAIN]:
    notes.append("the chain replaces the ops morphax lacks: planned "
                 + " -> ".join(name for name, _ in CHAIN))
  for row in rows:
    if row["note"]:
      notes.append(f"{row['label']}: {row['note']}")
    for lib in ("morphax", "jax"):
      if row[lib] and "error" in row[lib]:
        notes.append(f"{row['label']} failed in {lib}: {row[lib]['error']}")
  if layers:
    print_layers(layers)
  if notes:
    print()
  for note in notes:
    print(f"note: {note}")

  missed = [r["label"] for r in rows
            if r["target"] is not None and r["ratio"] is not None
            and r["ratio"] > r["target"]]
  if cache and "error" not in cache and cache["speedup"] < cache["target"]:
    missed.append("persistent cache speedup")
  failed = [r["label"] for r in rows if r["morphax"] and "error" in r["morphax"]]
  if jax_reports:
    print("\n" + ("all ratios within target" if not missed
                  else f"missing the target: {', '.join(missed)}"))
  if failed:
    print(f"failed in morphax: {', '.join(failed)}")
  if args.json:
    result = {
        "machine": info, "methodology": _timing.methodology(args.quick),
        "trials": trials, "first_call_runs": runs, "quick": args.quick,
        "chain": chain, "jax_measured": bool(jax_reports), "rows": rows,
        "first_calls": first_calls, "cache": cache, "layers": layers,
        "notes": notes, "missed_target": missed, "failed": failed,
    }
    pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {args.json}")
  return 1 if args.check and (missed or failed) else 0


if __name__ == "__main__":
  sys.exit(main())
