"""Generates morphax_rng's known-answer vectors with real JAX (the peer).

Run with the reference environment only (it imports jax):

    /tmp/benchvenv/bin/python tools/reference/gen_rng_vectors.py

It writes packages/rng/tests/data/rng_vectors.json: one row per call (the
function, the key's seed and kind, arguments as plain data) with JAX's
output. The tests replay each row with morphax_rng and compare bits.
"""

import json
import pathlib
import sys

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

OUT = (pathlib.Path(__file__).resolve().parents[2]
       / "packages/rng/tests/data/rng_vectors.json")
SEEDS = (0, 7, 2 ** 31 + 3)
SHAPES = ((), (7,), (3, 5))
FLOATS = ("float32", "float16", "bfloat16")


def arr(values, dtype="float32"):
  """An array argument, as data: replayed with the library's asarray."""
  return {"array": np.asarray(values).tolist(), "dtype": dtype}


def decode(x):
  """Turns an encoded argument into a JAX value."""
  if isinstance(x, dict) and "array" in x:
    return jnp.asarray(np.asarray(x["array"]), dtype=x["dtype"])
  if isinstance(x, dict) and "shape" in x:
    return tuple(x["shape"])
  if isinstance(x, list):
    return tuple(x)
  return x


def make_key(seed, kind):
  return jr.key(seed) if kind == "typed" else jr.PRNGKey(seed)


def run(row):
  """JAX's output for one row."""
  fn = getattr(jr, row["fn"])
  args = [decode(a) for a in row["args"]]
  kwargs = {k: decode(v) for k, v in row["kwargs"].items()}
  out = fn(make_key(row["seed"], row["key"]), *args, **kwargs)
  if jnp.issubdtype(out.dtype, jax.dtypes.prng_key):
    out = jr.key_data(out)
  return np.asarray(out)


def rows():
  """Every case, as plain data."""
  def row(fn, *args, seed=0, key="raw", **kwargs):
    return {"fn": fn, "seed": seed, "key": key, "args": list(args), "kwargs": kwargs}

  out = []
  for seed in (0, 1, 42, -1, 2 ** 31, 2 ** 32 + 7, 2 ** 63 - 1, -2 ** 63, 123456789):
    out.append({"fn": "PRNGKey", "seed": seed, "key": "raw", "args": [], "kwargs": {}})
  for seed in SEEDS:
    for num in (2, 3, 5, [2, 3]):
      out.append(row("split", num, seed=seed))
    out.append(row("split", 4, seed=seed, key="typed"))
    for data in (0, 1, 7, 2 ** 31, 2 ** 32 - 1):
      out.append(row("fold_in", data, seed=seed))
    out.append(row("fold_in", 3, seed=seed, key="typed"))
    for shape in SHAPES:
      for dtype in ("uint8", "uint16", "uint32"):
        out.append(row("bits", {"shape": shape}, seed=seed, dtype=dtype))
      for dtype in FLOATS:
        out.append(row("uniform", {"shape": shape}, seed=seed, dtype=dtype))
        out.append(row("normal", {"shape": shape}, seed=seed, dtype=dtype))
      for fn in ("exponential", "laplace", "logistic", "gumbel", "cauchy"):
        out.append(row(fn, {"shape": shape}, seed=seed))
      out.append(row("rademacher", {"shape": shape}, seed=seed))
      out.append(row("truncated_normal", -2.0, 2.0, {"shape": shape}, seed=seed))
      out.append(row("bernoulli", 0.3, {"shape": shape}, seed=seed))
      out.append(row("randint", {"shape": shape}, 0, 10, seed=seed))
    out.append(row("uniform", {"shape": (4, 3)}, seed=seed, minval=-2.0, maxval=5.0))
    out.append(row("uniform", {"shape": (2, 3)}, seed=seed,
                   minval=arr([0.0, 1.0, 2.0]), maxval=arr([[1.0], [10.0]])))
    out.append(row("uniform", {"shape": (5,)}, seed=seed, key="typed"))
    out.append(row("normal", {"shape": (2, 1, 3)}, seed=seed))
    out.append(row("uniform", {"shape": (1,)}, seed=seed, dtype="bfloat16"))
    out.append(row("normal", {"shape": (5,)}, seed=seed, key="typed"))
    out.append(row("truncated_normal", arr([-1.0, 0.0, 1.5]), arr([1.0, 3.0, 2.0]), seed=seed))
    out.append(row("truncated_normal", 0.5, 1.0, {"shape": (6,)}, seed=seed, dtype="float16"))
    out.append(row("bernoulli", arr([0.0, 0.1, 0.5, 0.9, 1.0]), seed=seed))
    out.append(row("bernoulli", 0.2, {"shape": (9,)}, seed=seed, mode="high"))
    out.append(row("bernoulli", seed=seed))
    for lo, hi, dtype in ((-5, 5, "int32"), (0, 256, "uint8"), (-128, 128, "int8"),
                          (0, 2 ** 31 - 1, "int32"), (-2 ** 31, 2 ** 31 - 1, "int32"),
                          (3, 3, "int32"), (10, 2, "int32"), (-300, 300, "int16"),
                          (0, 1000, "uint32"), (5, 70000, "uint16")):
      out.append(row("randint", {"shape": (9,)}, lo, hi, seed=seed, dtype=dtype))
    out.append(row("randint", {"shape": (2, 3)}, arr([0, 5, 10], "int32"),
                   arr([[3], [100]], "int32"), seed=seed))
    out.append(row("gumbel", {"shape": (6,)}, seed=seed, mode="high"))
    out.append(row("rademacher", {"shape": (6,)}, seed=seed, dtype="float32"))
    out.append(row("orthogonal", 3, seed=seed))
    out.append(row("orthogonal", 4, {"shape": (2,)}, seed=seed, m=2))
    out.append(row("orthogonal", 2, seed=seed, m=5))
    mean, cov = arr([1.0, -2.0, 0.5]), arr([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
    out.append(row("multivariate_normal", mean, cov, {"shape": (4,)}, seed=seed))
    for method in ("svd", "eigh"):
      out.append(row("multivariate_normal", mean, cov, {"shape": (2,)}, seed=seed, method=method))
    logits = arr(np.log([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
    out.append(row("categorical", logits, seed=seed))
    out.append(row("categorical", logits, seed=seed, shape={"shape": (5, 2)}))
    out.append(row("categorical", logits, seed=seed, axis=0))
    out.append(row("categorical", logits, seed=seed, shape={"shape": (3, 2)}, replace=False))
    out.append(row("choice", 10, {"shape": (6,)}, seed=seed))
    out.append(row("choice", 10, {"shape": (2, 3)}, seed=seed, replace=False))
    out.append(row("choice", arr(np.arange(12.0).reshape(4, 3)), {"shape": (2,)},
                   seed=seed, replace=False, axis=1))
    out.append(row("choice", arr(np.arange(12.0).reshape(4, 3)), {"shape": (5,)}, seed=seed))
    p = arr([0.1, 0.2, 0.3, 0.15, 0.25])
    out.append(row("choice", 5, {"shape": (7,)}, seed=seed, p=p))
    out.append(row("choice", 5, {"shape": (3,)}, seed=seed, p=p, replace=False))
    out.append(row("permutation", 10, seed=seed))
    out.append(row("permutation", arr(np.arange(12).reshape(3, 4), "int32"), seed=seed, axis=1))
    out.append(row("permutation", arr(np.arange(12).reshape(3, 4), "int32"), seed=seed,
                   axis=1, independent=True))
    out.append(row("permutation", arr(np.arange(6.0)), seed=seed))
    out.append(row("gamma", arr([0.1, 0.5, 1.0, 2.5, 7.0, 50.0]), seed=seed))
    out.append(row("gamma", 0.3, {"shape": (3, 4)}, seed=seed))
    out.append(row("gamma", 3.0, {"shape": (2,)}, seed=seed, dtype="float16"))
    out.append(row("loggamma", arr([0.01, 0.5, 1.0, 4.0]), seed=seed))
    out.append(row("beta", 2.0, arr([0.5, 1.0, 3.0, 0.2]), seed=seed))
    out.append(row("dirichlet", arr([0.5, 1.0, 2.0, 0.1]), {"shape": (3,)}, seed=seed))
    out.append(row("t", 3.0, {"shape": (6,)}, seed=seed))
    out.append(row("t", arr([1.0, 5.0, 30.0]), seed=seed))
    for p_ in (1, 2, 1.5):
      out.append(row("ball", 3, p_, {"shape": (4,)}, seed=seed))
    out.append(row("generalized_normal", 1.5, {"shape": (6,)}, seed=seed))
    out.append(row("poisson", arr([0.0, 0.5, 3.0, 9.9, 10.0, 12.0, 100.0, 1000.0]), seed=seed))
    out.append(row("poisson", 4.0, {"shape": (3, 3)}, seed=seed, dtype="int16"))
  return out


def main():
  print(f"jax {jax.__version__}; threefry_partitionable="
        f"{jax.config.jax_threefry_partitionable}", file=sys.stderr)
  data = []
  for i, r in enumerate(rows()):
    if r["fn"] == "PRNGKey":
      out = np.asarray(jr.PRNGKey(r["seed"]))
    else:
      out = run(r)
    r["dtype"] = str(out.dtype)
    r["shape"] = list(out.shape)
    r["value"] = out.astype(np.float64 if out.dtype.kind == "f" or out.dtype.name == "bfloat16"
                            else out.dtype).ravel().tolist()
    data.append(r)
    if i % 100 == 0:
      print(f"  {i} rows", file=sys.stderr)
  OUT.parent.mkdir(parents=True, exist_ok=True)
  OUT.write_text(json.dumps({"jax_version": jax.__version__, "rows": data}))
  print(f"wrote {len(data)} rows to {OUT}", file=sys.stderr)


if __name__ == "__main__":
  main()
