#!/usr/bin/env bash
# Benchmarks (./build.sh bench [--quick]): builds nothing itself; ./build.sh bench builds first.
#   --quick   smaller datasets (import: 20,000 objects; mount: 20,000-file tree)
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OBJECTS=100000 QUICK=()
for arg in "$@"; do
  case "$arg" in
    --quick) OBJECTS=20000; QUICK=(--quick) ;;
    *) echo "unknown argument '$arg' (usage: run.sh [--quick])" >&2; exit 2 ;;
  esac
done
bash "$DIR/import-bench.sh" --objects "$OBJECTS"
bash "$DIR/mount-bench.sh" "${QUICK[@]}"
bash "$DIR/placement-bench.sh"
python3 "$DIR/cluster-bench.py" "${QUICK[@]}"
