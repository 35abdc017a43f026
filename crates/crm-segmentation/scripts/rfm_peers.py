"""Time DuckDB and Polars computing the same RFM table as `crm-segmentation`.

Usage: python3 rfm_peers.py TRANSACTIONS.csv [RUNS]

The CSV (columns customer,ts,amount) is the one written by the criterion benchmark with
SEG_EXPORT_CSV set. Each tool first loads it into memory (not timed); then the full RFM
table is computed RUNS times and materialised in memory: per customer recency (days from
the last purchase date to the date of the latest transaction), frequency (transactions),
monetary (net total, DECIMAL(18,2)), first purchase, quantile scores
1 + floor(5 * w / n) (w = customers strictly worse) and the default segment of the
R x F grid. The median compute time is printed, with a fingerprint of the result so the
tools can be compared with each other and with the Rust table.
"""

import statistics
import sys
import time

import duckdb
import polars as pl

SEGMENTS_SQL = """
CASE
  WHEN r = 5 AND f >= 4 THEN 'Champions'
  WHEN r BETWEEN 3 AND 4 AND f >= 4 THEN 'Loyal Customers'
  WHEN r >= 4 AND f BETWEEN 2 AND 3 THEN 'Potential Loyalist'
  WHEN r = 5 AND f = 1 THEN 'New Customers'
  WHEN r = 4 AND f = 1 THEN 'Promising'
  WHEN r = 3 AND f = 3 THEN 'Need Attention'
  WHEN r = 3 AND f <= 2 THEN 'About To Sleep'
  WHEN r <= 2 AND f BETWEEN 3 AND 4 THEN 'At Risk'
  WHEN r <= 2 AND f = 5 THEN 'Can''t Lose Them'
  WHEN r = 2 AND f <= 2 THEN 'Hibernating'
  WHEN r = 1 AND f <= 2 THEN 'Lost'
  ELSE 'Other'
END
"""

DUCKDB_RFM = f"""
CREATE OR REPLACE TEMP TABLE rfm AS
WITH agg AS (
  SELECT customer, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS frequency,
         sum(amount) AS monetary
  FROM tx GROUP BY customer
),
base AS (
  SELECT customer, first_ts::DATE AS first_purchase,
         date_diff('day', last_ts::DATE, (SELECT max(ts)::DATE FROM tx)) AS recency,
         frequency, monetary
  FROM agg
),
scored AS (
  SELECT *,
    1 + (5 * (rank() OVER (ORDER BY recency DESC) - 1)) // count(*) OVER () AS r,
    1 + (5 * (rank() OVER (ORDER BY frequency ASC) - 1)) // count(*) OVER () AS f,
    1 + (5 * (rank() OVER (ORDER BY monetary ASC) - 1)) // count(*) OVER () AS m
  FROM base
)
SELECT *, {SEGMENTS_SQL} AS segment FROM scored
"""


def duckdb_run(path, runs):
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE tx AS SELECT * FROM read_csv(?, header = true, "
        "columns = {'customer': 'UBIGINT', 'ts': 'TIMESTAMP', 'amount': 'DECIMAL(18,2)'})",
        [path],
    )
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        con.execute(DUCKDB_RFM)
        times.append(time.perf_counter() - t0)
    fp = con.execute(
        "SELECT count(*), sum(r), sum(f), sum(m), sum(monetary), "
        "count(*) FILTER (WHERE segment = 'Champions') FROM rfm"
    ).fetchone()
    return times, fp


def polars_rfm(df, as_of):
    agg = df.group_by("customer").agg(
        pl.col("ts").min().dt.date().alias("first_purchase"),
        pl.col("ts").max().alias("last_ts"),
        pl.len().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    n = agg.height
    agg = agg.with_columns(
        (pl.lit(as_of) - pl.col("last_ts").dt.date()).dt.total_days().alias("recency")
    )
    score = lambda expr: (1 + (5 * (expr - 1)) // n).cast(pl.Int8)
    agg = agg.with_columns(
        score(pl.col("recency").rank("min", descending=True)).alias("r"),
        score(pl.col("frequency").rank("min")).alias("f"),
        score(pl.col("monetary").rank("min")).alias("m"),
    )
    r, f = pl.col("r"), pl.col("f")
    seg = (
        pl.when((r == 5) & (f >= 4)).then(pl.lit("Champions"))
        .when(r.is_between(3, 4) & (f >= 4)).then(pl.lit("Loyal Customers"))
        .when((r >= 4) & f.is_between(2, 3)).then(pl.lit("Potential Loyalist"))
        .when((r == 5) & (f == 1)).then(pl.lit("New Customers"))
        .when((r == 4) & (f == 1)).then(pl.lit("Promising"))
        .when((r == 3) & (f == 3)).then(pl.lit("Need Attention"))
        .when((r == 3) & (f <= 2)).then(pl.lit("About To Sleep"))
        .when((r <= 2) & f.is_between(3, 4)).then(pl.lit("At Risk"))
        .when((r <= 2) & (f == 5)).then(pl.lit("Can't Lose Them"))
        .when((r == 2) & (f <= 2)).then(pl.lit("Hibernating"))
        .when((r == 1) & (f <= 2)).then(pl.lit("Lost"))
        .otherwise(pl.lit("Other"))
    )
    return agg.with_columns(seg.alias("segment"))


def polars_run(path, runs):
    df = pl.read_csv(
        path,
        schema={"customer": pl.UInt64, "ts": pl.Datetime("us"), "amount": pl.Decimal(18, 2)},
    )
    times = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        as_of = df["ts"].max().date()
        out = polars_rfm(df, as_of)
        times.append(time.perf_counter() - t0)
    fp = (
        out.height,
        int(out["r"].cast(pl.Int64).sum()),
        int(out["f"].cast(pl.Int64).sum()),
        int(out["m"].cast(pl.Int64).sum()),
        out["monetary"].sum(),
        int((out["segment"] == "Champions").sum()),
    )
    return times, fp


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"duckdb {duckdb.__version__}, polars {pl.__version__}")
    for name, fn in [("duckdb", duckdb_run), ("polars", polars_run)]:
        times, fp = fn(path, runs)
        print(
            f"{name}: median {statistics.median(times) * 1000:.0f} ms, "
            f"min {min(times) * 1000:.0f} ms over {runs} runs; "
            f"fingerprint (customers, sum r, sum f, sum m, sum monetary, champions) = {fp}"
        )


if __name__ == "__main__":
    main()
