"""Queries a store from another process for a while, checking every answer for torn snapshots.

    python query_child.py CATALOG SECONDS

Prints one JSON line: how it reached the store, how many queries ran, errors and violations.
"""

import json
import sys
import time

import hybridq

CHECKS = {
    # rows in DuckDB without vectors in the pinned Lance version
    "rows_without_vectors": "SELECT count(*) FROM docs WHERE body <> '' AND similarity(body, 'refund outage') IS NULL",
    # chunk text from Lance that is not part of the DuckDB row it is joined to (an old or new version)
    "chunks_not_in_row": "SELECT count(*) FROM vector_search('docs.body', 'refund outage', 10000) v "
                         "WHERE position(v._chunk IN v.body) = 0",
    # every row with text is found by vector_search (its chunks are in the pinned version)
    "rows_missed_by_search": "SELECT (SELECT count(*) FROM docs WHERE body <> '') - "
                             "(SELECT count(DISTINCT doc_id) FROM vector_search('docs.body', 'refund', 10000))",
}

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
