#!/usr/bin/env bash
# Reckon's benchmark: builds in release mode, generates 10k/100k/1M-entry Reverie ledgers (and
# the same ledgers as hledger journals), and prints Reckon's figures beside hledger's, pandas'
# and DuckDB's, with the ratios and the scaling table. It prints figures; it never fails on a time.
#
#   scripts/bench.sh                                  # 10k, 100k, 1M; 5 runs each
#   RECKON_BENCH_SIZES=10000,100000 RECKON_BENCH_RUNS=3 scripts/bench.sh
#
# Environment: RECKON_BENCH_SIZES (comma list, 100k/1m allowed), RECKON_BENCH_RUNS (default 5),
# RECKON_BENCH_DATA (default target/bench-data; ledgers there are reused), RECKON_BENCH_MESSY=1
# (CRLF, BOM, quotes, thousands separators, U+2212, offsets), RECKON_BENCH_HLEDGER=0 (skip hledger),
# RECKON_BENCH_PYTHON=0 (skip pandas and DuckDB; otherwise they are installed with pip into
# target/bench-venv on the first run).
# Extra arguments go to reckon-bench (see `reckon-bench --help`).
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

if [ "${RECKON_BENCH_HLEDGER:-1}" != "0" ] && ! command -v hledger >/dev/null 2>&1; then
    echo "bench.sh: hledger not found; installing it with apt-get" >&2
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq hledger >/dev/null; }; then
        echo "bench.sh: could not install hledger; running without it (RECKON_BENCH_HLEDGER=0)" >&2
        export RECKON_BENCH_HLEDGER=0
    fi
fi

if [ "${RECKON_BENCH_PYTHON:-1}" != "0" ] && [ -z "${RECKON_BENCH_PYTHON_BIN:-}" ]; then
    venv="$CARGO_TARGET_DIR/bench-venv"
    if ! "$venv/bin/python" -c "import pandas, duckdb" >/dev/null 2>&1; then
        echo "bench.sh: installing pandas and DuckDB into $venv (pip)" >&2
        # Debian's own python3 makes venvs only with python3-venv installed.
        if ! python3 -m venv "$venv" >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
            SUDO=""
            if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
            $SUDO apt-get install -y -qq python3-venv >/dev/null 2>&1 || true
        fi
        if ! { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "pandas>=2,<3" "duckdb>=1,<2"; }; then
            echo "bench.sh: could not install pandas and DuckDB; running without them (RECKON_BENCH_PYTHON=0)" >&2
            export RECKON_BENCH_PYTHON=0
        fi
    fi
    export RECKON_BENCH_PYTHON_BIN="$venv/bin/python"
fi

echo "bench.sh: cargo build --release -p reckon -p reckon-bench --features reckon-bench/engine" >&2
cargo build --release -p reckon -p reckon-bench --features reckon-bench/engine

exec "$CARGO_TARGET_DIR/release/reckon-bench" --reckon "$CARGO_TARGET_DIR/release/reckon" "$@"
