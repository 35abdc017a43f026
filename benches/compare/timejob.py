"""Times a whole command as a job: runs it RUNS times under /usr/bin/time, prints one JSON
object with every run's wall seconds, their median and the largest peak resident memory.

Usage: timejob.py TASK TOOL RUNS [--inner REGEX] -- COMMAND [ARG ...]
       timejob.py merge < RESULTS.jsonl   (one object from single-run results, e.g. of
                                          interleaved rounds)

With --inner, REGEX (one group) picks a number of seconds out of the command's standard
output in every run (a time the command measured itself, e.g. of one step); their median
is reported as inner_median_s.
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
    out = dict(rows[0])
    out["runs_s"] = [t for r in rows for t in r["runs_s"]]
    out["median_s"] = statistics.median(out["runs_s"])
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
    result = {"task": task, "tool": tool, "median_s": statistics.median(times),
              "runs_s": times, "peak_rss_kib": max(peaks), "command": " ".join(cmd)}
    if inner:
        result["inner_median_s"] = statistics.median(inner)
        result["inner_runs_s"] = inner
    print(json.dumps(result))


if __name__ == "__main__":
    main()
