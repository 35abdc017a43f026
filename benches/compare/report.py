"""Writes benches/RESULTS.md from the per-stage results of run.sh.

Usage: report.py RESULTS_DIR VERSIONS.json OUT.md COMMAND [COMMIT]
The environment variable RUN_NOTE, when set, is printed as the conditions of the run.

A section with no results in RESULTS_DIR keeps its text from the OUT.md being replaced
(each section says when and on which commit it ran), with its lines of the targets; the
sections of OUT.md that this script does not write (analyses added by hand after the
targets) are kept after them.
"""

import datetime
import json
import os
import platform
import re
import sys


def load(results, stage):
    path = os.path.join(results, stage + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def secs(x):
    if x is None:
        return "not measured"
    if x >= 1:
        return f"{x:.2f} s"
    if x >= 1e-3:
        return f"{x * 1e3:.1f} ms"
    return f"{x * 1e6:.0f} µs"


def mib(kib):
    return "-" if kib is None else f"{kib / 1024:.0f} MiB"


def machine():
    cores = os.cpu_count()
    mem = "?"
    model = platform.processor() or "?"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cores} cores ({model}), {mem} memory, {platform.system()} {platform.release()}"


def provenance(rows):
    """When each side of a section was timed, on which commit, and the load average then."""
    first, seen = {}, {}
    for r in rows:
        if "tool" in r and r.get("tool") != "both":
            first.setdefault(r["tool"], r)
            seen[r["tool"]] = r
    span = lambda t: (first[t].get("at", "?") if first[t].get("at") == seen[t].get("at") else
                      f"{first[t].get('at', '?')} to {seen[t].get('at', '?')}")
    parts = [f"{tool} {span(tool)} on commit `{r.get('commit', 'unknown')}` "
             f"(load average {r.get('load', '?')})" for tool, r in seen.items()]
    return "Timed: " + "; ".join(parts) + "." if parts else ""


def by_tool(rows, task=None):
    return {r["tool"]: r for r in rows if task is None or r["task"] == task}


def comparison(lines, rows, base="crm", note_fp=True):
    """A table of tools with median, runs, memory, and how many times faster `base` is."""
    b = rows.get(base)
    lines.append("| tool | median | runs | peak memory | time / this project's | fingerprint |")
    lines.append("|---|---:|---:|---:|---:|---|")
    for tool, r in rows.items():
        ratio = "1.00" if tool == base else (
            f"{r['median_s'] / b['median_s']:.2f}" if b and b.get("median_s") else "-")
        fp = r.get("fingerprint", "")
        same = ""
        if note_fp and b and tool != base and fp:
            same = " (same)" if [str(x) for x in fp] == [str(x) for x in b.get("fingerprint", [])] else " (DIFFERS)"
        lines.append(f"| {tool} {r.get('version', '')} | {secs(r['median_s'])} | "
                     f"{len(r.get('runs_s', []))} | {mib(r.get('peak_rss_kib'))} | {ratio} | "
                     f"`{json.dumps(fp) if fp else ''}`{same} |")


def verdict(ok, text):
    return ("met: " if ok else "**MISSED**: ") + text


NOT_MEASURED = "Not measured."
# The lines of the targets that belong to each section (by how they start once their verdict
# is taken off), so a kept section keeps its targets.
TARGETS_OF = {
    "RFM table with scores": ("RFM compute only", "RFM whole job"),
    "NPS over a column of scores": ("NPS:",),
    "Churn models vs lifetimes": ("BG/NBD fit", "Pareto/NBD fit", "P(alive)"),
    "BG/BB vs lifetimes": ("BG/BB fit",),
    "Bulk import into SQLite": ("SQLite import:",),
    "Databases": ("Databases:",),
}
VERDICTS = ("met: ", "**MISSED**: ", "**NOT SHOWN**: ", "**NOT MEASURED**: ", "**FAILED**: ",
            "shown: ")


def sections(lines):
    """The lines before the first `## ` heading, and (heading, body lines) of each section."""
    head, parts = [], []
    for line in lines:
        if line.startswith("## "):
            parts.append((line[3:].strip(), []))
        elif parts:
            parts[-1][1].append(line)
        else:
            head.append(line)
    return head, parts


def measured(body):
    return any(line.strip() and line.strip() != NOT_MEASURED for line in body)


def old_targets(body, heading):
    """The target lines of a kept section from the old targets' list."""
    starts = TARGETS_OF.get(heading, ())
    kept = []
    for line in body:
        if not line.startswith("- "):
            continue
        text = line[2:]
        for v in VERDICTS:
            if text.startswith(v) and text[len(v):].startswith(starts):
                kept.append(text)
                break
    return kept


def mb(kib):
    return kib * 1024 / 1e6


def size(n):
    """Bytes in decimal units."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.{2 if n < 10 * scale else 1 if n < 100 * scale else 0}f} {unit}"
    return f"{n} bytes"


def databases(L, rows, versions, targets):
    """The Databases section: `crm import` and `crm rfm --db` on SQLite and PostgreSQL
    against the sqlite3 shell and psql."""
    latest = {}
    for r in rows:
        latest[(r["task"], r.get("tool"), r.get("store"))] = r
    inp = latest.get(("db-input", "both", None))
    if not inp:
        L += [NOT_MEASURED, ""]
        return
    get = lambda task, tool, store: latest.get((task, tool, store))
    size_ = latest.get(("db-size", "both", None))
    checks = {st: latest.get(("db-check", "both", st)) for st in ("sqlite", "postgres")}
    customers = inp["customers"]
    L += [f"{inp['rows']:,} transactions of {customers:,} customers (`bench-gen transactions "
          f"--rows {inp['rows']} --customers {customers}`, a CSV file of "
          f"{size(inp['csv_bytes'])} with the columns `customer_id,timestamp,amount`), "
          "the same file for every side. Whole processes timed with `/usr/bin/time` (wall "
          "time and peak resident memory of the command and its children), the two sides in "
          "interleaved rounds (imports: "
          f"{inp['import_runs']}, queries: {inp['query_runs']}); each time is the **median** of "
          "the runs shown, the peak memory the largest (MB = 10^6 bytes). *Ratio* is the "
          "project's time over the peer's: below 1 the project is faster. For PostgreSQL "
          "the server does most of the work on both sides; its memory is not counted, only "
          "the client's (`crm` or `psql`).",
          ""]

    def cell(r):
        if not r:
            return ": not measured", "-"
        if "median_s" not in r:
            lines = r.get("failed", "").strip().splitlines() or ["?"]
            if lines[-1].startswith("did not finish"):
                return f": {lines[-1]}", "-"
            return f": failed ({lines[-1][:200]})", "-"
        note = f" ({r['failed_runs']} failed)" if r.get("failed_runs") else ""
        runs = len(r["runs_s"])
        memory = "-" if r.get("peak_rss_kib") is None else f"{mb(r['peak_rss_kib']):.0f} MB"
        return f"{secs(r['median_s'])} ({runs} run{'s' if runs > 1 else ''}{note})", memory

    def ratio(c, p):
        if c and p and c.get("median_s") and p.get("median_s"):
            return c["median_s"] / p["median_s"]
        return None

    L += ["| store | task | this project | its peak memory | peer | peer's time | peer's peak "
          "memory | ratio | target | met? |", "|---|---|---|---:|---|---:|---:|---:|---|---|"]
    sq = " " + versions["sqlite3"] if "sqlite3" in versions else ""
    pq = " " + versions["psql"] if "psql" in versions else ""
    plans = [
        ("SQLite", "sqlite", "import the CSV into a new file", "db-import", "crm", "`crm import`",
         "sqlite3", f"sqlite3{sq} `.import --csv`", 3.0, 200),
        ("SQLite", "sqlite", "per-customer summary and RFM", "db-rfm", "crm",
         "`crm rfm --db --json`", "sqlite3", f"sqlite3{sq} `GROUP BY` to /dev/null", 1.2, None),
        ("SQLite", "sqlite", "the same, the table written to a CSV file", "db-rfm-output", "crm",
         "`crm rfm --db --output FILE.csv`", "sqlite3", "the same `GROUP BY`", None, None),
        ("PostgreSQL", "postgres", "import the CSV into a fresh schema", "db-import", "crm",
         "`crm import`", "psql", f"psql{pq} `\\copy`", 3.0, 200),
        ("PostgreSQL", "postgres", "per-customer summary and RFM", "db-rfm", "crm",
         "`crm rfm --db --json`", "psql", f"psql{pq} `GROUP BY` to /dev/null", 1.2, None),
        ("PostgreSQL", "postgres", "the same, the table written to a CSV file", "db-rfm-output",
         "crm", "`crm rfm --db --output FILE.csv`", "psql", "the same `GROUP BY`", None, None),
    ]
    for name, store, task_text, task, tool, crm_text, peer, peer_text, limit, mem_limit in plans:
        if store == "postgres" and not inp.get("postgres", 1):
            if task != "db-rfm-output":
                targets.append(f"**NOT MEASURED**: Databases: {name} {task_text} (the server "
                               "did not answer)")
            continue
        c = get(task, tool, store)
        p = get("db-rfm" if task == "db-rfm-output" else task, peer, store)
        if not c and not p and task == "db-rfm-output":
            continue
        ct, cm = cell(c)
        pt, pm = cell(p)
        pt = pt.lstrip(": ")
        r = ratio(c, p)
        r_text = f"{r:.2f}" if r is not None else "-"
        goal, met = "-", "-"
        if limit is not None:
            goal = f"time <= {limit:g}x the peer's"
            if mem_limit:
                goal += f"; peak memory < {mem_limit} MB"
            ok = r is not None and r <= limit
            mem_ok = (c is not None and c.get("peak_rss_kib") is not None
                      and mb(c["peak_rss_kib"]) < mem_limit) if mem_limit else True
            # A side stopped at its time limit took at least that long.
            stopped = re.search(r"did not finish within (\d+) s", (c or {}).get("failed", ""))
            if r is None and stopped and p and p.get("median_s") and "median_s" not in c:
                bound = int(stopped.group(1)) / p["median_s"]
                met = "**MISSED**" if bound > limit else "not shown"
                r_text = f"> {bound:.1f}"
                targets.append(
                    verdict(False, f"Databases: {name} {crm_text}: did not finish within "
                            f"{stopped.group(1)} s, more than {bound:.1f}x the time of {peer_text} "
                            f"(target <= {limit:g}x)") if bound > limit else
                    f"**NOT SHOWN**: Databases: {name} {crm_text}: stopped after "
                    f"{stopped.group(1)} s, only {bound:.1f}x the time of {peer_text} "
                    f"(target <= {limit:g}x)")
            elif r is None and c and "failed" in c:
                met = "**FAILED**"
                targets.append(f"**FAILED**: Databases: {name} {crm_text}: "
                               f"{c['failed'].strip().splitlines()[-1][:200]}")
            elif r is None:
                met = "not measured"
                targets.append(f"**NOT MEASURED**: Databases: {name} {crm_text} against {peer}")
            else:
                met = "met" if ok and mem_ok else "**MISSED**"
                targets.append(verdict(ok, f"Databases: {name} {crm_text}: {r:.2f}x the time "
                                       f"of {peer_text} (target <= {limit:g}x)"))
                if mem_limit:
                    targets.append(verdict(mem_ok, f"Databases: {name} {crm_text} peak memory "
                                           f"{mb(c['peak_rss_kib']):.0f} MB (target < "
                                           f"{mem_limit} MB)"))
        ct = ct if ct.startswith(":") else " " + ct
        L.append(f"| {name} | {task_text} | {crm_text}{ct} | {cm} | {peer_text} | {pt} | {pm} | "
                 f"{r_text} | {goal} | {met} |")
        if task == "db-import" and store == "sqlite" and size_ and size_.get("crm_db_bytes"):
            file_bytes = size_["crm_db_bytes"] + size_.get("crm_wal_bytes", 0)
            fr = file_bytes / size_["csv_bytes"]
            shell = (f"; the shell's database: {size(size_['shell_db_bytes'])}"
                     if size_.get("shell_db_bytes") else "")
            L.append(f"| SQLite | size of the file written | {size(file_bytes)} "
                     f"(write-ahead log included: {size(size_.get('crm_wal_bytes', 0))}) "
                     f"| - | the CSV file | {size(size_['csv_bytes'])}{shell} | - | "
                     f"{fr:.2f} | <= 3x the CSV's size | {'met' if fr <= 3 else '**MISSED**'} |")
            targets.append(verdict(fr <= 3, f"Databases: SQLite file {fr:.2f}x the CSV's size "
                                   "(target <= 3x)"))
        elif task == "db-import" and store == "sqlite":
            targets.append("**NOT MEASURED**: Databases: SQLite file size (no finished import)")
        if task == "db-rfm" and c and c.get("peak_rss_kib"):
            targets.append(f"shown: Databases: {name} `crm rfm --db` peak memory "
                           f"{mb(c['peak_rss_kib']):.0f} MB for {customers:,} customers "
                           f"({c['peak_rss_kib'] * 1024 / customers:.0f} bytes a customer; target: "
                           "proportional to customers, judged across sizes; one size "
                           "measured here)")
    L.append("")

    notes = []
    for store, name in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        ch = checks.get(store)
        if not ch:
            continue
        same = ("not compared" if "-" in (ch["crm"], ch["peer"]) else
                "same" if ch["crm"] == ch["peer"] else "DIFFER")
        line = (f"- {name}: rows and total amount in cents afterwards: the project's store "
                f"`{ch['crm']}`, the peer's table `{ch['peer']}` ({same}); "
                f"{ch['groups']} customers in the store")
        summary = ch.get("rfm_summary")
        n = None
        if isinstance(summary, dict):
            n = summary.get("customers")
        if n is not None:
            line += f", {n} in the summary `crm rfm --db --json` printed"
        if ch.get("rfm_output_lines"):
            line += f", {ch['rfm_output_lines'] - 1:,} rows in the table `--output` wrote"
        if ch.get("store_bytes"):
            line += (f"; the store's tables take {size(ch['store_bytes'])}, the plain "
                     f"table {size(ch['plain_bytes'])}")
        notes.append(line + ".")
        if ch.get("query"):
            notes.append(f"- {name} peer query: `{ch['query']}`.")
    if notes:
        L += notes + [""]
    L += ["The commands (from `benches/compare/data/db/`; `CSV` is the generated file, `URL` "
          "the server, `postgres://postgres@127.0.0.1:5432/test` unless `DB_PG` says otherwise):",
          "",
          "- SQLite import: `crm import --db crm.db transactions CSV --json` into a new file "
          "against `sqlite3 shell.db '.import --csv CSV transactions'` into a new database, where "
          "`.import` makes the table from the CSV's header (its three columns, TEXT, no index); "
          "both files removed before each round, untimed.",
          "- SQLite RFM: `crm rfm --db crm.db --json` (the summary on standard output; the "
          "table with `--output rfm-sqlite.csv` in its own row) against `sqlite3 crm.db "
          "'QUERY' >/dev/null` on the same file, QUERY the peer query above (the store's "
          "typed amount column when its schema has one).",
          "- PostgreSQL import: `crm import --db 'URL?schema=crm_bench' transactions CSV --json` "
          "into a schema dropped before each round, against `psql URL -c \"\\copy "
          "public.bench_plain_tx FROM 'CSV' WITH (FORMAT csv, HEADER)\"` into a table "
          "`(customer_id text, timestamp timestamptz, amount numeric)` with no index or key, "
          "dropped and created again before each round, untimed.",
          "- PostgreSQL RFM: `crm rfm --db 'URL?schema=crm_bench' --json` (and `--output`) against "
          "`psql URL -X -q -A -t -o /dev/null -c 'QUERY'` (unaligned rows, as the sqlite3 "
          "shell prints them).",
          "",
          "Repeat, from the repository root: `STAGES=\"setup db report\" "
          f"DB_ROWS={inp['rows']} DB_CUSTOMERS={customers} DB_IMPORT_RUNS={inp['import_runs']} "
          f"DB_RUNS={inp['query_runs']} benches/compare/run.sh`.", ""]
    prov = provenance([r for r in rows if r["task"] != "db-input"])
    if prov:
        L += [prov, ""]


BGBB_NAMES = ("alpha", "beta", "gamma", "delta")
# The estimates Fader, Hardie & Shang (2010) publish for the donations data set.
BGBB_PUBLISHED = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def bgbb(L, rows, targets):
    """The BG/BB section: the project's fit against lifetimes' BetaGeoBetaBinomFitter on the
    same summary file, from its compressed rows and from the per-customer rows behind them."""
    inp = next((r for r in reversed(rows) if r["task"] == "bgbb-input"), None)
    fits = {}
    for r in rows:
        if r["task"] in ("bgbb", "bgbb-per-customer"):
            fits.setdefault((r.get("input"), r["task"]), {})[r["tool"]] = r
    if not fits:
        L += [NOT_MEASURED, ""]
        return
    if inp:
        t = inp["truth"]
        L += [f"*simulated*: {inp['customers']:,} customers simulated from BG/BB with "
              + ", ".join(f"{k} {t[k]:g}" for k in BGBB_NAMES)
              + f" (the published donations estimates), each observed over "
              f"{inp['opportunities']} transaction opportunities: `{inp['generator']}` writes "
              f"them compressed into {inp['rows']} distinct histories with their counts, as "
              "`frequency,recency,periods,weights`."]
    L += ["*donations*: the data set of Fader, Hardie & Shang (2010), 11,104 first-time donors "
          "over six yearly opportunities, as its 22 distinct rows "
          "(`testdata/donations/donations.csv`, the same columns); published estimates "
          + ", ".join(f"{k} {v:.3f}" for k, v in BGBB_PUBLISHED.items()) + ".", "",
          "What each side gets and what is timed (in-process, the file read into memory "
          "first, untimed):", "",
          "- *compressed rows*: both sides get the rows of the file. This project: "
          "`BgBbHistories::from_weighted` (the rows checked and merged) and `BgBbParams::fit` "
          "(L-BFGS on log-parameters with an analytic gradient, then the Hessian for the "
          "standard errors), `bench-compute bgbb FILE`. lifetimes: "
          "`BetaGeoBetaBinomFitter().fit(frequency, recency, periods, weights=weights)` "
          "(scipy's BFGS on log-parameters with an autograd gradient, then the autograd "
          "Hessian and the standard errors), `peers.py bgbb FILE`.",
          "- *per-customer rows*: every row repeated `weights` times in a shuffled order, "
          "one history per customer, built before the timing. This project compresses them "
          "(`BgBbHistories::from_histories`) and fits, `bench-compute bgbb FILE "
          "--per-customer`; lifetimes gets the three per-customer arrays without weights (it "
          "does not compress them itself), `peers.py bgbb-per-customer FILE`.", "",
          "| input | rows given | this project | lifetimes | speed-up | parameters (project) | "
          "parameters (lifetimes) | max relative difference | timed: project; lifetimes "
          "(UTC, commit, load average) |",
          "|---|---|---:|---:|---:|---|---|---:|---|"]
    modes = {"bgbb": "compressed", "bgbb-per-customer": "per-customer"}
    fmt = lambda p: ", ".join(f"{k} = {p[k]:.6g}" for k in BGBB_NAMES) if p else "not measured"

    def cell(r):
        if not r:
            return "not measured", None
        if r.get("not_measured"):
            return r["not_measured"], None
        runs = len(r.get("runs_s", []))
        return f"{secs(r['median_s'])} ({runs} run{'s' if runs != 1 else ''})", r["median_s"]

    for (name, task), t in sorted(fits.items(), key=lambda kv: (kv[0][0] != "simulated", kv[0][1])):
        c, l = t.get("crm"), t.get("lifetimes")
        ct, cm = cell(c)
        lt, lm = cell(l)
        speed = f"{lm / cm:,.0f}x" if cm and lm else "-"
        stopped = l.get("timeout_s") if l else None
        if cm and stopped:
            speed = f"> {stopped / cm:,.0f}x"
        pc = c.get("params") if c and cm else None
        pl_ = l.get("params") if l and lm else None
        diff = (f"{max(abs(pc[k] - pl_[k]) / abs(pl_[k]) for k in BGBB_NAMES):.1e}"
                if pc and pl_ else "-")
        customers = (c or l or {}).get("customers")
        who = f"{int(customers):,} customers" if customers else "?"
        when = "; ".join(
            f"{r.get('at', '?').split(' ')[-2] if ' ' in r.get('at', '') else '?'}, "
            f"`{r.get('commit', 'unknown')}`, {r.get('load', '?')}" if r else "-"
            for r in (c, l))
        L.append(f"| {name} ({who}) | {modes[task]} | {ct} | {lt} | {speed} | {fmt(pc)} | "
                 f"{fmt(pl_)} | {diff} | {when} |")
        if name == "simulated" and task == "bgbb" and cm:
            n = int(customers)
            opp = (c or {}).get("opportunities", "?")
            targets.append(verdict(cm < 0.1, f"BG/BB fit of {n:,} simulated customers over {opp} "
                                   f"opportunities, compressed rows: {secs(cm)} (target < 100 ms)"))
            if lm:
                targets.append(verdict(lm / cm >= 20, f"BG/BB fit on the same compressed rows: "
                                       f"{lm / cm:,.0f}x faster than lifetimes' "
                                       "BetaGeoBetaBinomFitter (target >= 20x)"))
            elif stopped:
                targets.append(verdict(stopped / cm >= 20, f"BG/BB fit on the same compressed "
                                       f"rows: more than {stopped / cm:.0f}x faster than "
                                       f"lifetimes, stopped after {stopped} s (target >= 20x)"))
            else:
                targets.append("**NOT MEASURED**: BG/BB fit against lifetimes (no lifetimes "
                               "result)")
    L.append("")
    notes = []
    for (name, task), t in sorted(fits.items(), key=lambda kv: (kv[0][0] != "simulated", kv[0][1])):
        c, l = t.get("crm"), t.get("lifetimes")
        parts = []
        if c and c.get("fit_report"):
            rep_ = c["fit_report"]
            parts.append(f"this project {rep_['iterations']} iterations, {rep_['evaluations']} "
                         f"likelihood evaluations, converged {rep_['converged']}, "
                         f"log-likelihood {rep_['log_likelihood']:.6f}")
        if l and l.get("log_likelihood") is not None:
            parts.append(f"lifetimes log-likelihood {l['log_likelihood']:.6f}")
        if parts:
            notes.append(f"- {name}, {modes[task]} rows: " + "; ".join(parts) + ".")
        if task != "bgbb" or not (c and c.get("params") and c.get("std_errors")):
            continue
        p, se = c["params"], c["std_errors"]
        if name == "simulated" and inp:
            z = {k: (p[k] - inp["truth"][k]) / se[k] for k in BGBB_NAMES}
            inside = [k for k in BGBB_NAMES if abs(z[k]) <= 2]
            outside = [f"{k} ({z[k]:+.2f})" for k in BGBB_NAMES if abs(z[k]) > 2]
            notes.append("- simulated, this project's estimates minus the simulated "
                         "parameters, in standard errors: "
                         + ", ".join(f"{k} {z[k]:+.2f} (standard error {se[k]:.3g})"
                                     for k in BGBB_NAMES)
                         + "; within two standard errors: " + (", ".join(inside) or "none")
                         + ("; beyond: " + ", ".join(outside) if outside else "")
                         + " (one draw; recovery within two standard errors is tested in "
                         "`crm-churn`, `simulation_recovers_parameters_and_predictions`).")
        if name == "donations":
            rel = max(abs(p[k] - v) / v for k, v in BGBB_PUBLISHED.items())
            same = all(f"{p[k]:.3g}" == f"{v:.3g}" for k, v in BGBB_PUBLISHED.items())
            notes.append("- donations, this project's estimates against the published ones: "
                         + ", ".join(f"{k} {p[k]:.4f} ({v:.3f})" for k, v in BGBB_PUBLISHED.items())
                         + f"; max relative difference {rel:.1e}"
                         + (", equal to three significant digits." if same
                            else ", NOT equal to three significant digits."))
    if notes:
        L += ["The fits:", ""] + notes + [""]
    if inp and inp.get("repeat"):
        L += [f"Repeat, from the repository root: `{inp['repeat']}`.", ""]
    L += [f"Machine: {machine()}.", ""]
    L += [provenance([r for r in rows if r["task"] != "bgbb-input"]), ""]


def main():
    results, versions_path, out, command = sys.argv[1:5]
    head = sys.argv[5] if len(sys.argv) > 5 else "unknown"
    versions = {}
    if os.path.exists(versions_path):
        with open(versions_path) as f:
            versions = json.load(f)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = ["# Benchmark results", "",
         f"- Written: {now} at commit `{head}`. The command that repeats every measurement, "
         f"from the repository root: `{command}`.",
         f"- Machine: {machine()}; load average when written: "
         f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}.",
         "- Peers: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
         "- Each figure is the median of the runs shown. *Compute only*: the data is loaded "
         "into memory first and only the computation is timed, in-process, the same way on "
         "every side; peak memory is that of the whole process (data included). *Whole job*: "
         "the whole process is timed with `/usr/bin/time` (start-up, reading the CSV, "
         "computing, writing the CSV). A ratio above 1 means this project is that many times "
         "faster.",
         *([f"- Conditions: {os.environ['RUN_NOTE']}"] if os.environ.get("RUN_NOTE") else []),
         "- Each section says when it ran: the stages can be re-run one by one "
         "(`STAGES=\"rfm report\" benches/compare/run.sh`).", ""]
    targets = []

    check = load(results, "check")
    L += ["## Same results", ""]
    if check:
        c = check[-1]
        L += [f"On 50,000 transactions of 5,000 customers ({c['at']}, commit "
              f"`{c.get('commit', 'unknown')}`), every tool's full table was compared row by row "
              "(`benches/compare/check_equal.py`; the files are in "
              "`benches/compare/data/check/`):", "",
              f"- RFM (`crm rfm` CLI, the in-memory Rust API, DuckDB, Polars, pandas): {c['rfm']}",
              f"- ABC (the Rust API, DuckDB, Polars): {c['abc']}", ""]
    else:
        L += ["Not measured.", ""]

    rfm = load(results, "rfm")
    L += ["## RFM table with scores", ""]
    if rfm:
        compute = by_tool(rfm, "rfm")
        job = by_tool(rfm, "rfm-job")
        rows = compute.get("crm", {}).get("rows")
        L += [f"{rows:,} transactions of {compute['crm']['fingerprint'][0]:,} customers. "
              "Fingerprint: customers, sum of R, F and M scores, "
              "total monetary, Champions.", "", "### Compute only", ""] if rows else []
        comparison(L, compute)
        L += ["", "### Whole job: CSV file in, CSV file out", ""]
        comparison(L, job, note_fp=False)
        L += ["", provenance(rfm), ""]
        for name, rows_ in [("compute only", compute), ("whole job", job)]:
            peers = [rows_[t]["median_s"] for t in ("duckdb", "polars") if t in rows_]
            if "crm" in rows_ and peers:
                ratio = min(peers) / rows_["crm"]["median_s"]
                targets.append(verdict(ratio >= 2, f"RFM {name}: {ratio:.2f}x faster than the "
                                       "faster of DuckDB and Polars (target >= 2x)"))
    else:
        L += ["Not measured.", ""]

    abc = load(results, "abc")
    L += ["## ABC classes", ""]
    if abc:
        L += [f"Net revenue per customer of the same transactions, classes by cumulative "
              f"value share 80 % / 95 %. The project's time includes its "
              "RFM pass (how it aggregates per customer). Fingerprint: customers, A, B, C.", ""]
        comparison(L, by_tool(abc))
        L += ["", provenance(abc), ""]
    else:
        L += ["Not measured.", ""]

    nps = load(results, "nps")
    L += ["## NPS over a column of scores", ""]
    if nps:
        t = by_tool(nps)
        L += [f"{t['crm']['rows']:,} scores, one byte each, in memory; the "
              f"project on {t['crm'].get('threads')} threads. Fingerprint: detractors, "
              "passives, promoters.", ""]
        comparison(L, t)
        L += ["", provenance(nps), ""]
        if "polars" in t:
            ratio = t["polars"]["median_s"] / t["crm"]["median_s"]
            targets.append(verdict(ratio >= 1, f"NPS: {ratio:.2f}x the speed of Polars "
                                   "(target >= 1x)"))
    else:
        L += ["Not measured.", ""]

    churn = load(results, "churn-cdnow") + load(results, "churn-simulated")
    L += ["## Churn models vs lifetimes", ""]
    if churn:
        L += ["Inputs: the full CDNOW cohort (23,570 customers, built at run time from the "
              "`CDNOW_master.txt` shipped in the lifetimes wheel, daily resolution, in weeks) and "
              "customers simulated from BG/NBD with Gamma-Gamma spend (`bench-gen cohort`). "
              "Both sides read the same summary CSV; fits are timed in-process.", "",
              "| input | model | this project | lifetimes | speed-up | parameters (project) | "
              "parameters (lifetimes) | max relative difference | timed: project; lifetimes "
              "(UTC, commit, load average) |",
              "|---|---|---:|---:|---:|---|---|---:|---|"]
        names = {"churn-bgnbd": "BG/NBD fit", "churn-pareto": "Pareto/NBD fit",
                 "churn-gamma": "Gamma-Gamma fit"}
        keys = {}
        for r in churn:
            keys.setdefault((r.get("input"), r["task"]), {})[r["tool"]] = r
        palive = []
        for (inp, task), t in keys.items():
            c, l = t.get("crm"), t.get("lifetimes")
            cnote = c.get("not_measured") if c else None
            if cnote:
                c = None
            cm = c.get("median_s") if c else None
            lm = l.get("median_s") if l else None
            speed = f"{lm / cm:.1f}x" if cm and lm else "-"
            stopped = l.get("timeout_s") if l else None
            if cm and stopped:
                # lifetimes was stopped: its time, and the speed-up, are lower bounds.
                speed = f"> {stopped / cm:.0f}x"
            pc = c.get("params") if c else None
            pl_ = l.get("params") if l else None
            diff = "-"
            if pc and pl_:
                common = [k for k in pc if k in pl_]
                diff = f"{max(abs(pc[k] - pl_[k]) / abs(pl_[k]) for k in common):.1e}"
            fmt = lambda p: ", ".join(f"{k} = {v:.6g}" for k, v in p.items()) if p else "not measured"
            lnote = (l.get("not_measured") if l and "not_measured" in l else None)
            when = "; ".join(
                f"{r.get('at', '?').split(' ')[1]}, `{r.get('commit', 'unknown')}`, {r.get('load', '?')}"
                if r else "-" for r in (t.get("crm"), t.get("lifetimes")))
            L.append(f"| {inp} ({(c or l or {}).get('customers', '?'):,} customers) | {names.get(task, task)} | "
                     f"{cnote or secs(cm)} | {lnote or secs(lm)} | {speed} | {fmt(pc)} | {fmt(pl_)} | {diff} | {when} |")
            if cm and (lm or stopped) and task in ("churn-bgnbd", "churn-pareto"):
                need = 20 if task == "churn-bgnbd" else 10
                if lm:
                    targets.append(verdict(lm / cm >= need, f"{names[task]} on {inp}: "
                                           f"{lm / cm:.1f}x faster than lifetimes (target >= {need}x)"))
                elif stopped / cm >= need:
                    targets.append(verdict(True, f"{names[task]} on {inp}: more than "
                                           f"{stopped / cm:.0f}x faster than lifetimes, which was "
                                           f"stopped after {stopped} s (target >= {need}x)"))
                else:
                    targets.append(f"**NOT SHOWN**: {names[task]} on {inp}: lifetimes was stopped "
                                   f"after {stopped} s, only {stopped / cm:.1f}x the project's time "
                                   f"(target >= {need}x)")
            for side in (c, l):
                if side and side.get("palive_median_s"):
                    palive.append((inp, task, side["tool"], side["palive_median_s"], side["customers"]))
        L.append("")
        reports = [(k, t["crm"]["fit_report"]) for k, t in keys.items()
                   if t.get("crm", {}).get("fit_report")]
        if reports:
            L += ["The project's fits (L-BFGS on log-parameters, analytic gradients, then a "
                  "numerical Hessian for the standard errors):", ""]
            for (inp, task), rep in reports:
                L.append(f"- {inp}, {names.get(task, task)}: {rep['iterations']} iterations, "
                         f"{rep['evaluations']} likelihood evaluations, converged "
                         f"{rep['converged']}, log-likelihood {rep['log_likelihood']:.6f}, "
                         f"Nelder-Mead used {rep['used_nelder_mead']}.")
            L.append("")
        if palive:
            L += ["P(alive) for every customer:", "",
                  "| input | model | tool | median | customers per second |", "|---|---|---|---:|---:|"]
            for inp, task, tool, m, n in palive:
                L.append(f"| {inp} | {names.get(task, task)} | {tool} | {secs(m)} | {n / m / 1e6:.1f} M |")
                if tool == "crm":
                    targets.append(verdict(n / m >= 1e7, f"P(alive) ({names.get(task, task)}, {inp}): "
                                           f"{n / m / 1e6:.1f} M customers/s (target >= 10 M/s)"))
            L.append("")
        L += ["P(alive) was timed in the same process as the fit of its row (see the fits' "
              "table for when and on which commit).", ""]
    else:
        L += ["Not measured.", ""]

    L += ["## BG/BB vs lifetimes", ""]
    bgbb(L, load(results, "bgbb"), targets)

    imp = load(results, "import")
    L += ["## Bulk import into SQLite", ""]
    t = by_tool([r for r in imp if r["task"] == "import"])
    if "crm" in t and "sqlite3" in t:
        c, s = t["crm"], t["sqlite3"]
        chk = next((r for r in reversed(imp) if r["task"] == "import-check"), None)
        L += [f"1,000,000 seeded transactions of 10,000 customers, every field filled, into a new "
              f"SQLite file that already holds the schema and the customers; "
              "interleaved rounds. *This project*: `cargo run --release -p crm-benches "
              "--example import_speed -- import DB` (schema, customers and the rows built "
              "first, untimed; then the rows appended through the store's `append_batch`, typed, "
              "foreign keys on; the example prints the seconds from the start of the append to "
              "the database being closed, and its documentation says how it batches). *sqlite3*: the "
              "same rows exported by `import_speed export DIR` as CSV in table column order, "
              "loaded by `sqlite3 DB '.import --csv transactions.csv transactions'` (foreign "
              "keys off, the shell's default), whole process timed.", "",
              "| tool | median | runs | peak memory |", "|---|---:|---:|---:|",
              f"| this project, `append_batch` only | {secs(c.get('inner_median_s'))} | "
              f"{len(c.get('inner_runs_s', []))} | - |",
              f"| this project, whole process (building the rows included) | {secs(c['median_s'])} | "
              f"{len(c['runs_s'])} | {mib(c.get('peak_rss_kib'))} |",
              f"| sqlite3 {versions.get('sqlite3', '')} `.import`, whole process | "
              f"{secs(s['median_s'])} | {len(s['runs_s'])} | {mib(s.get('peak_rss_kib'))} |", ""]
        if chk:
            L += [f"Rows and total amount afterwards: project `{chk['crm']}`, sqlite3 "
                  f"`{chk['sqlite3']}`" + (" (same)." if chk["crm"] == chk["sqlite3"] else
                                           " (DIFFER)."), ""]
        L += [provenance([c, s]), ""]
        if c.get("inner_median_s"):
            ratio = c["inner_median_s"] / s["median_s"]
            targets.append(verdict(ratio <= 2, f"SQLite import: {ratio:.2f}x the time of "
                                   "sqlite3 .import (target <= 2x)"))
    else:
        L += ["Not measured.", ""]

    L += ["## Databases", ""]
    databases(L, load(results, "db"), versions, targets)

    scale = load(results, "scale")
    L += ["## Scaling", ""]
    if scale:
        L += ["*rfm*: in-memory generated transactions (10 per customer). *bgnbd*: the fit "
              "(histories compressed into weighted rows, then maximum likelihood) on CDNOW-like "
              "customers simulated with as many transactions in all (first purchases "
              "included). Compute timed in-process; "
              "*added memory* is the peak resident memory during the computation minus the "
              "resident memory with the input loaded.", "",
              "| computation | transactions | customers | median | per million transactions | "
              "input in memory | added memory |", "|---|---:|---:|---:|---:|---:|---:|"]
        latest = {}
        for r in scale:
            latest[(r["task"], r["rows"])] = r
        for r in sorted(latest.values(), key=lambda r: (r["rows"], r["task"])):
            L.append(f"| {r['task']} | {r['rows']:,} | {r.get('customers', 0):,} | "
                     f"{secs(r['median_s'])} | {secs(r['median_s'] / r['rows'] * 1e6)} | "
                     f"{mib(r.get('input_rss_kib'))} | {mib(r.get('compute_added_kib'))} |")
        L += ["", provenance(scale), ""]
    else:
        L += ["Not measured.", ""]

    # A section without results keeps its text (and its targets) from the file replaced; the
    # sections written by hand after the targets stay after them.
    old_head, old = [], []
    if os.path.exists(out):
        with open(out) as f:
            old_head, old = sections(f.read().split("\n"))
    old_by = dict(old)
    head, new = sections(L)
    written = {h for h, _ in new} | {"Targets"}
    kept = []
    for i, (heading, body) in enumerate(new):
        if not measured(body) and measured(old_by.get(heading, [])):
            new[i] = (heading, old_by[heading])
            kept.append(heading)
            targets += old_targets(old_by.get("Targets", []), heading)
    # The peers' versions of the file replaced stay for the peers not run this time (the
    # kept sections were measured with them), and the machine they ran on is named.
    used = {r.get("tool") for f in os.listdir(results) if f.endswith(".jsonl")
            for r in load(results, f[:-len(".jsonl")])} if os.path.isdir(results) else set()
    old_machine = None
    for line in old_head:
        if line.startswith("- Machine: "):
            old_machine = line[len("- Machine: "):].split("; load average")[0]
        if line.startswith("- Peers: ") and kept:
            known = dict(p.rsplit(" ", 1) for p in line[len("- Peers: "):].rstrip(".").split(", ")
                         if " " in p)
            merged = {**known, **{k: v for k, v in versions.items() if k in used or k not in known}}
            head = [("- Peers: " + ", ".join(f"{k} {v}" for k, v in merged.items()) + ".")
                    if h.startswith("- Peers: ") else h for h in head]
    if kept:
        where = (f" The previous version was written on {old_machine}." if old_machine and old_machine
                 != machine() and not old_machine.startswith(machine()) else "")
        head.insert(len(head) - 1, "- Kept from the previous version of this file (no results "
                    "in this run; each says when and on which commit it was measured): "
                    + ", ".join(kept) + "." + where)
    # The targets in the order of their sections.
    order = list(TARGETS_OF.values())

    def place(t):
        text = next((t[len(v):] for v in VERDICTS if t.startswith(v)), t)
        return next((i for i, starts in enumerate(order) if text.startswith(starts)), len(order))

    targets.sort(key=place)
    expected = ["RFM", "NPS", "BG/NBD", "Pareto/NBD", "P(alive)", "BG/BB", "SQLite import"]
    for e in expected:
        if not any(e in t for t in targets if not t.split(": ", 1)[-1].startswith("Databases:")):
            targets.append(f"**NOT MEASURED**: {e}")
    if not any(t.split(": ", 1)[-1].startswith("Databases:") for t in targets):
        targets.append("**NOT MEASURED**: Databases: import and RFM on SQLite and PostgreSQL")
    L = head[:]
    for heading, body in new:
        L += [f"## {heading}", *body]
    L += ["## Targets", ""] + [f"- {t}" for t in targets] + [""]
    for heading, body in old:
        if heading not in written:
            L += [f"## {heading}", *body]
    with open(out, "w") as f:
        f.write("\n".join(L).rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
