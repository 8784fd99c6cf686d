"""A process that owns a store (as a notebook would: it opened it, it does not watch) until its
standard input closes.

    python owner_child.py CATALOG

Uses the deterministic embedder of the live tests, so it starts in a second.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))

import hybridq  # noqa: E402
from live_project import HashEmbedder  # noqa: E402

hq = hybridq.connect(sys.argv[1], embedder=HashEmbedder())
print(type(hq).__name__, flush=True)
sys.stdin.read()
hq.close()
