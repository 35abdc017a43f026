"""Peer tools of the side-by-side comparison: DuckDB, Polars, pandas and lifetimes.

Every subcommand prints one JSON object on standard output: the seconds of every timed
run, their median, the peak resident memory of the process (ru_maxrss) and a fingerprint
of the result that the Rust side prints too.

  peers.py rfm TOOL TX.csv RUNS [--dump OUT.csv]   compute only, data loaded first
  peers.py rfm-job TOOL TX.csv OUT.csv             whole job: read CSV, compute, write CSV
  peers.py abc TOOL TX.csv RUNS [--dump OUT.csv]   compute only
  peers.py nps TOOL SCORES.u8 RUNS                 compute only
  peers.py churn MODEL SUMMARY.csv RUNS            lifetimes fits and P(alive)
  peers.py bgbb SUMMARY.csv RUNS                   lifetimes BG/BB fit, compressed rows
  peers.py bgbb-per-customer SUMMARY.csv RUNS      the same on the per-customer rows
  peers.py cdnow OUT.csv                           CDNOW cohort summary from lifetimes' copy

RFM rules (the same as crm-segmentation's defaults): recency = days from the last purchase
date to the as-of date (the date of the latest transaction); frequency = transactions;
monetary = net total; each score is 1 + floor(5 * w / n) with w the number of customers
strictly worse; segments by the default R x F table.
"""

import json
import resource
import statistics
import sys
import time

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

SEGMENT_RULES = [
    ("Champions", lambda r, f: (r == 5) & (f >= 4)),
    ("Loyal Customers", lambda r, f: (r >= 3) & (r <= 4) & (f >= 4)),
    ("Potential Loyalist", lambda r, f: (r >= 4) & (f >= 2) & (f <= 3)),
    ("New Customers", lambda r, f: (r == 5) & (f == 1)),
    ("Promising", lambda r, f: (r == 4) & (f == 1)),
    ("Need Attention", lambda r, f: (r == 3) & (f == 3)),
    ("About To Sleep", lambda r, f: (r == 3) & (f <= 2)),
    ("At Risk", lambda r, f: (r <= 2) & (f >= 3) & (f <= 4)),
    ("Can't Lose Them", lambda r, f: (r <= 2) & (f == 5)),
    ("Hibernating", lambda r, f: (r == 2) & (f <= 2)),
    ("Lost", lambda r, f: (r == 1) & (f <= 2)),
]

COLUMNS = "customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment"


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def timed(runs, fn):
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def emit(task, tool, times, **extra):
    print(json.dumps({"task": task, "tool": tool, "median_s": statistics.median(times),
                      "runs_s": times, "peak_rss_kib": peak_rss_kib(), **extra}, default=str))


# ---------------------------------------------------------------- DuckDB

def duckdb_rfm_sql(source):
    return f"""
WITH agg AS (
  SELECT customer_id, max(timestamp) AS last_day, count(*) AS frequency,
         sum(amount) AS monetary
  FROM {source} GROUP BY customer_id
),
base AS (
  SELECT customer_id, date_diff('day', last_day, (SELECT max(last_day) FROM agg)) AS recency_days,
         frequency, monetary
  FROM agg
),
scored AS (
  SELECT *,
    1 + (5 * (rank() OVER (ORDER BY recency_days DESC) - 1)) // count(*) OVER () AS r,
    1 + (5 * (rank() OVER (ORDER BY frequency ASC) - 1)) // count(*) OVER () AS f,
    1 + (5 * (rank() OVER (ORDER BY monetary ASC) - 1)) // count(*) OVER () AS m
  FROM base
)
SELECT customer_id, recency_days, frequency, monetary, r AS r_score, f AS f_score,
       m AS m_score, {SEGMENTS_SQL} AS segment
FROM scored
"""


def duckdb_read(path):
    return (f"read_csv('{path}', header = true, columns = {{'customer_id': 'UBIGINT', "
            f"'timestamp': 'DATE', 'amount': 'DECIMAL(18,2)'}})")


DUCKDB_FP = ("SELECT count(*), sum(r_score), sum(f_score), sum(m_score), sum(monetary), "
             "count(*) FILTER (WHERE segment = 'Champions') FROM rfm")


def duckdb_rfm(path, runs, dump):
    import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE TABLE tx AS SELECT * FROM {duckdb_read(path)}")
    sql = "CREATE OR REPLACE TEMP TABLE rfm AS " + duckdb_rfm_sql("tx")
    times, _ = timed(runs, lambda: con.execute(sql))
    fp = con.execute(DUCKDB_FP).fetchone()
    if dump:
        con.execute(f"COPY (SELECT * FROM rfm ORDER BY customer_id) TO '{dump}' (HEADER)")
    return times, [int(fp[0]), int(fp[1]), int(fp[2]), int(fp[3]), str(fp[4]), int(fp[5])], duckdb.__version__


def duckdb_rfm_job(path, out):
    import duckdb
    con = duckdb.connect()
    con.execute(f"COPY ({duckdb_rfm_sql(duckdb_read(path))}) TO '{out}' (HEADER)")


def duckdb_abc_sql(source):
    return f"""
WITH v AS (SELECT customer_id, sum(amount) AS value FROM {source} GROUP BY customer_id),
pos AS (SELECT sum(value) FILTER (WHERE value > 0) AS total FROM v),
ordered AS (
  SELECT customer_id, value,
         coalesce(sum(value) OVER (ORDER BY value DESC, customer_id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
  FROM v
)
SELECT customer_id, value,
  CASE WHEN value <= 0 THEN 'C'
       WHEN before < 0.80 * total THEN 'A'
       WHEN before < 0.95 * total THEN 'B'
       ELSE 'C' END AS class
FROM ordered, pos
"""


def duckdb_abc(path, runs, dump):
    import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE TABLE tx AS SELECT * FROM {duckdb_read(path)}")
    sql = "CREATE OR REPLACE TEMP TABLE abc AS " + duckdb_abc_sql("tx")
    times, _ = timed(runs, lambda: con.execute(sql))
    fp = con.execute("SELECT count(*), count(*) FILTER (WHERE class = 'A'), "
                     "count(*) FILTER (WHERE class = 'B'), count(*) FILTER (WHERE class = 'C') "
                     "FROM abc").fetchone()
    if dump:
        con.execute(f"COPY (SELECT * FROM abc ORDER BY customer_id) TO '{dump}' (HEADER)")
    return times, [int(x) for x in fp], duckdb.__version__


# ---------------------------------------------------------------- Polars

def polars_read(path):
    import polars as pl
    return pl.read_csv(path, schema={"customer_id": pl.UInt64, "timestamp": pl.Date,
                                     "amount": pl.Decimal(18, 2)})


def polars_rfm_frame(df):
    import polars as pl
    agg = df.group_by("customer_id").agg(
        pl.col("timestamp").max().alias("last_day"),
        pl.len().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    )
    n = agg.height
    as_of = agg["last_day"].max()
    agg = agg.with_columns(
        (pl.lit(as_of) - pl.col("last_day")).dt.total_days().alias("recency_days"))
    score = lambda expr: (1 + (5 * (expr - 1)) // n).cast(pl.Int8)
    agg = agg.with_columns(
        score(pl.col("recency_days").rank("min", descending=True)).alias("r_score"),
        score(pl.col("frequency").rank("min")).alias("f_score"),
        score(pl.col("monetary").rank("min")).alias("m_score"),
    )
    r, f = pl.col("r_score"), pl.col("f_score")
    seg = None
    for name, rule in SEGMENT_RULES:
        cond = rule(r, f)
        seg = pl.when(cond).then(pl.lit(name)) if seg is None else seg.when(cond).then(pl.lit(name))
    seg = seg.otherwise(pl.lit("Other"))
    return agg.with_columns(seg.alias("segment")).select(COLUMNS.split(","))


def polars_fp(out):
    import polars as pl
    return [out.height, int(out["r_score"].cast(pl.Int64).sum()),
            int(out["f_score"].cast(pl.Int64).sum()), int(out["m_score"].cast(pl.Int64).sum()),
            str(out["monetary"].sum()), int((out["segment"] == "Champions").sum())]


def polars_rfm(path, runs, dump):
    import polars as pl
    df = polars_read(path)
    times, out = timed(runs, lambda: polars_rfm_frame(df))
    if dump:
        out.sort("customer_id").write_csv(dump)
    return times, polars_fp(out), pl.__version__


def polars_rfm_job(path, out):
    polars_rfm_frame(polars_read(path)).write_csv(out)


def polars_abc_frame(df):
    import polars as pl
    v = df.group_by("customer_id").agg(pl.col("amount").sum().alias("value"))
    cents = (pl.col("value") * 100).cast(pl.Int64)
    v = v.with_columns(cents.alias("cents")).sort(["value", "customer_id"],
                                                  descending=[True, False])
    total = v.filter(pl.col("cents") > 0)["cents"].sum()
    before = pl.col("cents").cum_sum().shift(1, fill_value=0)
    cls = (pl.when(pl.col("cents") <= 0).then(pl.lit("C"))
           .when(before * 100 < 80 * total).then(pl.lit("A"))
           .when(before * 100 < 95 * total).then(pl.lit("B"))
           .otherwise(pl.lit("C")))
    return v.with_columns(cls.alias("class")).select(["customer_id", "value", "class"])


def polars_abc(path, runs, dump):
    import polars as pl
    df = polars_read(path)
    times, out = timed(runs, lambda: polars_abc_frame(df))
    if dump:
        out.sort("customer_id").write_csv(dump)
    fp = [out.height] + [int((out["class"] == k).sum()) for k in "ABC"]
    return times, fp, pl.__version__


# ---------------------------------------------------------------- pandas

def pandas_read(path):
    import pandas as pd
    df = pd.read_csv(path, dtype={"customer_id": "uint64", "amount": "str"},
                     parse_dates=["timestamp"], date_format="%Y-%m-%d")
    # Exact money: integer cents.
    df["cents"] = (df["amount"].astype("float64") * 100).round().astype("int64")
    return df.drop(columns="amount")


def pandas_rfm_frame(df):
    import numpy as np
    import pandas as pd
    agg = df.groupby("customer_id", sort=False).agg(
        last_day=("timestamp", "max"), frequency=("cents", "size"), cents=("cents", "sum"))
    as_of = agg["last_day"].max()
    agg["recency_days"] = (as_of - agg["last_day"]).dt.days
    n = len(agg)
    score = lambda s: (1 + (5 * (s.astype("int64") - 1)) // n).astype("int8")
    agg["r_score"] = score(agg["recency_days"].rank(method="min", ascending=False))
    agg["f_score"] = score(agg["frequency"].rank(method="min"))
    agg["m_score"] = score(agg["cents"].rank(method="min"))
    r, f = agg["r_score"].to_numpy(), agg["f_score"].to_numpy()
    agg["segment"] = np.select([rule(r, f) for _, rule in SEGMENT_RULES],
                               [name for name, _ in SEGMENT_RULES], default="Other")
    return agg


def pandas_monetary(cents):
    sign = cents.map(lambda c: "-" if c < 0 else "")
    a = cents.abs()
    return sign + (a // 100).astype(str) + "." + (a % 100).astype(str).str.zfill(2)


def pandas_rfm(path, runs, dump):
    import pandas as pd
    df = pandas_read(path)
    times, out = timed(runs, lambda: pandas_rfm_frame(df))
    if dump:
        pandas_write(out.sort_index(), dump)
    total = out["cents"].sum()
    fp = [len(out), int(out["r_score"].sum()), int(out["f_score"].sum()),
          int(out["m_score"].sum()), f"{total / 100:.2f}", int((out["segment"] == "Champions").sum())]
    return times, fp, pd.__version__


def pandas_write(out, path):
    out = out.assign(monetary=pandas_monetary(out["cents"])).reset_index()
    out[COLUMNS.split(",")].to_csv(path, index=False)


def pandas_rfm_job(path, out):
    pandas_write(pandas_rfm_frame(pandas_read(path)), out)


# ---------------------------------------------------------------- NPS

def nps(tool, path, runs):
    import numpy as np
    scores = np.fromfile(path, dtype=np.uint8)
    if tool == "polars":
        import polars as pl
        df = pl.DataFrame({"score": scores})
        version = pl.__version__

        def run():
            return df.select(promoters=(pl.col("score") >= 9).sum(),
                             detractors=(pl.col("score") <= 6).sum(), n=pl.len()).row(0)
    else:
        import duckdb
        con = duckdb.connect()
        con.register("source", {"score": scores})
        con.execute("CREATE TABLE t AS SELECT * FROM source")
        con.unregister("source")
        version = duckdb.__version__

        def run():
            return con.execute("SELECT count_if(score >= 9), count_if(score <= 6), count(*) "
                               "FROM t").fetchone()
    del scores
    run()  # warm up
    times, (p, d, n) = timed(runs, run)
    return times, [int(d), int(n - p - d), int(p)], version


# ---------------------------------------------------------------- lifetimes

def read_summary(path):
    import pandas as pd
    return pd.read_csv(path, dtype="float64")


def churn(model, path, runs):
    import lifetimes
    import numpy as np
    s = read_summary(path)
    f, r, t = s["frequency"], s["recency"], s["T"]
    out = {"version": lifetimes.__version__, "customers": len(s)}
    if model == "bgnbd":
        times, fitter = timed(runs, lambda: lifetimes.BetaGeoFitter().fit(f, r, t))
        p = fitter.params_
        out["params"] = {k: float(p[k]) for k in ["r", "alpha", "a", "b"]}
        palive_times, alive = timed(runs, lambda: fitter.conditional_probability_alive(f, r, t))
        out["palive_median_s"] = statistics.median(palive_times)
        out["palive_runs_s"] = palive_times
        out["palive_sum"] = float(np.sum(alive))
    elif model == "pareto":
        times, fitter = timed(runs, lambda: lifetimes.ParetoNBDFitter().fit(f, r, t))
        p = fitter.params_
        out["params"] = {k: float(p[k]) for k in ["r", "alpha", "s", "beta"]}
        palive_times, alive = timed(runs, lambda: fitter.conditional_probability_alive(f, r, t))
        out["palive_median_s"] = statistics.median(palive_times)
        out["palive_runs_s"] = palive_times
        out["palive_sum"] = float(np.sum(alive))
    else:
        rep = s[s["frequency"] > 0]
        times, fitter = timed(runs, lambda: lifetimes.GammaGammaFitter().fit(
            rep["frequency"], rep["monetary_value"]))
        p = fitter.params_
        out["params"] = {k: float(p[k]) for k in ["p", "q", "v"]}
        out["customers"] = len(rep)
    return times, out


BGBB_NAMES = ["alpha", "beta", "gamma", "delta"]


def bgbb_fitted(fitter, total):
    """Parameters, standard errors and log-likelihood of a fitted BetaGeoBetaBinomFitter."""
    names = BGBB_NAMES
    return {"params": {k: float(fitter.params_[k]) for k in names},
            "std_errors": {k: float(fitter.standard_errors_[k]) for k in names},
            # lifetimes minimises the mean negative log-likelihood per customer.
            "log_likelihood": -float(fitter._negative_log_likelihood_) * total}


def bgbb(path, runs, per_customer):
    """BetaGeoBetaBinomFitter on the compressed rows `frequency,recency,periods,weights`
    (passed as its `weights`), or with `per_customer` on the per-customer rows behind them
    (each row repeated `weights` times, in a shuffled order, no weights)."""
    import lifetimes
    import numpy as np
    import pandas as pd
    s = pd.read_csv(path)
    f, r, n, w = s["frequency"], s["recency"], s["periods"], s["weights"]
    total = float(w.sum())
    if per_customer:
        idx = np.random.default_rng(1).permutation(np.repeat(np.arange(len(s)), w.astype(int)))
        f, r, n = (s[c].to_numpy()[idx] for c in ("frequency", "recency", "periods"))
        times, fitter = timed(runs, lambda: lifetimes.BetaGeoBetaBinomFitter().fit(f, r, n))
    else:
        times, fitter = timed(runs, lambda: lifetimes.BetaGeoBetaBinomFitter().fit(
            f, r, n, weights=w))
    return times, {"version": lifetimes.__version__, "customers": total, "rows": len(s),
                   "opportunities": int(n.max()), **bgbb_fitted(fitter, total)}


def cdnow(out_path):
    """The full CDNOW cohort (23,570 customers, first purchases in 1997 Q1) summarised over
    the calibration period ending 1997-09-30 (39 weeks, as in the published fits) at daily
    resolution in weeks, from the copy of CDNOW_master.txt shipped with lifetimes."""
    import os
    import lifetimes
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data
    src = os.path.join(os.path.dirname(lifetimes.__file__), "datasets", "CDNOW_master.txt")
    tx = pd.read_csv(src, sep=r"\s+", header=0, names=["customer", "date", "qty", "amount"],
                     dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    tx = tx.groupby(["customer", "date"], as_index=False)["amount"].sum()
    s = summary_data_from_transaction_data(tx, "customer", "date", monetary_value_col="amount",
                                           observation_period_end="1997-09-30", freq="D")
    s["recency"] = s["recency"] / 7.0
    s["T"] = s["T"] / 7.0
    # Gamma-Gamma needs positive spend: CDNOW has a few zero-value repeat buyers.
    s.loc[(s["frequency"] > 0) & (s["monetary_value"] <= 0), "monetary_value"] = 0.01
    s[["frequency", "recency", "T", "monetary_value"]].to_csv(out_path, index=False,
                                                              float_format="%.17g")
    print(json.dumps({"customers": len(s)}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    dump = None
    if "--dump" in args:
        i = args.index("--dump")
        dump = args[i + 1]
        args = args[:i] + args[i + 2:]
    if cmd == "rfm":
        tool, path, runs = args[0], args[1], int(args[2])
        fn = {"duckdb": duckdb_rfm, "polars": polars_rfm, "pandas": pandas_rfm}[tool]
        times, fp, version = fn(path, runs, dump)
        emit("rfm", tool, times, version=version, fingerprint=fp)
    elif cmd == "rfm-job":
        tool, path, out = args
        {"duckdb": duckdb_rfm_job, "polars": polars_rfm_job, "pandas": pandas_rfm_job}[tool](path, out)
    elif cmd == "abc":
        tool, path, runs = args[0], args[1], int(args[2])
        fn = {"duckdb": duckdb_abc, "polars": polars_abc}[tool]
        times, fp, version = fn(path, runs, dump)
        emit("abc", tool, times, version=version, fingerprint=fp)
    elif cmd == "nps":
        tool, path, runs = args[0], args[1], int(args[2])
        times, fp, version = nps(tool, path, runs)
        emit("nps", tool, times, version=version, fingerprint=fp)
    elif cmd == "churn":
        model, path, runs = args[0], args[1], int(args[2])
        times, out = churn(model, path, runs)
        emit("churn-" + model, "lifetimes", times, **out)
    elif cmd in ("bgbb", "bgbb-per-customer"):
        path, runs = args[0], int(args[1])
        times, out = bgbb(path, runs, cmd == "bgbb-per-customer")
        emit(cmd, "lifetimes", times, **out)
    elif cmd == "cdnow":
        cdnow(args[0])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
