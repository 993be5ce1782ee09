#!/usr/bin/env bash
# ./build.sh demo --nodes N [--keep] [--files F] [--large-mib M]
# The cluster on loopback: redis-server (membership) + s3rver + N silos + N FUSE mounts of one snapshot,
# then two epochs of shuffled data-parallel reads (each node reads a different shard each epoch) and a
# table per epoch: seconds and bytes from the object store, from peers and from the node's own disk.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODES=3 KEEP=0 FILES=1000 LARGE_MIB=64
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=$2; shift ;;
    --keep) KEEP=1 ;;
    --files) FILES=$2; shift ;;
    --large-mib) LARGE_MIB=$2; shift ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

source "$ROOT/tests/demo/common.sh"
command -v redis-server >/dev/null || { echo "demo: redis-server missing: run ./build.sh deps" >&2; exit 1; }

PIDS=()
cleanup() {
  [ "$KEEP" = 1 ] && return
  for i in $(seq "$NODES"); do mountpoint -q "$WORK/mnt-$i" 2>/dev/null && { "$OM" umount "$WORK/mnt-$i" >/dev/null 2>&1 || fusermount3 -u -z "$WORK/mnt-$i"; }; done
  for pid in "${PIDS[@]}" ${S3_PID:-}; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" ${S3_PID:-}; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in "$WORK"/mnt*; do mountpoint -q "$m" 2>/dev/null && fusermount3 -u -z "$m"; done
rm -rf "$WORK" && mkdir -p "$WORK/s3"

S3_PORT=$(free_port) REDIS_PORT=$(free_port)
say "object store: s3rver on 127.0.0.1:$S3_PORT; membership: redis-server on 127.0.0.1:$REDIS_PORT"
start_s3rver "$S3_PORT"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

say "dataset: $FILES small files and one ${LARGE_MIB} MiB file; import"
python3 "$ROOT/tests/demo/gen_dataset.py" "$WORK/s3/demo" "$FILES" "$LARGE_MIB"
"$OM" import s3://demo/datasets/sample --snapshot sample
export ORLEANSMOUNT_CATALOG=s3://demo/.orleansmount/

say "$NODES silos (--redis 127.0.0.1:$REDIS_PORT --cluster demo) and $NODES mounts"
STATS=()
for i in $(seq "$NODES"); do
  port=$(free_port)
  "$SILO" --redis "127.0.0.1:$REDIS_PORT" --cluster demo --silo-id "node-$i" --cache-dir "$WORK/cache-$i" --cache-size 2GiB \
    --socket "$WORK/node-$i.sock" --listen "127.0.0.1:$port" --silo-port "$(free_port)" --log-level Warning >"$WORK/silo-$i.log" 2>&1 &
  PIDS+=($!)
  STATS+=("http://127.0.0.1:$port/api/v1")
done
for url in "${STATS[@]}"; do
  wait_http "$url/info"
  for _ in $(seq 200); do
    [ "$(curl -s "$url/members" | python3 -c 'import json,sys; print(sum(m["status"]=="Active" for m in json.load(sys.stdin)["members"]))')" = "$NODES" ] && break
    sleep 0.1
  done
done
for i in $(seq "$NODES"); do
  mkdir -p "$WORK/mnt-$i"
  "$OM" mount sample "$WORK/mnt-$i" --silo "$WORK/node-$i.sock" --log-file "$WORK/mount-$i.log"
done
"$OM" status --silo "$WORK/node-1.sock"

say "two epochs of shuffled data-parallel reads: node i reads shard (i + epoch) mod $NODES"
python3 - "$WORK" "$NODES" "${STATS[@]}" <<'PY'
import json, os, random, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
work, nodes, urls = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def stats(url): return json.load(urllib.request.urlopen(url + "/stats"))
root = os.path.join(work, "mnt-1")
files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
def read(path):
    n = 0
    with open(path, "rb", buffering=0) as f:
        while (b := f.read(1 << 20)): n += len(b)
    return n
def node_epoch(node, shard):
    paths = [os.path.join(work, f"mnt-{node + 1}", f) for f in shard]
    t = time.monotonic()
    with ThreadPoolExecutor(4) as pool: total = sum(pool.map(read, paths))
    return total, time.monotonic() - t
for epoch in (1, 2):
    order = files[:]; random.Random(epoch).shuffle(order)
    shards = [order[i::nodes] for i in range(nodes)]
    before = [stats(u) for u in urls]
    start = time.monotonic()
    with ThreadPoolExecutor(nodes) as pool:
        results = list(pool.map(lambda n: node_epoch(n, shards[(n + epoch) % nodes]), range(nodes)))
    wall = time.monotonic() - start
    after = [stats(u) for u in urls]
    print(f"\nepoch {epoch}: {wall:.2f} s")
    print(f"{'node':<8}{'files':>7}{'bytes':>14}{'seconds':>9}{'object store':>15}{'from peers':>13}{'local disk':>13}")
    tot = [0, 0, 0, 0]
    for n, (total, secs) in enumerate(results):
        s3 = after[n]["objectStoreBytes"] - before[n]["objectStoreBytes"]
        peer = after[n]["peerBytes"] - before[n]["peerBytes"]
        local = max(0, total - s3 - peer)
        tot = [tot[0] + total, tot[1] + s3, tot[2] + peer, tot[3] + local]
        print(f"node-{n + 1:<3}{len(shards[(n + epoch) % nodes]):>7}{total:>14,}{secs:>9.2f}{s3:>15,}{peer:>13,}{local:>13,}")
    print(f"{'all':<8}{len(files):>7}{tot[0]:>14,}{wall:>9.2f}{tot[1]:>15,}{tot[2]:>13,}{tot[3]:>13,}")
print("\n'object store' counts what a node's silo read from the object store for itself and as owner for its peers,")
print("'from peers' what it copied from owners; 'local disk' the rest of what its mount read.")
PY

if [ "$KEEP" = 1 ]; then
  say "left running (--keep): mounts $WORK/mnt-1..$NODES; bin/orleansmount status --silo $WORK/node-1.sock; stop: kill ${PIDS[*]} $S3_PID"
else
  say "unmounting and stopping everything"
fi
