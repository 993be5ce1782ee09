#!/usr/bin/env bash
# Benchmarks (./build.sh bench [--quick]): builds nothing itself; ./build.sh bench builds first.
#   --quick   smaller datasets (import: 20,000 objects; mount: 20,000-file tree; suite: see suite-bench.py --help)
#   --suite   only the side-by-side suite (suite-bench.py: OrleansMount vs rclone, s3fs, passthrough_ll, local disk)
#             and the training reader (train-bench.py: ImageFolder index, shuffled epochs by worker processes)
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OBJECTS=100000 QUICK=() SUITE_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --quick) OBJECTS=20000; QUICK=(--quick) ;;
    --suite) SUITE_ONLY=1 ;;
    *) echo "unknown argument '$arg' (usage: run.sh [--quick] [--suite])" >&2; exit 2 ;;
  esac
done
if [ "$SUITE_ONLY" = 1 ]; then python3 "$DIR/suite-bench.py" "${QUICK[@]}"; exec python3 "$DIR/train-bench.py" "${QUICK[@]}"; fi
bash "$DIR/import-bench.sh" --objects "$OBJECTS"
bash "$DIR/mount-bench.sh" "${QUICK[@]}"
bash "$DIR/placement-bench.sh"
bash "$DIR/checksum-bench.sh"
python3 "$DIR/cluster-bench.py" "${QUICK[@]}"
python3 "$DIR/suite-bench.py" "${QUICK[@]}"
python3 "$DIR/train-bench.py" "${QUICK[@]}"
