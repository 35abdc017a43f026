"""Writes benches/RESULTS.md from the per-stage results of run.sh.

Usage: report.py RESULTS_DIR VERSIONS.json OUT.md COMMAND
The environment variable RUN_NOTE, when set, is printed as the conditions of the run.
"""

import datetime
import json
import os
import platform
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

    L += ["## Targets", ""]
    expected = ["RFM", "NPS", "BG/NBD", "Pareto/NBD", "P(alive)", "SQLite"]
    for e in expected:
        if not any(e in t for t in targets):
            targets.append(f"**NOT MEASURED**: {e}")
    L += [f"- {t}" for t in targets] + [""]
    with open(out, "w") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
