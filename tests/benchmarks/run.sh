#!/usr/bin/env bash
# Benchmarks (./build.sh bench [--quick]): builds nothing itself; ./build.sh bench builds first.
#   --quick   20,000 objects instead of 100,000
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OBJECTS=100000
for arg in "$@"; do
  case "$arg" in
    --quick) OBJECTS=20000 ;;
    *) echo "unknown argument '$arg' (usage: run.sh [--quick])" >&2; exit 2 ;;
  esac
done
bash "$DIR/import-bench.sh" --objects "$OBJECTS"
bash "$DIR/placement-bench.sh"
