"""Daft on a local Ray cluster (started by the child process on loopback, stopped with it) gives
DuckDB's results."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_daft_on_ray_gives_duckdbs_results(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), HYBRIDQ_OWNER="off", RAY_AUTH_MODE="disabled")
    done = subprocess.run([sys.executable, "-m", "tests.engine.ray_child", str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ray_initialized"]
    assert out["strategy"] == ["exact scan (daft)"]
    for got, want in zip(out["ray"], out["duckdb"]):
        assert want and len(got) == len(want)
        for g, w in zip(got, want):
            assert g[:-1] == w[:-1] and math.isclose(g[-1], w[-1], rel_tol=1e-5, abs_tol=1e-6), (g, w)
