"""Peer timing for the NPS benchmark: Polars and DuckDB on the same in-memory column.

Reads the score column (raw bytes) and the group column (little-endian u32) written by
`SAT_EXPORT_SCORES=... SAT_EXPORT_GROUPS=... cargo bench -p crm-benches --bench satisfaction`,
loads them into memory once, then times only the computation (median of repeated runs).

Usage: python3 nps_peers.py SCORES_FILE [GROUPS_FILE|-] [REPEATS]
(`-` skips the grouped measurement.)
"""

import statistics
import sys
import time

import duckdb
import numpy as np
import polars as pl


def median_ms(fn, repeats):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times)


def main():
    scores_path = sys.argv[1]
    groups_path = sys.argv[2] if len(sys.argv) > 2 else "-"
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    scores = np.fromfile(scores_path, dtype=np.uint8)
    if groups_path == "-":
        groups = np.zeros(len(scores), dtype=np.uint32)
    else:
        groups = np.fromfile(groups_path, dtype="<u4")
    df = pl.DataFrame({"score": scores, "grp": groups})
    n = len(scores)
    print(f"rows {n}, polars {pl.__version__}, duckdb {duckdb.__version__}, "
          f"polars threads {pl.thread_pool_size()}")

    def polars_nps():
        return df.select(
            ((pl.col("score") >= 9).sum().cast(pl.Int64)
             - (pl.col("score") <= 6).sum().cast(pl.Int64)) * 100.0 / pl.len()
        ).item()

    def polars_grouped():
        return df.group_by("grp").agg(
            promoters=(pl.col("score") >= 9).sum(),
            detractors=(pl.col("score") <= 6).sum(),
            n=pl.len(),
        ).with_columns(
            nps=(pl.col("promoters").cast(pl.Int64) - pl.col("detractors").cast(pl.Int64))
            * 100.0 / pl.col("n")
        )

    # DuckDB gets its own in-memory table (loaded once, outside the timing).
    con = duckdb.connect()
    con.register("source", {"score": scores, "grp": groups})
    con.execute("create table t as select * from source")

    def duckdb_nps():
        return con.execute(
            "select (count_if(score >= 9) - count_if(score <= 6)) * 100.0 / count(*) from t"
        ).fetchone()[0]

    print(f"nps polars {polars_nps():.6f} duckdb {float(duckdb_nps()):.6f}")
    runs = [("polars nps", polars_nps), ("duckdb nps", duckdb_nps)]
    if groups_path != "-":
        runs.append(("polars nps by 1000 groups", polars_grouped))
    for name, fn in runs:
        med, best = median_ms(fn, repeats)
        print(f"{name}: median {med:.2f} ms, best {best:.2f} ms, "
              f"{n / med / 1e3:.1f} M rows/s")


if __name__ == "__main__":
    main()
