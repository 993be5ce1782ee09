#!/usr/bin/env bash
# ./build.sh demo [--keep] [--files N] [--large-mib M] [--nodes N]
# The embedded default end to end on loopback: s3rver as the object store, a generated dataset,
# import, ls, one silo, a FUSE mount, every file read twice (cold, then warm), a table of what came
# from where, then everything it started is stopped (--keep leaves it running and says how to look).
# --nodes N (N > 1): the cluster demo instead (tests/demo/cluster-demo.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
prev=
KEEP=0 FILES=2000 LARGE_MIB=256
for arg in "$@"; do [ "$prev" = "--nodes" ] && [ "$arg" -gt 1 ] 2>/dev/null && exec bash "$ROOT/tests/demo/cluster-demo.sh" "$@"; prev=$arg; done
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1 ;;
    --files) FILES=$2; shift ;;
    --large-mib) LARGE_MIB=$2; shift ;;
    --nodes) shift ;; # 1 node: this demo
    -h|--help) sed -n "2,6p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

source "$ROOT/tests/demo/common.sh"

S3_PID="" SILO_PID=""
cleanup() {
  if [ "$KEEP" = 1 ]; then return; fi
  mountpoint -q "$WORK/mnt" 2>/dev/null && "$OM" umount "$WORK/mnt" >/dev/null 2>&1 || fusermount3 -u -z "$WORK/mnt" 2>/dev/null || true
  [ -n "$SILO_PID" ] && kill "$SILO_PID" 2>/dev/null && wait "$SILO_PID" 2>/dev/null || true
  [ -n "$S3_PID" ] && kill "$S3_PID" 2>/dev/null && wait "$S3_PID" 2>/dev/null || true
}
trap cleanup EXIT

if mountpoint -q "$WORK/mnt" 2>/dev/null; then fusermount3 -u -z "$WORK/mnt"; fi
[ -f "$WORK/pids" ] && xargs -r kill < "$WORK/pids" 2>/dev/null || true
rm -rf "$WORK" && mkdir -p "$WORK/s3" "$WORK/mnt" "$WORK/cache"

PORT=$(free_port) SILO_PORT=$(free_port)
say "object store: s3rver on 127.0.0.1:$PORT"
start_s3rver "$PORT"

say "generating a sample dataset: $FILES small files and one ${LARGE_MIB} MiB file in s3://demo/datasets/sample/"
python3 "$ROOT/tests/demo/gen_dataset.py" "$WORK/s3/demo" "$FILES" "$LARGE_MIB"

say "orleansmount import s3://demo/datasets/sample --snapshot sample"
"$OM" import s3://demo/datasets/sample --snapshot sample
export ORLEANSMOUNT_CATALOG=s3://demo/.orleansmount/
say "orleansmount snapshots"
"$OM" snapshots
say "orleansmount ls sample"
"$OM" ls sample
say "orleansmount ls sample /train | head -3"
"$OM" ls sample /train | head -3

say "silo: orleansmount-silo --cache-dir .demo/cache --socket .demo/silo.sock --listen 127.0.0.1:$SILO_PORT"
"$SILO" --cache-dir "$WORK/cache" --cache-size 4GiB --socket "$WORK/silo.sock" --listen "127.0.0.1:$SILO_PORT" --log-level Warning >"$WORK/silo.log" 2>&1 &
SILO_PID=$!
wait_http "http://127.0.0.1:$SILO_PORT/api/v1/info"
echo "$S3_PID $SILO_PID" > "$WORK/pids"

say "orleansmount mount sample .demo/mnt --silo .demo/silo.sock"
"$OM" mount sample "$WORK/mnt" --silo "$WORK/silo.sock" --log-file "$WORK/mount.log"

say "reading every file twice through the mount (cold: from the object store; warm: from the node's cache, page cache dropped)"
python3 - "$WORK/mnt" "http://127.0.0.1:$SILO_PORT/api/v1/stats" <<'PY'
import json, os, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
mnt, stats_url = sys.argv[1], sys.argv[2]
def stats(): return json.load(urllib.request.urlopen(stats_url))
def read(path):
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(1 << 20)
            if not b: return n
            n += len(b)
paths = [os.path.join(d, f) for d, _, fs in os.walk(mnt) for f in fs]
rows = []
for label in ("cold", "warm"):
    if label == "warm":
        try:
            with open("/proc/sys/vm/drop_caches", "w") as f: f.write("3")
        except OSError:
            label = "warm (page cache kept)"
    before = stats(); t = time.monotonic()
    with ThreadPoolExecutor(8) as pool: total = sum(pool.map(read, paths))
    secs = time.monotonic() - t; after = stats()
    rows.append((label, len(paths), total, secs, total / secs / 1e6, after["objectStoreBytes"] - before["objectStoreBytes"], total - (after["objectStoreBytes"] - before["objectStoreBytes"])))
print(f"{'pass':<24}{'files':>7}{'bytes':>14}{'seconds':>10}{'MB/s':>9}{'object store':>16}{'local cache':>14}")
for r in rows:
    print(f"{r[0]:<24}{r[1]:>7}{r[2]:>14,}{r[3]:>10.2f}{r[4]:>9.1f}{r[5]:>16,}{r[6]:>14,}")
s = stats()
print(f"\nsilo cache: {s['chunks']} chunks, {s['cacheUsedBytes']:,} of {s['cacheCapacityBytes']:,} bytes; object-store GETs {s['objectStoreGets']}")
PY

if [ "$KEEP" = 1 ]; then
  say "left running (--keep)"
  cat <<EOF
  mount:      $WORK/mnt            (ls it, read it; log $WORK/mount.log)
  silo:       pid $SILO_PID, http://127.0.0.1:$SILO_PORT/api/v1/stats, socket $WORK/silo.sock
  s3rver:     pid $S3_PID, $AWS_ENDPOINT_URL
  stop all:   bin/orleansmount umount $WORK/mnt; kill $SILO_PID $S3_PID
  mount:      $WORK/mnt            (ls it, read it; log $WORK/mount.log)
  silo:       pid $SILO_PID, http://127.0.0.1:$SILO_PORT/api/v1/stats, socket $WORK/silo.sock
  s3rver:     pid $S3_PID, $AWS_ENDPOINT_URL
  stop all:   bin/orleansmount umount $WORK/mnt; kill $SILO_PID $S3_PID
EOF
else
  say "orleansmount umount .demo/mnt; stopping the silo and s3rver"
  "$OM" umount "$WORK/mnt"
fi
