"""A short tour of what morphax core does today: devices, arrays, NumPy-style
math running eagerly on XLA, with JAX's dtype rules. Run with `make demo`.
"""

import time

import numpy as np

import morphax
import morphax.numpy as jnp
from morphax import lax


def section(title):
  print(f"\n== {title}")


def main():
  print(f"morphax {morphax.__version__}: backend {morphax.default_backend()!r}, "
        f"devices {morphax.devices()}")

  section("Arrays live on the device; NumPy's API works on them")
  x = jnp.linspace(0.0, 1.0, 5)
  print("x = jnp.linspace(0, 1, 5)       ->", x)
  print("jnp.sin(x) * 2 + 1              ->", jnp.sin(x) * 2 + 1)
  m = jnp.arange(12.0).reshape(3, 4)
  print("m = jnp.arange(12.).reshape(3, 4)\n", m)
  print("m.sum(axis=0), m.mean(), m.max()->", m.sum(axis=0), m.mean(), m.max())
  print("m[1:, ::-2]                     ->\n", m[1:, ::-2])
  print("m @ m.T                         ->\n", m @ m.T)
  print("einsum('ij,kj->ik', m, m)[0]    ->", jnp.einsum("ij,kj->ik", m, m)[0])

  section("JAX's type promotion: Python scalars are weakly typed")
  i8 = jnp.array([1, 2, 3], dtype=jnp.int8)
  print("int8 array + 1                  ->", repr(i8 + 1))
  print("int8 array + 1.5                ->", repr(i8 + 1.5))
  print("float16 array * 2.0             ->", repr(jnp.ones(2, jnp.float16) * 2.0))
  print("default float is float32        ->", repr(jnp.asarray(np.float64(0.1))))

  section("lax: the primitives underneath")
  image = jnp.asarray(np.pad(np.ones((4, 4), np.float32), 2)).reshape(1, 1, 8, 8)
  edges = jnp.asarray([[-1.0, 0.0, 1.0]] * 3).reshape(1, 1, 3, 3)
  out = lax.conv_general_dilated(image, edges, window_strides=(1, 1), padding="SAME")
  print("vertical-edge filter on a square (row 4):", out[0, 0, 4])
  values, indices = lax.top_k(jnp.asarray([3.0, 9.0, 1.0, 7.0]), 2)
  print("top_k([3, 9, 1, 7], 2)          ->", values, indices)
  print("cumsum(arange(5))               ->", lax.cumsum(jnp.arange(5)))

  section("Transformations compose: grad, jit, vmap, make_jaxpr")
  def loss(w, x):
    return jnp.sum(jnp.sin(w * x) * w)
  w = jnp.asarray([0.5, -1.0, 2.0])
  print("loss(w, x[:3])                  ->", loss(w, x[:3]))
  print("grad(loss)(w, x[:3])            ->", morphax.grad(loss)(w, x[:3]))
  print("jit(grad(loss)) agrees          ->", morphax.jit(morphax.grad(loss))(w, x[:3]))
  xs = jnp.stack([x[:3], x[1:4]])
  print("vmap(grad) per-example grads    ->\n", morphax.vmap(morphax.grad(loss), in_axes=(None, 0))(w, xs))
  print("make_jaxpr(loss):")
  print(morphax.make_jaxpr(loss)(w, x[:3]))

  section("Errors name the function, the shapes and the fix")
  try:
    jnp.ones(3) + jnp.ones(4)
  except (TypeError, ValueError) as e:
    print(f"{type(e).__name__}: {e}")
  try:
    lax.add(jnp.ones(3), jnp.ones(3, jnp.int32))
  except TypeError as e:
    print(f"TypeError: {e}")

  section("Eager dispatch: one cached XLA executable per primitive and shape")
  a, b = jnp.ones(100), jnp.ones(100)
  (a + b).block_until_ready()
  n = 2000
  start = time.perf_counter()
  for _ in range(n):
    c = a + b
  c.block_until_ready()
  per_op = (time.perf_counter() - start) / n * 1e6
  print(f"x + y on float32[100]: {per_op:.1f} us per op (see benchmarks/ for the comparison with JAX)")


if __name__ == "__main__":
  main()
