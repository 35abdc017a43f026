#!/usr/bin/env bash
# Side-by-side comparison of this project with the tools users would otherwise pick.
#
#   benches/compare/run.sh            # everything, then benches/RESULTS.md
#   benches/compare/run.sh --quick    # small sizes, a few minutes: checks the whole pipeline
#   STAGES="rfm nps report" benches/compare/run.sh
#   TOOLS="crm" STAGES="rfm report" benches/compare/run.sh   # re-time one side only
#
# Stages (in this order): setup check rfm abc nps churn scale import churn-sim report
# (churn: the CDNOW cohort; churn-sim: the simulated customers).
# TOOLS (default: crm duckdb polars pandas lifetimes sqlite3) limits the timed sides; with it
# set, earlier results of the other sides are kept (every result records when it ran and on
# which commit) and the report takes the latest result of each side. MODELS (default: bgnbd
# gamma pareto) limits the churn fits the same way.
# Sizes and repetitions can be changed with the variables below (QUICK=1 is --quick).
# Needs: cargo, python3 with venv and pip (PyPI reachable), /usr/bin/time, and the sqlite3
# shell. Nothing is downloaded at run time but the Python peers (into the venv below) and,
# on a first build, the Rust dependencies from crates.io.
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
TOOLS=${TOOLS:-"crm duckdb polars pandas lifetimes sqlite3"}
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
# Every fit gets a time limit (one process: loading, the fits and P(alive)); a side past it is
# reported as "did not finish within N s". lifetimes does not compress customers with equal
# histories, so on the simulated customers it gets one run and a longer limit.
PEER_TIMEOUT=${PEER_TIMEOUT:-600}
SIM_PEER_TIMEOUT=${SIM_PEER_TIMEOUT:-1200}
CRM_TIMEOUT=${CRM_TIMEOUT:-1200}
IMPORT_RUNS=${IMPORT_RUNS:-$SLOW_RUNS}  # rounds of the import comparison

mkdir -p "$DATA" "$RESULTS"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
has_stage() { [[ " $STAGES " == *" $1 "* ]]; }
want() { [[ " $TOOLS " == *" $1 "* ]]; }
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $COMMIT != unknown ]] && [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no -- 'crm-*' benches Cargo.toml Cargo.lock 2>/dev/null) ]]; then
    COMMIT="$COMMIT+uncommitted"
fi
# Appends one JSON line to a stage's result file, stamped with the time of the run.
record() { "$PY" -c 'import json,sys,os,datetime; d=json.loads(sys.argv[1]); d["at"]=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"); d["commit"]=sys.argv[2]; d["load"]=" ".join(f"{x:.1f}" for x in os.getloadavg()); print(json.dumps(d))' "$1" "$COMMIT" >>"$RESULTS/$2.jsonl"; }
# A full run starts a stage's results afresh; a run of some sides (TOOLS) adds to them.
fresh() { [[ -n $TOOLS_SET ]] || : >"$RESULTS/$1.jsonl"; }

setup() {
    if [[ ! -x $PY ]] || ! "$PY" -c 'import duckdb, polars, pandas, numpy, pyarrow, lifetimes' 2>/dev/null; then
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
    log "building the Rust side in release"
    (cd "$ROOT" && cargo build --release --quiet -p crm-benches --bins -p crm-cli \
        && cargo build --release --quiet -p crm-benches --example import_speed)
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
        "RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS IMPORT_RUNS=$IMPORT_RUNS PEER_TIMEOUT=$PEER_TIMEOUT SIM_PEER_TIMEOUT=$SIM_PEER_TIMEOUT CRM_TIMEOUT=$CRM_TIMEOUT benches/compare/run.sh$QFLAG" \
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
has_stage churn-sim && churn_stage simulated
has_stage report && report
log "done"
