#!/usr/bin/env bash
# Side-by-side comparison of this project with the tools users would otherwise pick.
#
#   benches/compare/run.sh            # everything, then benches/RESULTS.md
#   benches/compare/run.sh --quick    # small sizes, a few minutes: checks the whole pipeline
#   STAGES="rfm nps report" benches/compare/run.sh
#   TOOLS="crm" STAGES="rfm report" benches/compare/run.sh   # re-time one side only
#   STAGES="setup db report" benches/compare/run.sh          # the databases only
#   STAGES="setup bgbb report" benches/compare/run.sh        # BG/BB against lifetimes only
#
# Stages (in this order): setup check rfm abc nps churn scale import db churn-sim bgbb report
# (churn: the CDNOW cohort; churn-sim: the simulated customers; db: `crm import` and
# `crm rfm --db` on SQLite and PostgreSQL against the sqlite3 shell and psql; bgbb: the BG/BB
# fit on simulated discrete-time customers and on the donations data set).
# TOOLS (default: crm duckdb polars pandas lifetimes sqlite3 psql) limits the timed sides; with it
# set, earlier results of the other sides are kept (every result records when it ran and on
# which commit) and the report takes the latest result of each side. MODELS (default: bgnbd
# gamma pareto) limits the churn fits the same way.
# Sizes and repetitions can be changed with the variables below (QUICK=1 is --quick).
# Needs: cargo, python3 with venv and pip (PyPI reachable), /usr/bin/time, and the sqlite3
# shell; the db stage also needs psql and a PostgreSQL server (DB_PG, default
# postgres://postgres@127.0.0.1:5432/test, where it drops and creates the schema DB_SCHEMA,
# default crm_bench, and the table DB_PLAIN_TABLE, default public.bench_plain_tx).
# Nothing is downloaded at run time but the Python peers (into the venv below, only for the
# stages that run them) and, on a first build, the Rust dependencies from crates.io.
# Inputs, outputs and per-stage results go to benches/compare/data/ (not committed); the
# Python peers live in benches/compare/.venv (created here from PyPI).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=$HERE/data
RESULTS=$DATA/results
VENV=$HERE/.venv
PY=$VENV/bin/python
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release

for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        *) echo "usage: $0 [--quick]  (environment: STAGES, RUNS, SLOW_RUNS, sizes)" >&2; exit 2 ;;
    esac
done

TOOLS_SET=${TOOLS:+1}
TOOLS=${TOOLS:-"crm duckdb polars pandas lifetimes sqlite3 psql"}
STAGES=${STAGES:-"setup check rfm abc nps churn scale import db churn-sim bgbb report"}
if [[ ${QUICK:-0} == 1 ]]; then
    QFLAG=" --quick"; RUNS=${RUNS:-3}; SLOW_RUNS=${SLOW_RUNS:-1}
    RFM_ROWS=${RFM_ROWS:-200000}; RFM_CUSTOMERS=${RFM_CUSTOMERS:-20000}
    NPS_ROWS=${NPS_ROWS:-1000000}; SIM_CUSTOMERS=${SIM_CUSTOMERS:-20000}
    SCALE_ROWS=${SCALE_ROWS:-"100000 1000000"}
    DB_ROWS=${DB_ROWS:-200000}; DB_CUSTOMERS=${DB_CUSTOMERS:-20000}
    BGBB_CUSTOMERS=${BGBB_CUSTOMERS:-20000}
else
    QFLAG=""
    RUNS=${RUNS:-5}            # repetitions of fast measurements
    SLOW_RUNS=${SLOW_RUNS:-3}  # repetitions of slow peers and whole jobs
    RFM_ROWS=${RFM_ROWS:-10000000}; RFM_CUSTOMERS=${RFM_CUSTOMERS:-1000000}
    NPS_ROWS=${NPS_ROWS:-100000000}; SIM_CUSTOMERS=${SIM_CUSTOMERS:-1000000}
    SCALE_ROWS=${SCALE_ROWS:-"100000 1000000 10000000"}
    DB_ROWS=${DB_ROWS:-10000000}; DB_CUSTOMERS=${DB_CUSTOMERS:-1000000}
    BGBB_CUSTOMERS=${BGBB_CUSTOMERS:-1000000}
fi
# The bgbb stage: customers simulated over BGBB_OPPORTUNITIES opportunities each (seed
# BGBB_SEED), and the repetitions of the fits on compressed rows (a few milliseconds each).
BGBB_OPPORTUNITIES=${BGBB_OPPORTUNITIES:-10}
BGBB_SEED=${BGBB_SEED:-2010}
BGBB_RUNS=${BGBB_RUNS:-9}
# Every fit gets a time limit (one process: loading, the fits and P(alive)); a side past it is
# reported as "did not finish within N s". lifetimes does not compress customers with equal
# histories, so on the simulated customers it gets one run and a longer limit.
PEER_TIMEOUT=${PEER_TIMEOUT:-600}
SIM_PEER_TIMEOUT=${SIM_PEER_TIMEOUT:-1200}
CRM_TIMEOUT=${CRM_TIMEOUT:-1200}
IMPORT_RUNS=${IMPORT_RUNS:-$SLOW_RUNS}  # rounds of the import comparison
# The db stage: rounds of its imports (one by default: on the full size an import takes
# minutes) and of its RFM queries, and the time limit of each of its commands.
DB_IMPORT_RUNS=${DB_IMPORT_RUNS:-1}
DB_RUNS=${DB_RUNS:-$SLOW_RUNS}
DB_TIMEOUT=${DB_TIMEOUT:-1800}
DB_PG=${DB_PG:-postgres://postgres@127.0.0.1:5432/test}
DB_SCHEMA=${DB_SCHEMA:-crm_bench}
DB_PLAIN_TABLE=${DB_PLAIN_TABLE:-public.bench_plain_tx}

mkdir -p "$DATA" "$RESULTS"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
has_stage() { [[ " $STAGES " == *" $1 "* ]]; }
want() { [[ " $TOOLS " == *" $1 "* ]]; }
# The stages that run the Python peers; the others need only the standard library, so
# without them and without the venv the system python3 records and reports.
needs_peers() { local s; for s in check rfm abc nps churn churn-sim bgbb; do has_stage $s && return 0; done; return 1; }
[[ -x $PY ]] || needs_peers || PY=$(command -v python3)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $COMMIT != unknown ]] && [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no -- 'crm-*' benches Cargo.toml Cargo.lock 2>/dev/null) ]]; then
    COMMIT="$COMMIT+uncommitted"
fi
# Appends one JSON line to a stage's result file, stamped with the time of the run.
record() { "$PY" -c 'import json,sys,os,datetime; d=json.loads(sys.argv[1]); d["at"]=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"); d["commit"]=sys.argv[2]; d["load"]=" ".join(f"{x:.1f}" for x in os.getloadavg()); print(json.dumps(d))' "$1" "$COMMIT" >>"$RESULTS/$2.jsonl"; }
# A full run starts a stage's results afresh; a run of some sides (TOOLS) adds to them.
fresh() { [[ -n $TOOLS_SET ]] || : >"$RESULTS/$1.jsonl"; }

setup() {
    if needs_peers && { [[ ! -x $PY ]] || ! "$PY" -c 'import duckdb, polars, pandas, numpy, pyarrow, lifetimes' 2>/dev/null; }; then
        log "creating $VENV with the peers from PyPI"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --upgrade pip
        "$VENV/bin/pip" install --quiet duckdb polars pandas numpy pyarrow 'lifetimes==0.11.3'
    fi
    # Nothing but the Python peers is downloaded at run time: the shell must be installed.
    if ! command -v sqlite3 >/dev/null; then
        echo "the sqlite3 shell is missing: install it first (e.g. sudo apt-get install sqlite3)" >&2
        exit 1
    fi
    if has_stage db && ! command -v psql >/dev/null; then
        echo "psql is missing: install it first (e.g. sudo apt-get install postgresql-client)" >&2
        exit 1
    fi
    # Only what the stages run: the generators and timers always, `crm` for the check, rfm
    # and db stages, the import example for the import stage.
    log "building the Rust side in release"
    local packages=(-p crm-benches --bins)
    { has_stage check || has_stage rfm || has_stage db; } && packages+=(-p crm-cli)
    (cd "$ROOT" && cargo build --release --quiet "${packages[@]}")
    if has_stage import; then
        (cd "$ROOT" && cargo build --release --quiet -p crm-benches --example import_speed)
    fi
    # The peers' versions; those not installed keep what an earlier run recorded.
    "$PY" - "$DATA/versions.json" "$DB_PG" <<'PYEOF'
import json, os, subprocess, sys
path, pg = sys.argv[1], sys.argv[2]
v = json.load(open(path)) if os.path.exists(path) else {}
try:
    import duckdb, polars, pandas, numpy, lifetimes
    v.update({"duckdb": duckdb.__version__, "polars": polars.__version__,
              "pandas": pandas.__version__, "numpy": numpy.__version__,
              "lifetimes": lifetimes.__version__})
except ImportError:
    pass
v["sqlite3"] = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
try:
    v["psql"] = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.split()[2]
    server = subprocess.run(["psql", pg, "-X", "-At", "-c", "SHOW server_version"],
                            capture_output=True, text=True, timeout=30)
    if server.returncode == 0:
        v["PostgreSQL server"] = server.stdout.split()[0]
except (OSError, IndexError, subprocess.TimeoutExpired):
    pass
with open(path, "w") as f:
    json.dump(v, f)
PYEOF
}

gen_tx() { # rows customers file
    [[ -s $3 ]] || { log "generating $1 transactions of $2 customers"; "$BIN/bench-gen" transactions --rows "$1" --customers "$2" --out "$3"; }
}

check() {
    # Every tool computes the same tables from the same small input.
    fresh check
    local tx=$DATA/check-tx.csv dir=$DATA/check
    mkdir -p "$dir"
    gen_tx 50000 5000 "$tx"
    "$BIN/crm" rfm --transactions "$tx" --output "$dir/rfm-crm.csv" >/dev/null
    "$BIN/bench-compute" rfm "$tx" --runs 1 --dump "$dir/rfm-rust.csv" >/dev/null
    for tool in duckdb polars pandas; do
        "$PY" "$HERE/peers.py" rfm "$tool" "$tx" 1 --dump "$dir/rfm-$tool.csv" >/dev/null
    done
    # bench-compute names the score columns r,f,m: align them.
    sed -i '1s/.*/customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment/' "$dir/rfm-rust.csv"
    local cols=customer_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment
    # File names relative to the check folder: the report must not name machine paths.
    (cd "$dir" && "$PY" "$HERE/check_equal.py" $cols rfm-crm.csv rfm-rust.csv \
        rfm-duckdb.csv rfm-polars.csv rfm-pandas.csv) | tee "$dir/rfm.txt" >&2
    "$BIN/bench-compute" abc "$tx" --runs 1 --dump "$dir/abc-rust.csv" >/dev/null
    for tool in duckdb polars; do
        "$PY" "$HERE/peers.py" abc "$tool" "$tx" 1 --dump "$dir/abc-$tool.csv" >/dev/null
    done
    (cd "$dir" && "$PY" "$HERE/check_equal.py" customer_id,value,class abc-rust.csv \
        abc-duckdb.csv abc-polars.csv) | tee "$dir/abc.txt" >&2
    record "{\"task\": \"check\", \"rfm\": \"$(cat "$dir/rfm.txt")\", \"abc\": \"$(cat "$dir/abc.txt")\"}" check
}

rfm_stage() {
    fresh rfm
    local tx=$DATA/tx-$RFM_ROWS.csv out=$DATA/out
    mkdir -p "$out"
    gen_tx "$RFM_ROWS" "$RFM_CUSTOMERS" "$tx"
    if want crm; then
        log "RFM compute only: project"
        record "$("$BIN/bench-compute" rfm "$tx" --runs "$RUNS" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" rfm
    fi
    for tool in duckdb polars pandas; do
        want $tool || continue
        log "RFM compute only: $tool"
        local n=$RUNS; [[ $tool == pandas ]] && n=$SLOW_RUNS
        record "$("$PY" "$HERE/peers.py" rfm "$tool" "$tx" "$n")" rfm
    done
    if want crm; then
        log "RFM whole job (CSV to CSV): project"
        record "$("$PY" "$HERE/timejob.py" rfm-job crm "$SLOW_RUNS" -- "$BIN/crm" rfm --transactions "$tx" --output "$out/rfm-crm.csv")" rfm
    fi
    for tool in duckdb polars pandas; do
        want $tool || continue
        log "RFM whole job (CSV to CSV): $tool"
        record "$("$PY" "$HERE/timejob.py" rfm-job "$tool" "$SLOW_RUNS" -- "$PY" "$HERE/peers.py" rfm-job "$tool" "$tx" "$out/rfm-$tool.csv")" rfm
    done
}

abc_stage() {
    fresh abc
    local tx=$DATA/tx-$RFM_ROWS.csv
    gen_tx "$RFM_ROWS" "$RFM_CUSTOMERS" "$tx"
    if want crm; then
        log "ABC compute only: project"
        record "$("$BIN/bench-compute" abc "$tx" --runs "$RUNS" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" abc
    fi
    for tool in duckdb polars; do
        want $tool || continue
        log "ABC compute only: $tool"
        record "$("$PY" "$HERE/peers.py" abc "$tool" "$tx" "$RUNS")" abc
    done
}

nps_stage() {
    fresh nps
    local scores=$DATA/scores-$NPS_ROWS.u8
    [[ -s $scores ]] || { log "generating $NPS_ROWS scores"; "$BIN/bench-gen" scores --rows "$NPS_ROWS" --out "$scores"; }
    if want crm; then
        log "NPS compute only: project"
        record "$("$BIN/bench-compute" nps "$scores" --runs 9 --threads 2 | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" nps
    fi
    for tool in duckdb polars; do
        want $tool || continue
        log "NPS compute only: $tool"
        record "$("$PY" "$HERE/peers.py" nps "$tool" "$scores" 9)" nps
    done
}

# churn_stage INPUT: the fits on the CDNOW cohort ("cdnow") or on simulated customers.
churn_stage() {
    local name=$1 file
    if [[ $name == cdnow ]]; then
        file=$DATA/cdnow.csv
        [[ -s $file ]] || { log "building the CDNOW cohort"; "$PY" "$HERE/peers.py" cdnow "$file" >/dev/null; }
    else
        file=$DATA/cohort-$SIM_CUSTOMERS.csv
        [[ -s $file ]] || { log "simulating $SIM_CUSTOMERS customers"; "$BIN/bench-gen" cohort --customers "$SIM_CUSTOMERS" --out "$file"; }
    fi
    fresh "churn-$name"
    local limit=$PEER_TIMEOUT line
    [[ $name == simulated ]] && limit=$SIM_PEER_TIMEOUT
    for model in ${MODELS:-bgnbd gamma pareto}; do
        # Fits are slow on both sides: SLOW_RUNS; one run of Pareto/NBD on the big cohort, and
        # one run of the lifetimes BG/NBD and Pareto/NBD fits there.
        local n=$SLOW_RUNS ln
        [[ $model == gamma ]] && n=$RUNS
        [[ $name == simulated && $model == pareto ]] && n=1
        ln=$n
        [[ $name == simulated && $model != gamma ]] && ln=1
        if want crm; then
            log "churn $model on $name: project"
            if line=$(timeout "$CRM_TIMEOUT" "$BIN/bench-compute" churn "$model" "$file" --runs "$n"); then
                record "$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["tool"]="crm"; d["input"]=sys.argv[2]; print(json.dumps(d))' "$line" "$name")" "churn-$name"
            else
                record "{\"task\": \"churn-$model\", \"tool\": \"crm\", \"input\": \"$name\", \"not_measured\": \"did not finish within $CRM_TIMEOUT s\", \"timeout_s\": $CRM_TIMEOUT}" "churn-$name"
            fi
        fi
        if want lifetimes; then
            log "churn $model on $name: lifetimes ($ln runs, limit $limit s)"
            if line=$(timeout "$limit" "$PY" "$HERE/peers.py" churn "$model" "$file" "$ln"); then
                record "$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["input"]=sys.argv[2]; print(json.dumps(d))' "$line" "$name")" "churn-$name"
            else
                record "{\"task\": \"churn-$model\", \"tool\": \"lifetimes\", \"input\": \"$name\", \"not_measured\": \"did not finish within $limit s\", \"timeout_s\": $limit}" "churn-$name"
            fi
        fi
    done
}

# bgbb_input NAME FILE: the BG/BB fits of both sides on one summary file
# `frequency,recency,periods,weights`, from its compressed rows (BGBB_RUNS runs) and from the
# per-customer rows behind them (SLOW_RUNS runs; lifetimes, which does not compress, one run
# on the simulated customers, within SIM_PEER_TIMEOUT).
bgbb_input() {
    local name=$1 file=$2 mode flag n ln limit line rc
    for mode in bgbb bgbb-per-customer; do
        flag=""; n=$BGBB_RUNS; ln=$BGBB_RUNS; limit=$PEER_TIMEOUT
        if [[ $mode == bgbb-per-customer ]]; then
            flag=--per-customer; n=$SLOW_RUNS; ln=$SLOW_RUNS
            [[ $name == simulated ]] && { ln=1; limit=$SIM_PEER_TIMEOUT; }
        fi
        if want crm; then
            log "BG/BB $mode on $name: project ($n runs)"
            rc=0; line=$(timeout "$CRM_TIMEOUT" "$BIN/bench-compute" bgbb "$file" --runs "$n" $flag) || rc=$?
            if (( rc == 0 )); then
                record "$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["tool"]="crm"; d["input"]=sys.argv[2]; print(json.dumps(d))' "$line" "$name")" bgbb
            else
                record "{\"task\": \"$mode\", \"tool\": \"crm\", \"input\": \"$name\", \"not_measured\": \"$( ((rc == 124)) && echo "did not finish within $CRM_TIMEOUT s" || echo "failed (exit status $rc)")\"}" bgbb
            fi
        fi
        if want lifetimes; then
            log "BG/BB $mode on $name: lifetimes ($ln runs, limit $limit s)"
            rc=0; line=$(timeout "$limit" "$PY" "$HERE/peers.py" "$mode" "$file" "$ln") || rc=$?
            if (( rc == 0 )); then
                record "$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["input"]=sys.argv[2]; print(json.dumps(d))' "$line" "$name")" bgbb
            elif (( rc == 124 )); then
                record "{\"task\": \"$mode\", \"tool\": \"lifetimes\", \"input\": \"$name\", \"not_measured\": \"did not finish within $limit s\", \"timeout_s\": $limit}" bgbb
            else
                record "{\"task\": \"$mode\", \"tool\": \"lifetimes\", \"input\": \"$name\", \"not_measured\": \"failed (exit status $rc)\"}" bgbb
            fi
        fi
    done
}

bgbb_stage() {
    fresh bgbb
    local file=$DATA/bgbb-$BGBB_CUSTOMERS-$BGBB_OPPORTUNITIES-$BGBB_SEED.csv
    local gen="bench-gen bgbb --customers $BGBB_CUSTOMERS --opportunities $BGBB_OPPORTUNITIES --seed $BGBB_SEED"
    [[ -s $file ]] || { log "simulating $BGBB_CUSTOMERS BG/BB customers"; "$BIN/bench-gen" bgbb --customers "$BGBB_CUSTOMERS" --opportunities "$BGBB_OPPORTUNITIES" --seed "$BGBB_SEED" --out "$file"; }
    # The simulated parameters are bench-gen's default, the published donations estimates.
    record "$("$PY" -c 'import json,sys; a=sys.argv[1:]; print(json.dumps({"task": "bgbb-input", "tool": "both", "input": "simulated", "generator": a[0], "customers": int(a[1]), "opportunities": int(a[2]), "seed": int(a[3]), "truth": {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}, "rows": int(a[4]), "repeat": a[5]}))' \
        "$gen" "$BGBB_CUSTOMERS" "$BGBB_OPPORTUNITIES" "$BGBB_SEED" "$(($(wc -l <"$file") - 1))" \
        "STAGES=\"setup bgbb report\" BGBB_CUSTOMERS=$BGBB_CUSTOMERS BGBB_OPPORTUNITIES=$BGBB_OPPORTUNITIES BGBB_SEED=$BGBB_SEED BGBB_RUNS=$BGBB_RUNS SLOW_RUNS=$SLOW_RUNS SIM_PEER_TIMEOUT=$SIM_PEER_TIMEOUT benches/compare/run.sh")" bgbb
    bgbb_input simulated "$file"
    bgbb_input donations "$ROOT/testdata/donations/donations.csv"
}

import_stage() {
    fresh import
    # The store's own import example (1,000,000 seeded transactions of 10,000 customers, every
    # field filled) and the same rows exported as CSV, in table column order, for the shell.
    local db=$DATA/import ex=$BIN/examples/import_speed
    mkdir -p "$db"
    [[ -s $db/transactions.csv ]] || { log "exporting the import rows"; "$ex" export "$db"; }
    # Interleaved rounds, one run of each side per round.
    rm -f "$db/crm.jsonl" "$db/shell.jsonl"
    for _ in $(seq "$IMPORT_RUNS"); do
        if want crm; then
            log "bulk import: project (append_batch into a new database)"
            (cd "$db" && "$PY" "$HERE/timejob.py" import crm 1 --inner 'in ([0-9.]+) s' -- \
                bash -c "rm -f crm.db crm.db-wal crm.db-shm && '$ex' import crm.db") >>"$db/crm.jsonl"
        fi
        if want sqlite3; then
            log "bulk import: sqlite3 .import"
            (cd "$db" && "$PY" "$HERE/timejob.py" import sqlite3 1 -- \
                bash -c "rm -f shell.db shell.db-wal shell.db-shm && cp base.db shell.db && sqlite3 shell.db '.import --csv transactions.csv transactions' 'SELECT count(*) FROM transactions;'") >>"$db/shell.jsonl"
        fi
    done
    for side in crm shell; do
        if [[ -s $db/$side.jsonl ]]; then
            record "$("$PY" "$HERE/timejob.py" merge <"$db/$side.jsonl")" import
        fi
        rm -f "$db/$side.jsonl"
    done
    # Both databases hold the same rows.
    local a=- b=-
    [[ -s $db/crm.db ]] && a=$(sqlite3 "$db/crm.db" "SELECT count(*), sum(CAST(amount AS REAL)) FROM transactions;")
    [[ -s $db/shell.db ]] && b=$(sqlite3 "$db/shell.db" "SELECT count(*), sum(CAST(amount AS REAL)) FROM transactions;")
    record "{\"task\": \"import-check\", \"tool\": \"both\", \"crm\": \"$a\", \"sqlite3\": \"$b\"}" import
}

# db_run OUT TASK TOOL STORE COMMAND...: one timed run of COMMAND appended to OUT as a JSON
# line; a failed run, or one stopped after DB_TIMEOUT seconds, is appended as a line saying
# so, with the end of its error output.
db_run() {
    local out=$1 task=$2 tool=$3 store=$4 line why; shift 4
    if line=$(timeout "$DB_TIMEOUT" "$PY" "$HERE/timejob.py" "$task" "$tool" 1 --field "store=$store" \
              --stdout "$DATA/db/last.out" -- "$@" 2>"$DATA/db/last.err"); then
        echo "$line" >>"$out"
    else
        [[ $? == 124 ]] && why="did not finish within $DB_TIMEOUT s" || why="$(grep -v '^Command exited with' "$DATA/db/last.err" | tail -c 2000)"
        log "failed: $tool $task on $store: ${why:0:200}"
        "$PY" -c 'import json,sys; print(json.dumps({"task": sys.argv[1], "tool": sys.argv[2], "store": sys.argv[3], "failed": sys.argv[4][-600:]}))' \
            "$task" "$tool" "$store" "$why" >>"$out"
    fi
}

# db_merge OUT: the rounds in OUT as one result of the db stage.
db_merge() {
    [[ -s $1 ]] && record "$("$PY" "$HERE/timejob.py" merge <"$1")" db
    rm -f "$1"
}

# db_check STORE CRM PEER GROUPS QUERY RFM_JSON RFM_CSV STORE_BYTES PLAIN_BYTES: the check
# line of one database: rows and total in the store and the peer's table, the customers, the
# peer's query, what `crm rfm --json` printed and the lines of the table `--output` wrote.
db_check() {
    "$PY" - "$@" <<'PYEOF'
import json, os, sys
store, crm, peer, groups, query, rfm_json, rfm_csv, store_bytes, plain_bytes = sys.argv[1:10]
summary = None
if os.path.exists(rfm_json):
    try:
        summary = json.load(open(rfm_json))
    except ValueError:
        summary = None
lines = sum(1 for _ in open(rfm_csv)) if os.path.exists(rfm_csv) else None
print(json.dumps({"task": "db-check", "tool": "both", "store": store, "crm": crm, "peer": peer,
                  "groups": groups, "query": query, "rfm_summary": summary,
                  "rfm_output_lines": lines, "store_bytes": int(store_bytes or 0),
                  "plain_bytes": int(plain_bytes or 0)}))
PYEOF
}

# psql on the server of the db stage, stopping at the first error.
pg() { PGOPTIONS='-c client_min_messages=warning' psql "$DB_PG" -X -q -v ON_ERROR_STOP=1 "$@"; }

db_stage() {
    fresh db
    local dir=$DATA/db tx=$DATA/tx-$DB_ROWS-$DB_CUSTOMERS.csv
    mkdir -p "$dir"
    rm -f "$dir"/*.jsonl "$dir"/rfm-*.json "$dir"/rfm-*.csv
    # The state of the tree measured, beside the commit the results name.
    { git -C "$ROOT" rev-parse HEAD; git -C "$ROOT" status --short; } >"$dir/tree.txt" 2>/dev/null || :
    gen_tx "$DB_ROWS" "$DB_CUSTOMERS" "$tx"
    local store_url=$DB_PG sep='?' pg_up=1
    [[ $DB_PG == *\?* ]] && sep='&'
    store_url="$DB_PG${sep}schema=$DB_SCHEMA"
    if ! pg -c 'SELECT 1' >/dev/null 2>"$dir/last.err"; then
        pg_up=0
        log "PostgreSQL at $DB_PG does not answer: its part of the db stage is not measured"
    fi
    record "{\"task\": \"db-input\", \"tool\": \"both\", \"rows\": $DB_ROWS, \"customers\": $DB_CUSTOMERS, \"csv_bytes\": $(stat -c %s "$tx"), \"import_runs\": $DB_IMPORT_RUNS, \"query_runs\": $DB_RUNS, \"postgres\": $pg_up}" db
    (
        cd "$dir"
        # 1. SQLite: `crm import` into a new file against the shell's `.import` into a new
        # database (the table made by `.import` from the CSV's header: its columns, all TEXT,
        # no index); interleaved rounds, the files removed before each, untimed.
        for _ in $(seq "$DB_IMPORT_RUNS"); do
            if want crm; then
                log "db: crm import into SQLite ($DB_ROWS rows)"
                rm -f crm.db crm.db-wal crm.db-shm
                db_run imp-crm.jsonl db-import crm sqlite "$BIN/crm" import --db crm.db transactions "$tx" --json
            fi
            if want sqlite3; then
                log "db: sqlite3 .import ($DB_ROWS rows)"
                rm -f shell.db shell.db-wal shell.db-shm
                db_run imp-shell.jsonl db-import sqlite3 sqlite sqlite3 shell.db ".import --csv $tx transactions"
            fi
        done
        # The store is measured only when its last import finished.
        local stored=1
        want crm && [[ $(tail -n 1 imp-crm.jsonl 2>/dev/null) != *median_s* ]] && stored=0
        db_merge imp-crm.jsonl
        db_merge imp-shell.jsonl
        local size=0 wal=0 shell=0
        if (( stored )); then
            [[ -s crm.db ]] && size=$(stat -c %s crm.db)
            [[ -e crm.db-wal ]] && wal=$(stat -c %s crm.db-wal)
        fi
        [[ -s shell.db ]] && shell=$(stat -c %s shell.db)
        record "{\"task\": \"db-size\", \"tool\": \"both\", \"csv_bytes\": $(stat -c %s "$tx"), \"crm_db_bytes\": $size, \"crm_wal_bytes\": $wal, \"shell_db_bytes\": $shell}" db

        # 2. SQLite: `crm rfm --db` against the shell's per-customer GROUP BY on the store's
        # file (its typed amount column when the schema has one), output to /dev/null.
        if [[ -s crm.db ]] && (( stored )); then
            local cols amount query
            cols=$(sqlite3 crm.db "SELECT group_concat(name, ' ') FROM pragma_table_info('transactions')")
            amount=amount; [[ " $cols " == *" amount_minor "* ]] && amount=amount_minor
            query="SELECT customer_id, max(at), count(*), sum($amount) FROM transactions GROUP BY customer_id"
            for _ in $(seq "$DB_RUNS"); do
                want crm && { log "db: crm rfm --db on SQLite"; db_run rfm-crm.jsonl db-rfm crm sqlite "$BIN/crm" rfm --db crm.db --json; }
                want crm && { cp last.out rfm-sqlite.json 2>/dev/null || :; }
                want crm && { log "db: crm rfm --db --output on SQLite"; db_run rfm-out.jsonl db-rfm-output crm sqlite "$BIN/crm" rfm --db crm.db --output rfm-sqlite.csv; }
                want sqlite3 && { log "db: sqlite3 GROUP BY"; db_run rfm-shell.jsonl db-rfm sqlite3 sqlite bash -c "sqlite3 crm.db '$query' >/dev/null"; }
            done
            db_merge rfm-crm.jsonl
            db_merge rfm-out.jsonl
            db_merge rfm-shell.jsonl
            local crm_rows="-" shell_rows="-" groups
            # Rows and total amount (in cents) in both databases, customers in the store.
            groups=$(sqlite3 crm.db "SELECT count(DISTINCT customer_id) FROM transactions" || echo -)
            crm_rows=$(sqlite3 crm.db "SELECT count(*), sum(CAST(round(amount * 100) AS INTEGER)) FROM transactions" || echo -)
            [[ -s shell.db ]] && shell_rows=$(sqlite3 shell.db "SELECT count(*), sum(CAST(round(amount * 100) AS INTEGER)) FROM transactions" || echo -)
            record "$(db_check sqlite "$crm_rows" "$shell_rows" "$groups" "$query" rfm-sqlite.json rfm-sqlite.csv 0 0)" db
        fi

        # 3. PostgreSQL: `crm import` into a fresh schema against psql's \copy into a plain
        # table of the CSV's columns (text, timestamptz, numeric; no index, no key), each
        # dropped and created again before each round, untimed; then `crm rfm --db` against
        # psql running the same GROUP BY on the store's table, output to /dev/null.
        if (( pg_up )); then
            for _ in $(seq "$DB_IMPORT_RUNS"); do
                if want crm; then
                    log "db: crm import into PostgreSQL ($DB_ROWS rows)"
                    pg -c "DROP SCHEMA IF EXISTS $DB_SCHEMA CASCADE" >/dev/null
                    db_run imp-pgcrm.jsonl db-import crm postgres "$BIN/crm" import --db "$store_url" transactions "$tx" --json
                fi
                if want psql; then
                    log "db: psql \\copy ($DB_ROWS rows)"
                    pg -c "DROP TABLE IF EXISTS $DB_PLAIN_TABLE" -c "CREATE TABLE $DB_PLAIN_TABLE (customer_id text, timestamp timestamptz, amount numeric)" >/dev/null
                    db_run imp-psql.jsonl db-import psql postgres psql "$DB_PG" -X -q -v ON_ERROR_STOP=1 -c "\\copy $DB_PLAIN_TABLE FROM '$tx' WITH (FORMAT csv, HEADER)"
                fi
            done
            stored=1
            want crm && [[ $(tail -n 1 imp-pgcrm.jsonl 2>/dev/null) != *median_s* ]] && stored=0
            db_merge imp-pgcrm.jsonl
            db_merge imp-psql.jsonl
            local pcols at amount query store_size plain_size crm_rows="-" peer_rows="-" groups="-"
            pcols=$(pg -At -c "SELECT string_agg(column_name, ' ') FROM information_schema.columns WHERE table_schema = '$DB_SCHEMA' AND table_name = 'transactions'")
            if [[ -n $pcols ]] && (( stored )); then
                at=at; [[ " $pcols " == *" occurred_at "* ]] && at=occurred_at
                amount=amount; [[ " $pcols " == *" amount_minor "* ]] && amount=amount_minor
                query="SELECT customer_id, max($at), count(*), sum($amount) FROM $DB_SCHEMA.transactions GROUP BY customer_id"
                for _ in $(seq "$DB_RUNS"); do
                    want crm && { log "db: crm rfm --db on PostgreSQL"; db_run rfm-pgcrm.jsonl db-rfm crm postgres "$BIN/crm" rfm --db "$store_url" --json; }
                    want crm && { cp last.out rfm-postgres.json 2>/dev/null || :; }
                    want crm && { log "db: crm rfm --db --output on PostgreSQL"; db_run rfm-pgout.jsonl db-rfm-output crm postgres "$BIN/crm" rfm --db "$store_url" --output rfm-postgres.csv; }
                    want psql && { log "db: psql GROUP BY"; db_run rfm-psql.jsonl db-rfm psql postgres psql "$DB_PG" -X -q -A -t -v ON_ERROR_STOP=1 -o /dev/null -c "$query"; }
                done
                db_merge rfm-pgcrm.jsonl
                db_merge rfm-pgout.jsonl
                db_merge rfm-psql.jsonl
                crm_rows=$(pg -At -F '|' -c "SELECT count(*), sum(amount * 100)::bigint FROM $DB_SCHEMA.transactions" || echo -)
                groups=$(pg -At -c "SELECT count(DISTINCT customer_id) FROM $DB_SCHEMA.transactions" || echo -)
                store_size=$(pg -At -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$DB_SCHEMA' AND c.relkind = 'r'" || echo 0)
            fi
            peer_rows=$(pg -At -F '|' -c "SELECT count(*), sum(amount * 100)::bigint FROM $DB_PLAIN_TABLE" 2>/dev/null || echo -)
            plain_size=$(pg -At -c "SELECT pg_total_relation_size('$DB_PLAIN_TABLE')" 2>/dev/null || echo 0)
            record "$(db_check postgres "$crm_rows" "$peer_rows" "$groups" "${query:-}" rfm-postgres.json rfm-postgres.csv "${store_size:-0}" "${plain_size:-0}")" db
        fi
    )
}

scale_stage() {
    fresh scale
    want crm || return 0
    for rows in $SCALE_ROWS; do
        log "scaling: RFM at $rows transactions"
        record "$("$BIN/bench-compute" scale-rfm --rows "$rows" --customers $((rows / 10)) --runs "$SLOW_RUNS" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" scale
        log "scaling: BG/NBD at $rows transactions"
        # One run of the largest fit (minutes on a busy 2-core machine).
        local n=$SLOW_RUNS; (( rows >= 10000000 )) && n=1
        record "$("$BIN/bench-compute" scale-bgnbd --rows "$rows" --runs "$n" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" scale
    done
}

report() {
    "$PY" "$HERE/report.py" "$RESULTS" "$DATA/versions.json" "$ROOT/benches/RESULTS.md" \
        "RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS IMPORT_RUNS=$IMPORT_RUNS DB_IMPORT_RUNS=$DB_IMPORT_RUNS DB_RUNS=$DB_RUNS DB_TIMEOUT=$DB_TIMEOUT PEER_TIMEOUT=$PEER_TIMEOUT SIM_PEER_TIMEOUT=$SIM_PEER_TIMEOUT CRM_TIMEOUT=$CRM_TIMEOUT benches/compare/run.sh$QFLAG" \
        "$COMMIT"
    log "wrote benches/RESULTS.md"
}

has_stage setup && setup
has_stage check && check
has_stage rfm && rfm_stage
has_stage abc && abc_stage
has_stage nps && nps_stage
has_stage churn && churn_stage cdnow
has_stage scale && scale_stage
has_stage import && import_stage
has_stage db && db_stage
has_stage churn-sim && churn_stage simulated
has_stage bgbb && bgbb_stage
has_stage report && report
log "done"
