"""The distributed bench's table on disk: n rows of 10 standard normal float64 features
x1..x10 and a 0/1 label y drawn from modest true coefficients (no separation), written twice:
one Parquet file with row groups of a block's rows, and a folder of Parquet files of one
block each; a block is 10**6 rows, or n / 10 for smaller n (so that 2 workers always have
files to share). The rows are drawn a block at a time (seeded by block), so memory stays at
one block whatever n is, and both copies hold the same rows in the same order.

    .venv/bin/python bench/make_data.py 10000000            # into a new temporary folder
    .venv/bin/python bench/make_data.py 1000000 --out /tmp/x
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

D, SEED, BLOCK = 10, 20240611, 1_000_000
FEATURES = tuple(f"x{j + 1}" for j in range(D))
#: The true coefficients: intercept, then one per feature.
BETA = np.r_[0.2, np.linspace(-0.5, 0.5, D)]


def block(index: int, rows: int) -> pa.Table:
    """Block `index` of the table: `rows` rows, the same bytes every time."""
    rng = np.random.default_rng([SEED, index])
    x = rng.normal(size=(rows, D))
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(BETA[0] + x @ BETA[1:])))).astype(float)
    return pa.table({**{name: x[:, j] for j, name in enumerate(FEATURES)}, "y": y})


def write(folder: Path, n: int) -> tuple[Path, Path]:
    """Write the n-row table into `folder` as one file (a row group per block) and as a
    folder of files (a file per block); returns (file, folder of files)."""
    single, parts = folder / "table.parquet", folder / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    size = max(1, min(BLOCK, n // 10))
    writer = None
    for index, start in enumerate(range(0, n, size)):
        table = block(index, min(size, n - start))
        if writer is None:
            writer = pq.ParquetWriter(single, table.schema)
        writer.write_table(table, row_group_size=size)
        pq.write_table(table, parts / f"part-{index:05d}.parquet", row_group_size=BLOCK)
    if writer is not None:
        writer.close()
    return single, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="rows")
    parser.add_argument("--out", type=Path, help="folder (default: a new temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="logitlab-bench-"))
    single, parts = write(out, args.n)
    print(f"{single}\n{parts}")


if __name__ == "__main__":
    main()
