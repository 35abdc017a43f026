#!/usr/bin/env bash
# Side-by-side comparison of this project with the tools users would otherwise pick.
#
#   benches/compare/run.sh            # everything, then benches/RESULTS.md
#   benches/compare/run.sh --quick    # small sizes, a few minutes: checks the whole pipeline
#   STAGES="rfm nps report" benches/compare/run.sh
#
# Stages (in this order): setup check rfm abc nps churn scale import churn-sim report
# (churn: the CDNOW cohort; churn-sim: the simulated customers).
# Sizes and repetitions can be changed with the variables below (QUICK=1 is --quick).
# Needs: cargo, python3 with venv and pip (PyPI reachable), /usr/bin/time, and the sqlite3
# shell (installed with apt-get when missing and run as root).
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

STAGES_SET=${STAGES:+1}
STAGES=${STAGES:-"setup check rfm abc nps churn scale import churn-sim report"}
if [[ ${QUICK:-0} == 1 ]]; then
    QFLAG=" --quick"; RUNS=${RUNS:-3}; SLOW_RUNS=${SLOW_RUNS:-1}
    RFM_ROWS=${RFM_ROWS:-200000}; RFM_CUSTOMERS=${RFM_CUSTOMERS:-20000}
    NPS_ROWS=${NPS_ROWS:-1000000}; SIM_CUSTOMERS=${SIM_CUSTOMERS:-20000}
    SCALE_ROWS=${SCALE_ROWS:-"100000 1000000"}
else
    QFLAG=""
    RUNS=${RUNS:-5}            # repetitions of fast measurements
    SLOW_RUNS=${SLOW_RUNS:-3}  # repetitions of slow peers and whole jobs
    RFM_ROWS=${RFM_ROWS:-10000000}; RFM_CUSTOMERS=${RFM_CUSTOMERS:-1000000}
    NPS_ROWS=${NPS_ROWS:-100000000}; SIM_CUSTOMERS=${SIM_CUSTOMERS:-1000000}
    SCALE_ROWS=${SCALE_ROWS:-"100000 1000000 10000000"}
fi
# The slowest peer fits get a time limit per stage; a fit past it is reported as not measured.
PEER_TIMEOUT=${PEER_TIMEOUT:-600}
IMPORT_RUNS=${IMPORT_RUNS:-$SLOW_RUNS}  # rounds of the import comparison

mkdir -p "$DATA" "$RESULTS"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
has_stage() { [[ " $STAGES " == *" $1 "* ]]; }
# Appends one JSON line to a stage's result file, stamped with the time of the run.
record() { "$PY" -c 'import json,sys,datetime; d=json.loads(sys.argv[1]); d["at"]=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"); print(json.dumps(d))' "$1" >>"$RESULTS/$2.jsonl"; }
fresh() { : >"$RESULTS/$1.jsonl"; }

setup() {
    if [[ ! -x $PY ]] || ! "$PY" -c 'import duckdb, polars, pandas, numpy, pyarrow, lifetimes' 2>/dev/null; then
        log "creating $VENV with the peers from PyPI"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --upgrade pip
        "$VENV/bin/pip" install --quiet duckdb polars pandas numpy pyarrow 'lifetimes==0.11.3'
    fi
    if ! command -v sqlite3 >/dev/null; then
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            log "installing the sqlite3 shell"
            apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null
        else
            echo "the sqlite3 shell is missing: install it (e.g. sudo apt-get install sqlite3)" >&2
            exit 1
        fi
    fi
    log "building the Rust side in release"
    (cd "$ROOT" && cargo build --release --quiet -p crm-benches --bins -p crm-cli \
        && cargo build --release --quiet -p crm-storage-sql --example import_speed)
    "$PY" - >"$DATA/versions.json" <<'PYEOF'
import json, sqlite3, subprocess, duckdb, polars, pandas, numpy, lifetimes
print(json.dumps({"duckdb": duckdb.__version__, "polars": polars.__version__,
  "pandas": pandas.__version__, "numpy": numpy.__version__, "lifetimes": lifetimes.__version__,
  "sqlite3": subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]}))
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
    "$PY" "$HERE/check_equal.py" $cols "$dir/rfm-crm.csv" "$dir/rfm-rust.csv" \
        "$dir/rfm-duckdb.csv" "$dir/rfm-polars.csv" "$dir/rfm-pandas.csv" | tee "$dir/rfm.txt" >&2
    "$BIN/bench-compute" abc "$tx" --runs 1 --dump "$dir/abc-rust.csv" >/dev/null
    for tool in duckdb polars; do
        "$PY" "$HERE/peers.py" abc "$tool" "$tx" 1 --dump "$dir/abc-$tool.csv" >/dev/null
    done
    "$PY" "$HERE/check_equal.py" customer_id,value,class "$dir/abc-rust.csv" \
        "$dir/abc-duckdb.csv" "$dir/abc-polars.csv" | tee "$dir/abc.txt" >&2
    record "{\"task\": \"check\", \"rfm\": \"$(cat "$dir/rfm.txt")\", \"abc\": \"$(cat "$dir/abc.txt")\"}" check
}

rfm_stage() {
    fresh rfm
    local tx=$DATA/tx-$RFM_ROWS.csv out=$DATA/out
    mkdir -p "$out"
    gen_tx "$RFM_ROWS" "$RFM_CUSTOMERS" "$tx"
    log "RFM compute only: project"
    record "$("$BIN/bench-compute" rfm "$tx" --runs "$RUNS" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" rfm
    for tool in duckdb polars pandas; do
        log "RFM compute only: $tool"
        local n=$RUNS; [[ $tool == pandas ]] && n=$SLOW_RUNS
        record "$("$PY" "$HERE/peers.py" rfm "$tool" "$tx" "$n")" rfm
    done
    log "RFM whole job (CSV to CSV): project"
    record "$("$PY" "$HERE/timejob.py" rfm-job crm "$SLOW_RUNS" -- "$BIN/crm" rfm --transactions "$tx" --output "$out/rfm-crm.csv")" rfm
    for tool in duckdb polars pandas; do
        log "RFM whole job (CSV to CSV): $tool"
        record "$("$PY" "$HERE/timejob.py" rfm-job "$tool" "$SLOW_RUNS" -- "$PY" "$HERE/peers.py" rfm-job "$tool" "$tx" "$out/rfm-$tool.csv")" rfm
    done
}

abc_stage() {
    fresh abc
    local tx=$DATA/tx-$RFM_ROWS.csv
    gen_tx "$RFM_ROWS" "$RFM_CUSTOMERS" "$tx"
    log "ABC compute only: project"
    record "$("$BIN/bench-compute" abc "$tx" --runs "$RUNS" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" abc
    for tool in duckdb polars; do
        log "ABC compute only: $tool"
        record "$("$PY" "$HERE/peers.py" abc "$tool" "$tx" "$RUNS")" abc
    done
}

nps_stage() {
    fresh nps
    local scores=$DATA/scores-$NPS_ROWS.u8
    [[ -s $scores ]] || { log "generating $NPS_ROWS scores"; "$BIN/bench-gen" scores --rows "$NPS_ROWS" --out "$scores"; }
    log "NPS compute only: project"
    record "$("$BIN/bench-compute" nps "$scores" --runs 9 --threads 2 | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; print(json.dumps(d))')" nps
    for tool in duckdb polars; do
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
    for model in bgnbd gamma pareto; do
        # Fits are slow on both sides: SLOW_RUNS, and one run of Pareto/NBD on the big cohort.
        local n=$SLOW_RUNS
        [[ $model == gamma ]] && n=$RUNS
        [[ $name == simulated && $model == pareto ]] && n=1
        log "churn $model on $name: project"
        record "$("$BIN/bench-compute" churn "$model" "$file" --runs "$n" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d["tool"]="crm"; d["input"]=sys.argv[1]; print(json.dumps(d))' "$name")" "churn-$name"
        log "churn $model on $name: lifetimes"
        if line=$(timeout "$PEER_TIMEOUT" "$PY" "$HERE/peers.py" churn "$model" "$file" "$n"); then
            record "$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["input"]=sys.argv[2]; print(json.dumps(d))' "$line" "$name")" "churn-$name"
        else
            record "{\"task\": \"churn-$model\", \"tool\": \"lifetimes\", \"input\": \"$name\", \"not_measured\": \"stopped after $PEER_TIMEOUT s\", \"timeout_s\": $PEER_TIMEOUT}" "churn-$name"
        fi
    done
}

import_stage() {
    fresh import
    # The store's own import example (1,000,000 seeded transactions of 10,000 customers, every
    # field filled) and the same rows exported as CSV, in table column order, for the shell.
    local db=$DATA/import ex=$BIN/examples/import_speed
    mkdir -p "$db"
    [[ -s $db/transactions.csv ]] || { log "exporting the import rows"; "$ex" export "$db"; }
    # Interleaved rounds, one run of each side per round.
    for _ in $(seq "$IMPORT_RUNS"); do
        log "bulk import: project (append_batch into a new database)"
        "$PY" "$HERE/timejob.py" import crm 1 --inner 'in ([0-9.]+) s' -- \
            bash -c "rm -f '$db/crm.db' '$db/crm.db-wal' '$db/crm.db-shm' && '$ex' import '$db/crm.db'" >>"$db/crm.jsonl"
        log "bulk import: sqlite3 .import"
        "$PY" "$HERE/timejob.py" import sqlite3 1 -- \
            bash -c "rm -f '$db/shell.db' '$db/shell.db-wal' '$db/shell.db-shm' && cp '$db/base.db' '$db/shell.db' && sqlite3 '$db/shell.db' '.import --csv $db/transactions.csv transactions' 'SELECT count(*) FROM transactions;'" >>"$db/shell.jsonl"
    done
    for side in crm shell; do
        record "$("$PY" "$HERE/timejob.py" merge <"$db/$side.jsonl")" import
        rm -f "$db/$side.jsonl"
    done
    # Both databases hold the same rows.
    local a b
    a=$(sqlite3 "$db/crm.db" "SELECT count(*), sum(CAST(amount AS REAL)) FROM transactions;")
    b=$(sqlite3 "$db/shell.db" "SELECT count(*), sum(CAST(amount AS REAL)) FROM transactions;")
    record "{\"task\": \"import-check\", \"tool\": \"both\", \"crm\": \"$a\", \"sqlite3\": \"$b\"}" import
}

scale_stage() {
    fresh scale
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
        "${STAGES_SET:+STAGES=\"$STAGES\" }RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS IMPORT_RUNS=$IMPORT_RUNS PEER_TIMEOUT=$PEER_TIMEOUT benches/compare/run.sh$QFLAG"
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
has_stage churn-sim && churn_stage simulated
has_stage report && report
log "done"
