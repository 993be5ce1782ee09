#!/usr/bin/env bash
# Import benchmark (issue 2): `orleansmount import` of N objects from s3rver against a plain
# paginated ListObjectsV2 of the same prefix, in the same run.
#
#   tests/benchmarks/import-bench.sh [--objects N] [--runs R] [--keep]
#
# Starts s3rver on a free loopback port, seeds N objects (default 100000) by writing its on-disk
# layout, then alternates R times (default 3): one listing (tests/benchmarks/ListBench, a fresh
# .NET process like the CLI) and one cold import (the catalog under .orleansmount/ is deleted
# first, so every run lists, sorts, writes and uploads everything). Reports wall time min/median,
# entries/s, peak RSS (/usr/bin/time -v), catalog bytes per entry and the import/list ratio;
# writes docs/benchmarks/import.json and its section of docs/benchmarks.md.
# Needs ./build.sh deps && ./build.sh first (./build.sh bench does both).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

OBJECTS=100000
RUNS=3
KEEP=0
while (($#)); do
  case "$1" in
    --objects) OBJECTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown argument '$1'" >&2; exit 2 ;;
  esac
done

BUCKET=bench
PREFIX=ds
SNAPSHOT=bench
TARGET_BYTES_PER_ENTRY=100
TARGET_RATIO=1.5
S3RVER="$ROOT/.tools/s3rver/node_modules/.bin/s3rver"
CLI="$ROOT/bin/orleansmount"
LISTBENCH_PROJECT="$ROOT/tests/benchmarks/ListBench/ListBench.csproj"
LISTBENCH="$ROOT/tests/benchmarks/ListBench/bin/Release/net10.0/listbench"

log() { printf '==> %s\n' "$*" >&2; }

[ -x "$S3RVER" ] || { echo "s3rver is missing: run ./build.sh deps" >&2; exit 1; }
[ -x "$CLI" ] || { echo "bin/orleansmount is missing: run ./build.sh" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (for peak RSS)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends time >/dev/null
fi

log "building ListBench"
dotnet build "$LISTBENCH_PROJECT" -c Release -nologo -clp:ErrorsOnly -v:quiet >/dev/null

WORK=$(mktemp -d /tmp/orleansmount-import-bench.XXXXXX)
DATA="$WORK/s3rver"
mkdir -p "$DATA"
S3RVER_PID=""
cleanup() {
  if [ -n "$S3RVER_PID" ] && kill -0 "$S3RVER_PID" 2>/dev/null; then
    kill "$S3RVER_PID" 2>/dev/null || true
    wait "$S3RVER_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
ENDPOINT="http://127.0.0.1:$PORT"
log "starting s3rver on $ENDPOINT (data $DATA)"
# exec: $! is s3rver's node process itself, so the trap stops exactly it.
NODE_OPTIONS=--openssl-legacy-provider bash -c 'exec "$0" "$@"' "$S3RVER" -d "$DATA" -a 127.0.0.1 -p "$PORT" --no-vhost-buckets --silent \
  >"$WORK/s3rver.log" 2>&1 &
S3RVER_PID=$!
for _ in $(seq 1 300); do
  curl -s -o /dev/null "$ENDPOINT/" && break
  kill -0 "$S3RVER_PID" 2>/dev/null || { cat "$WORK/s3rver.log" >&2; echo "s3rver exited" >&2; exit 1; }
  sleep 0.1
done
curl -sf -o /dev/null -X PUT "$ENDPOINT/$BUCKET" || { echo "creating bucket $BUCKET failed" >&2; exit 1; }
[ -d "$DATA/$BUCKET" ] || { echo "s3rver did not create $DATA/$BUCKET" >&2; exit 1; }

now() { date +%s.%N; }
# elapsed START: seconds since START (a `now` value), 3 decimals.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

log "seeding $OBJECTS objects under s3://$BUCKET/$PREFIX/"
seed_start=$(date +%s.%N)
SEED=$(python3 "$ROOT/tests/benchmarks/seed_s3rver.py" "$DATA/$BUCKET" "$OBJECTS")
seed_seconds=$(elapsed "$seed_start")
log "seeded: $SEED in ${seed_seconds}s"

export AWS_ENDPOINT_URL="$ENDPOINT" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
unset AWS_ENDPOINT_URL_S3 AWS_PROFILE ORLEANSMOUNT_CATALOG 2>/dev/null || true

# rss_kb FILE: peak RSS from /usr/bin/time -v output.
rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

RESULTS="$WORK/runs.jsonl"
: >"$RESULTS"
for run in $(seq 1 "$RUNS"); do
  log "run $run/$RUNS: listing"
  start=$(now)
  /usr/bin/time -v -o "$WORK/list-$run.time" "$LISTBENCH" "$BUCKET" "$PREFIX/" >"$WORK/list-$run.out" 2>"$WORK/list-$run.err" \
    || { cat "$WORK/list-$run.err" >&2; exit 1; }
  wall=$(elapsed "$start")
  printf '{"kind":"list","run":%d,"wall":%s,"rss_kb":%s,"out":%s}\n' "$run" "$wall" "$(rss_kb "$WORK/list-$run.time")" "$(cat "$WORK/list-$run.out")" >>"$RESULTS"
  log "  $(cat "$WORK/list-$run.out"), wall ${wall}s"

  log "run $run/$RUNS: import (cold: catalog deleted)"
  rm -rf "$DATA/$BUCKET/.orleansmount"
  start=$(now)
  /usr/bin/time -v -o "$WORK/import-$run.time" "$CLI" import "s3://$BUCKET/$PREFIX" --snapshot "$SNAPSHOT" --replace \
    >"$WORK/import-$run.out" 2>"$WORK/import-$run.err" || { cat "$WORK/import-$run.out" "$WORK/import-$run.err" >&2; exit 1; }
  wall=$(elapsed "$start")
  entries=$(awk '$1 == "entries" {print $2}' "$WORK/import-$run.out")
  took=$(awk '$1 == "took" {print $2}' "$WORK/import-$run.out")
  printf '{"kind":"import","run":%d,"wall":%s,"rss_kb":%s,"entries":%s,"took":%s}\n' "$run" "$wall" "$(rss_kb "$WORK/import-$run.time")" "$entries" "$took" >>"$RESULTS"
  log "  $entries entries, import's own time ${took}s, wall ${wall}s, peak RSS $(rss_kb "$WORK/import-$run.time") KiB"
  sed 's/^/     | /' "$WORK/import-$run.err" >&2
done

# The catalog of the last run: range SSTs, metarange and snapshot JSON, as s3rver stores them.
CATALOG_LIST="$WORK/catalog.txt"
(cd "$DATA/$BUCKET" && find .orleansmount -type f -name '*._S3rver_object' -printf '%s %p\n' | sort -k2) >"$CATALOG_LIST"

MACHINE_NPROC=$(nproc)
MACHINE_MEM=$(free -g | awk '/^Mem:/ {print $2}')
MACHINE_KERNEL=$(uname -r)
MACHINE_CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
DOTNET_VERSION=$(dotnet --version)
S3RVER_VERSION=$(node -p 'require(process.argv[1]).version' "$ROOT/.tools/s3rver/node_modules/s3rver/package.json")
NODE_VERSION=$(node --version)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src client 2>/dev/null || echo "+changes")

export RESULTS CATALOG_LIST SEED seed_seconds OBJECTS RUNS TARGET_BYTES_PER_ENTRY TARGET_RATIO \
  MACHINE_NPROC MACHINE_MEM MACHINE_KERNEL MACHINE_CPU DOTNET_VERSION S3RVER_VERSION NODE_VERSION COMMIT BUCKET PREFIX
mkdir -p "$ROOT/docs/benchmarks"
python3 "$ROOT/tests/benchmarks/report.py" "$ROOT/docs/benchmarks/import.json" "$ROOT/docs/benchmarks.md"
