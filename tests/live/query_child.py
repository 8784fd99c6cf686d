"""Queries a store from another process for a while, checking every answer for torn snapshots.

    python query_child.py CATALOG SECONDS

Prints one JSON line: how it reached the store, how many queries ran, errors and violations.
"""

import json
import sys
import time
from pathlib import Path

import hybridq

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.torn_checks import torn_checks  # noqa: E402

CHECKS = torn_checks("docs", "doc_id", "body", "refund outage")

catalog, seconds = sys.argv[1], float(sys.argv[2])
hq = hybridq.connect(catalog)
out = {"session": type(hq).__name__, "queries": 0, "errors": [], "violations": []}
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    for name, sql in CHECKS.items():
        try:
            value = hq.sql(sql).rows[0][0]
        except Exception as exc:  # every error is a failure of the test
            out["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        out["queries"] += 1
        if value != 0:
            out["violations"].append(f"{name} = {value}")
hq.close()
print(json.dumps(out))
