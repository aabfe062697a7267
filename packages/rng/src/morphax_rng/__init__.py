"""morphax_rng: splittable counter-based random numbers, bit-identical to jax.random.

Import it as `import morphax_rng as random` and use it as `jax.random`.
"""

from .keys import (KEY_DTYPE, PRNGKey, PRNGKeyArray, bits, clone, fold_in, key,
                   key_data, key_impl, split, wrap_key_data)
from . import threefry
from .threefry import threefry2x32, threefry_2x32
from .distributions import (bernoulli, cauchy, exponential, gumbel, laplace,
                            logistic, normal, orthogonal, rademacher, randint,
                            truncated_normal, uniform)
from .discrete import categorical, choice, multivariate_normal, permutation
from .gamma import (ball, beta, dirichlet, gamma, generalized_normal, loggamma,
                    poisson, t)

__version__ = "0.1.0"

__all__ = [
    "KEY_DTYPE", "PRNGKey", "PRNGKeyArray", "threefry", "ball", "bernoulli", "beta", "bits",
    "categorical", "cauchy", "choice", "clone", "dirichlet", "exponential",
    "fold_in", "gamma", "generalized_normal", "gumbel", "key", "key_data",
    "key_impl", "laplace", "loggamma", "logistic", "multivariate_normal",
    "normal", "orthogonal", "permutation", "poisson", "rademacher", "randint",
    "split", "t", "threefry2x32", "threefry_2x32", "truncated_normal",
    "uniform", "wrap_key_data",
]
