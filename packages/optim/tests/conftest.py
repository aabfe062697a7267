"""Test setup shared by every test module of this package: four CPU devices
(set before morphax starts its backend) for the pmap test."""

import os
import tempfile

# Compiles go to a throwaway persistent cache, never the user's: a test run
# measures cold compiles and leaves nothing behind.
_CACHE_DIR = tempfile.TemporaryDirectory(prefix="morphax-test-cache-")
os.environ["MORPHAX_CACHE_DIR"] = _CACHE_DIR.name

os.environ.setdefault("MORPHAX_NUM_CPU_DEVICES", "4")
