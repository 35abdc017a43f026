"""Times a whole command as a job: runs it RUNS times under /usr/bin/time, prints one JSON
object with every run's wall seconds, their median and minimum and the largest peak resident
memory.

Usage: timejob.py TASK TOOL RUNS [--inner REGEX] [--field KEY=VALUE ...] [--stdout FILE]
                  -- COMMAND [ARG ...]
       timejob.py merge < RESULTS.jsonl   (one object from single-run results, e.g. of
                                          interleaved rounds; lines with "failed" instead
                                          of times are counted as failed_runs)

With --inner, REGEX (one group) picks a number of seconds out of the command's standard
output in every run (a time the command measured itself, e.g. of one step); their median
is reported as inner_median_s. With --field KEY=VALUE (repeatable) the result also holds
KEY with the text VALUE. With --stdout FILE the last run's standard output is kept in FILE.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile


def merge():
    rows = [json.loads(line) for line in sys.stdin if line.strip()]
    # A round that failed (a line with "failed" instead of times) is counted and its message
    # kept; the result is that of the rounds that ran.
    failed = [r for r in rows if "failed" in r]
    rows = [r for r in rows if "failed" not in r]
    if not rows:
        print(json.dumps({**failed[0], "failed_runs": len(failed)}))
        return
    out = dict(rows[0])
    if failed:
        out["failed"] = failed[0]["failed"]
        out["failed_runs"] = len(failed)
    out["runs_s"] = [t for r in rows for t in r["runs_s"]]
    out["median_s"] = statistics.median(out["runs_s"])
    out["min_s"] = min(out["runs_s"])
    out["peak_rss_kib"] = max(r["peak_rss_kib"] for r in rows)
    if "inner_runs_s" in out:
        out["inner_runs_s"] = [t for r in rows for t in r["inner_runs_s"]]
        out["inner_median_s"] = statistics.median(out["inner_runs_s"])
    print(json.dumps(out))


def main():
    if sys.argv[1] == "merge":
        merge()
        return
    task, tool, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    split = sys.argv.index("--")
    opts, cmd = sys.argv[4:split], sys.argv[split + 1:]
    inner_re = re.compile(opts[opts.index("--inner") + 1]) if "--inner" in opts else None
    fields = dict(opts[i + 1].split("=", 1) for i, o in enumerate(opts) if o == "--field")
    keep = opts[opts.index("--stdout") + 1] if "--stdout" in opts else None
    times, peaks, inner = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "time")
        for _ in range(runs):
            done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", out, *cmd], check=True,
                                  stdout=subprocess.PIPE, text=True)
            with open(out) as f:
                seconds, kib = f.read().split()[-2:]
            times.append(float(seconds))
            peaks.append(int(kib))
            if inner_re:
                m = inner_re.search(done.stdout)
                if not m:
                    sys.exit(f"no match of {inner_re.pattern!r} in {done.stdout!r}")
                inner.append(float(m.group(1)))
            if keep:
                with open(keep, "w") as f:
                    f.write(done.stdout)
    result = {"task": task, "tool": tool, "median_s": statistics.median(times),
              "min_s": min(times), "runs_s": times, "peak_rss_kib": max(peaks), "command": " ".join(cmd), **fields}
    if inner:
        result["inner_median_s"] = statistics.median(inner)
        result["inner_runs_s"] = inner
    print(json.dumps(result))


if __name__ == "__main__":
    main()
