"""Generate TPC-H data as Parquet with ``tpchgen-cli``.

Writes one file per table into the output folder::

    region.parquet  nation.parquet  supplier.parquet  customer.parquet
    part.parquet    partsupp.parquet  orders.parquet  lineitem.parquet

and a stamp file (``.tpch-stamp.json``) recording the scale factor. Running it again with the
same scale factor and all files present does nothing, so callers (tests, benchmarks) can call it
unconditionally.

Usage::

    python -m examples.tpch.generate --scale 0.01 --out examples/tpch/data

or from Python::

    from examples.tpch.generate import generate
    paths = generate(Path("/tmp/tpch"), scale_factor=0.01)   # {"lineitem": Path(...), ...}

Scale factor 1 is about 1 GB of raw data (6 million line items, ~300 MB of Parquet).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")
STAMP = ".tpch-stamp.json"
DEFAULT_OUT = Path(__file__).resolve().parent / "data"


def tpchgen_executable() -> str:
    """The ``tpchgen-cli`` next to the running interpreter (the venv's), else the one on PATH."""
    here = Path(sys.executable).parent
    for name in ("tpchgen-cli", "tpchgen-cli.exe"):
        candidate = here / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which("tpchgen-cli")
    if found:
        return found
    raise FileNotFoundError(
        "tpchgen-cli not found next to the Python interpreter or on PATH; install it with: pip install tpchgen-cli"
    )


def table_paths(out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    return {table: out_dir / f"{table}.parquet" for table in TABLES}


def read_stamp(out_dir: Path) -> dict | None:
    try:
        return json.loads((Path(out_dir) / STAMP).read_text())
    except (OSError, ValueError):
        return None


def is_generated(out_dir: Path, scale_factor: float) -> bool:
    """True when ``out_dir`` already holds every table at this scale factor."""
    stamp = read_stamp(out_dir)
    if not stamp or float(stamp.get("scale_factor", -1)) != float(scale_factor):
        return False
    return all(p.is_file() and p.stat().st_size > 0 for p in table_paths(out_dir).values())


def generate(out_dir: Path | str, scale_factor: float = 0.01, *, threads: int | None = None,
             quiet: bool = True) -> dict[str, Path]:
    """Write the eight TPC-H tables as Parquet into ``out_dir``; return ``{table: path}``.

    Skips the work when the folder already holds the same scale factor (see the stamp file).
    A different scale factor replaces the files.
    """
    if scale_factor <= 0:
        raise ValueError("scale_factor must be positive")
    out_dir = Path(out_dir)
    paths = table_paths(out_dir)
    if is_generated(out_dir, scale_factor):
        return paths
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / STAMP).unlink(missing_ok=True)
    for path in paths.values():
        path.unlink(missing_ok=True)
    cmd = [tpchgen_executable(), "parquet", "--scale-factor", _format_scale(scale_factor),
           "--output-dir", str(out_dir), "--overwrite"]
    if threads:
        cmd += ["--num-threads", str(threads)]
    if quiet:
        cmd += ["--quiet"]
    started = time.perf_counter()
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.strip() or exc.stdout.strip()
        raise RuntimeError(f"tpchgen-cli failed ({exc.returncode}): {detail}") from exc
    missing = [t for t, p in paths.items() if not p.is_file()]
    if missing:
        raise RuntimeError(f"tpchgen-cli did not write {', '.join(missing)} into {out_dir}")
    stamp = {"scale_factor": float(scale_factor), "tables": list(TABLES),
             "seconds": round(time.perf_counter() - started, 2)}
    (out_dir / STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
    return paths


def _format_scale(scale_factor: float) -> str:
    text = f"{scale_factor:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate TPC-H data as Parquet with tpchgen-cli.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--scale", type=float, default=0.01, help="TPC-H scale factor (default 0.01; 1 = ~1 GB)")
    parser.add_argument("--threads", type=int, default=None, help="generator threads (default: all CPUs)")
    args = parser.parse_args(argv)
    already = is_generated(args.out, args.scale)
    started = time.perf_counter()
    paths = generate(args.out, args.scale, threads=args.threads)
    elapsed = time.perf_counter() - started
    for table, path in paths.items():
        print(f"{table:>9}: {path} ({path.stat().st_size:,} bytes)")
    if already:
        print(f"scale factor {args.scale:g} already in {args.out}; nothing to do")
    else:
        print(f"wrote scale factor {args.scale:g} to {args.out} in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
