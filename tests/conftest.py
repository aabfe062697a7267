import os
import tempfile

# The examples' compiles go to a throwaway persistent cache, never the
# user's; it is removed when pytest exits.
_CACHE_DIR = tempfile.TemporaryDirectory(prefix="morphax-test-cache-")
os.environ["MORPHAX_CACHE_DIR"] = _CACHE_DIR.name
