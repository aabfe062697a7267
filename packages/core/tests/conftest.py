import os
import tempfile

import hypothesis

# Compiles in tests (and in the subprocesses they start) go to a throwaway
# persistent cache, never the user's; it is removed when pytest exits.
_CACHE_DIR = tempfile.TemporaryDirectory(prefix="morphax-test-cache-")
os.environ["MORPHAX_CACHE_DIR"] = _CACHE_DIR.name

# Each new shape/dtype compiles an executable (~30 ms): keep examples few and
# never let a slow first compile fail a test on the deadline.
hypothesis.settings.register_profile(
    "morphax", max_examples=25, deadline=None, derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile("morphax")
