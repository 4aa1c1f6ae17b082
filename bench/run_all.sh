#!/usr/bin/env bash
# Rerun every benchmark, one after another (never in parallel: they share two cores), and
# print every ratio at the end. Each benchmark measures its own baseline in the same run.
# Usage: bench/run_all.sh [--quick]   (--quick: smaller sizes, for a smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1
log="$(mktemp -t cairn-bench.XXXXXX)"
trap 'rm -f "$log"' EXIT

run() {
    local name="$1"
    shift
    echo "== $name: $*" | tee -a "$log"
    if ! uv run python "$@" 2>&1 | tee -a "$log"; then
        echo "!! $name failed" | tee -a "$log"
    fi
    echo | tee -a "$log"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
    "$(free -g | awk '/Mem:/ {print $2}') GB RAM, Linux $(uname -r)," \
    "$(uv run python -c 'import sqlite3, sys; print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")')"
echo

if ((quick)); then
    run ingest bench/ingest.py --records 2000 --batches 2
    run pull bench/pull.py --records 10000
    run load bench/load.py --devices 50
    run merge bench/merge.py
    run seal bench/seal.py
    [[ -f bench/export.py ]] && run export bench/export.py --ops 20000
    run downloads bench/downloads.py --records 10000 --rounds 3 --small 1000
    run push_history bench/push_history.py --rounds 10
    run backup bench/backup.py --ops 80000 --attachment-mib 64
    run attachments bench/attachments.py --mib 40 --small-mib 5
    run export_attachments bench/export_attachments.py --gib 0.25 --file-mib 16
    run group_commit bench/group_commit.py --runs 1 --scale 0.3
    command -v node >/dev/null && run js_core bench/js_core.py
    command -v chromedriver >/dev/null && run field_app bench/field_app.py --records 200 --edits 10 --rounds 1
else
    run ingest bench/ingest.py
    run pull bench/pull.py
    run load bench/load.py
    run merge bench/merge.py
    run seal bench/seal.py
    [[ -f bench/export.py ]] && run export bench/export.py
    run downloads bench/downloads.py
    run push_history bench/push_history.py
    run backup bench/backup.py
    run attachments bench/attachments.py --mib 500
    run export_attachments bench/export_attachments.py
    # Group commit on, one worker against two (the 500-record target is met with two).
    run group_commit bench/group_commit.py --mode group --workers 1,2
    command -v node >/dev/null && run js_core bench/js_core.py
    command -v chromedriver >/dev/null && run field_app bench/field_app.py
fi

echo "== every ratio (each against a baseline measured in the same run)"
grep -iE "ratio|target|of decode|errors:|latency under load|vs age tool|peak RSS ratio" "$log" || true
if grep -q '^!! ' "$log"; then
    grep '^!! ' "$log"
    exit 1
fi
