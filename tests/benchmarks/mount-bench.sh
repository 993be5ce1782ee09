#!/usr/bin/env bash
# tests/benchmarks/mount-bench.sh [--quick] [--tree-files N] [--reps R] [--no-doc]
# Issue 3's mount benchmark, in one run, side by side: local disk vs libfuse's passthrough_ll vs
# OrleansMount (s3rver as the object store, loopback only). Datasets: A) 1,000 x 1 MiB, B) one 1 GiB
# file, C) a 3-level tree of N small files (100,000; --quick 20,000). Every figure is repeated R
# times (default 3) and reported as min/median/max. Writes docs/benchmarks/mount.json and the
# mount-bench section of docs/benchmarks.md. Needs root (drop_caches, FUSE) and ./build.sh first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QUICK=0 TREE_FILES="" REPS=3 WRITE_DOC=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --tree-files) TREE_FILES=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --no-doc) WRITE_DOC=0 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mount-bench: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$TREE_FILES" ] || { [ "$QUICK" = 1 ] && TREE_FILES=20000 || TREE_FILES=100000; }
# passthrough_ll keeps one O_PATH fd per inode the kernel holds, and this container's hard
# RLIMIT_NOFILE cannot be raised; so the three-way metadata comparison runs on one top-level
# directory of tree C (10,000 files) and the full tree is walked through local disk and OrleansMount.
SUBTREE=t00

WORK=${MBENCH_WORK:-${TMPDIR:-/tmp}/orleansmount-mount-bench}
OM="$ROOT/bin/orleansmount" SILO="$ROOT/bin/orleansmount-silo"
S3RVER="$ROOT/.tools/s3rver/node_modules/.bin/s3rver"
GETBENCH_DIR="$ROOT/tests/benchmarks/GetBench"
GETBENCH="$GETBENCH_DIR/bin/Release/net10.0/GetBench"
PLL_SRC=/usr/share/doc/libfuse3-dev/examples

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { echo "mount-bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (drop_caches and FUSE mounts)"
[ -x "$OM" ] && [ -x "$SILO" ] || die "run ./build.sh first"
[ -x "$S3RVER" ] || die "s3rver missing: run ./build.sh deps"
[ -f "$PLL_SRC/passthrough_ll.c" ] || die "libfuse3-dev examples missing (apt-get install libfuse3-dev)"
command -v gcc >/dev/null && command -v pkg-config >/dev/null || die "gcc and pkg-config are needed to build passthrough_ll"
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || die "cannot write /proc/sys/vm/drop_caches"

# ---------------------------------------------------------------- processes and cleanup
S3_PID="" SILO_PID="" PLL_PID="" SILO_SOCK="$WORK/silo.sock"
MNT_OM="$WORK/mnt/om" MNT_PLL="$WORK/mnt/pll"
stop_pid() { local p=$1; [ -n "$p" ] || return 0; kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }
om_umount() {
  if mountpoint -q "$MNT_OM" 2>/dev/null; then
    "$OM" umount "$MNT_OM" >/dev/null 2>&1 || fusermount3 -u -z "$MNT_OM" 2>/dev/null || true
  fi
  # the mount process exits once unmounted; wait for it so the next mount starts clean
  for _ in $(seq 100); do pgrep -f "orleansmount mount .* $MNT_OM" >/dev/null || break; sleep 0.1; done
}
pll_umount() {
  mountpoint -q "$MNT_PLL" 2>/dev/null && { fusermount3 -u "$MNT_PLL" 2>/dev/null || fusermount3 -u -z "$MNT_PLL" 2>/dev/null || true; }
  stop_pid "$PLL_PID"; PLL_PID=""
}
silo_stop() { stop_pid "$SILO_PID"; SILO_PID=""; }
cleanup() {
  local status=$?
  om_umount; pll_umount; silo_stop; stop_pid "$S3_PID"
  local p; for p in $(pgrep -f "orleansmount mount .* $MNT_OM" || true); do kill "$p" 2>/dev/null || true; done
  [ $status = 0 ] || say "failed (exit $status); logs in $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }

silo_start() { # fresh silo on an empty cache dir
  local dir="$WORK/cache-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  rm -f "$SILO_SOCK"
  SILO_PORT=$(free_port)
  "$SILO" --cache-dir "$dir" --cache-size 8GiB --socket "$SILO_SOCK" --listen "127.0.0.1:$SILO_PORT" --log-level Warning >>"$WORK/silo.log" 2>&1 &
  SILO_PID=$!
  for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$SILO_PORT/api/v1/info" && return 0; sleep 0.1; done
  die "silo did not start (see $WORK/silo.log)"
}
om_mount() { # snapshot
  "$OM" mount "$1" "$MNT_OM" --silo "$SILO_SOCK" --log-file "$WORK/mount.log" >/dev/null
  mountpoint -q "$MNT_OM" || die "OrleansMount mount of $1 is not mounted"
}
om_pid() { pgrep -f "orleansmount mount .* $MNT_OM" | head -1; }
pll_mount() { # source dir
  "$PLL" -f -o "source=$1,cache=always,max_threads=16" "$MNT_PLL" >>"$WORK/pll.log" 2>&1 &
  PLL_PID=$!
  for _ in $(seq 100); do mountpoint -q "$MNT_PLL" && return 0; sleep 0.1; done
  die "passthrough_ll did not mount (see $WORK/pll.log)"
}

# ---------------------------------------------------------------- setup
say "work dir $WORK; tree C = $TREE_FILES files; $REPS repetitions"
om_umount; pll_umount
for stale in $(pgrep -f "orleansmount mount .* $MNT_OM" || true); do kill "$stale" 2>/dev/null || true; done
rm -rf "$WORK" && mkdir -p "$WORK/s3" "$WORK/local" "$MNT_OM" "$MNT_PLL" "$WORK/pll"
RESULTS="$WORK/results.jsonl"; : > "$RESULTS"

say "building passthrough_ll from $PLL_SRC"
cp "$PLL_SRC/passthrough_ll.c" "$PLL_SRC/passthrough_helpers.h" "$WORK/pll/"
# shellcheck disable=SC2046
gcc -O2 -Wall -o "$WORK/pll/passthrough_ll" "$WORK/pll/passthrough_ll.c" $(pkg-config fuse3 --cflags --libs) -lpthread
PLL="$WORK/pll/passthrough_ll"

say "building GetBench"
dotnet build "$GETBENCH_DIR/GetBench.csproj" -c Release -nologo -clp:ErrorsOnly -v:quiet >/dev/null

cat > "$WORK/mb.py" <<'PY'
import hashlib, json, os, random, statistics, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

def record(results, **rec):
    with open(results, "a") as f: f.write(json.dumps(rec) + "\n")
    extra = f" {rec['bytes']/rec['seconds']/1e6:9.1f} MB/s" if rec.get("bytes") else ""
    print(f"    {rec['figure']:<14} {rec.get('phase',''):<10} {rec['fs']:<13} rep {rec['rep']}: {rec['seconds']:8.3f} s{extra}", file=sys.stderr)

def put(s3root, localroot, key, data):
    path = os.path.join(s3root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + "._S3rver_object", "wb") as f: f.write(data)
    with open(path + "._S3rver_object.md5", "w") as f: f.write(hashlib.md5(data).hexdigest())
    with open(path + "._S3rver_metadata.json", "w") as f: json.dump({"content-type": "application/octet-stream"}, f)
    local = os.path.join(localroot, key)
    os.makedirs(os.path.dirname(local), exist_ok=True)
    os.link(path + "._S3rver_object", local)  # the local copy shares the bytes (hard link)

def gen(s3root, localroot, tree_files):
    rng = random.Random(3)
    for i in range(1000):  # A
        put(s3root, localroot, f"a/f{i:04d}.bin", rng.randbytes(1 << 20))
    # B: 1 GiB, streamed
    key = "b/big.bin"; path = os.path.join(s3root, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    block = bytearray(rng.randbytes(1 << 20)); h = hashlib.md5()
    with open(path + "._S3rver_object", "wb") as f:
        for i in range(1024):
            block[0:8] = i.to_bytes(8, "little"); f.write(block); h.update(block)
    with open(path + "._S3rver_object.md5", "w") as f: f.write(h.hexdigest())
    with open(path + "._S3rver_metadata.json", "w") as f: json.dump({"content-type": "application/octet-stream"}, f)
    os.makedirs(os.path.join(localroot, "b"), exist_ok=True)
    os.link(path + "._S3rver_object", os.path.join(localroot, key))
    # C: c/tNN/sN/fNNNNNN.txt, 10,000 files per top-level dir, 1,000 per leaf dir, 64 B - 4 KiB each
    pool = rng.randbytes(8192)
    for i in range(tree_files):
        n = rng.randint(64, 4096); o = rng.randint(0, 4096)
        put(s3root, localroot, f"c/t{i // 10000:02d}/s{(i // 1000) % 10}/f{i:06d}.txt", pool[o:o + n])

def read_file(path, bufsize=1 << 20):
    buf = bytearray(bufsize); mv = memoryview(buf); n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            k = f.readinto(mv)
            if not k: return n
            n += k

def read_all(d, threads):
    paths = sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs)
    t = time.monotonic()
    with ThreadPoolExecutor(threads) as pool: total = sum(pool.map(read_file, paths))
    return total, time.monotonic() - t, len(paths)

def find_stat(d):
    t = time.monotonic()
    out = subprocess.run(["find", d, "-type", "f", "-printf", "%s\n"], stdout=subprocess.PIPE, check=True).stdout
    secs = time.monotonic() - t
    lines = out.splitlines()
    return len(lines), sum(int(x) for x in lines), secs

def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"): return int(line.split()[1]) * 1024
    raise SystemExit(f"no VmRSS for {pid}")

def main():
    cmd, results = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    a = sys.argv[3:]
    if cmd == "gen": gen(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "readall":  # fig phase fs rep dir threads
        total, secs, files = read_all(a[4], int(a[5]))
        record(results, figure=a[0], phase=a[1], fs=a[2], rep=int(a[3]), bytes=total, files=files, seconds=secs)
    elif cmd == "seq":  # fig phase fs rep file
        t = time.monotonic(); total = read_file(a[4], 4 << 20); secs = time.monotonic() - t
        record(results, figure=a[0], phase=a[1], fs=a[2], rep=int(a[3]), bytes=total, seconds=secs)
    elif cmd == "getbench":  # fig phase fs rep json-line
        r = json.loads(a[4])
        record(results, figure=a[0], phase=a[1], fs=a[2], rep=int(a[3]), bytes=r["bytes"], seconds=r["seconds"])
    elif cmd == "find":  # fig phase fs rep dir expected
        files, size, secs = find_stat(a[4])
        if files != int(a[5]): raise SystemExit(f"find over {a[4]} saw {files} files, expected {a[5]}")
        record(results, figure=a[0], phase=a[1], fs=a[2], rep=int(a[3]), files=files, bytes_listed=size, seconds=secs)
    elif cmd == "rss":  # fig phase fs rep files mount_pid silo_pid
        files, mp, sp = int(a[4]), int(a[5]), int(a[6])
        m, s = rss(mp), rss(sp)
        rec = dict(figure=a[0], phase=a[1], fs=a[2], rep=int(a[3]), files=files, mount_rss=m, silo_rss=s, seconds=0.0,
                   bytes_per_file=(m + s) / files)
        if len(a) > 8: rec["mount_rss_before"], rec["silo_rss_before"] = int(a[7]), int(a[8])
        with open(results, "a") as f: f.write(json.dumps(rec) + "\n")
        print(f"    rss            {a[1]:<10} rep {a[3]}: mount {m/2**20:.1f} MiB + silo {s/2**20:.1f} MiB = {(m+s)/files:.0f} B/file", file=sys.stderr)
    elif cmd == "rss1": print(rss(int(sys.argv[2])))
    else: raise SystemExit(f"unknown {cmd}")

main()
PY
MB() { python3 "$WORK/mb.py" "$@"; }

PORT=$(free_port)
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
say "seeding datasets in s3rver's layout (local copies are hard links to the same bytes)"
MB gen "$WORK/s3/bench" "$WORK/local" "$TREE_FILES"
say "s3rver on 127.0.0.1:$PORT"
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$WORK/s3" -a 127.0.0.1 -p "$PORT" --no-vhost-buckets --silent >"$WORK/s3rver.log" 2>&1 &
S3_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done

IMPORT_SECONDS=()
for snap in a b c; do
  say "import s3://bench/$snap --snapshot $snap"
  t0=$(date +%s.%N)
  "$OM" import "s3://bench/$snap" --snapshot "$snap" >"$WORK/import-$snap.log" 2>&1 || { cat "$WORK/import-$snap.log" >&2; die "import of $snap failed"; }
  IMPORT_SECONDS+=("$(python3 -c "print(round($(date +%s.%N) - $t0, 2))")")
done
export ORLEANSMOUNT_CATALOG=s3://bench/.orleansmount/

# ---------------------------------------------------------------- figure 1: warm read of A
say "figure 1: 1,000 x 1 MiB, 8 parallel readers"
silo_start a
om_mount a
pll_mount "$WORK/local"
drop
MB readall "$RESULTS" warm_read fill orleansmount 0 "$MNT_OM" 8   # cold fill of the node's chunk cache (context only)
diff -rq "$WORK/local/a" "$MNT_OM" >/dev/null || die "BUG: bytes read through OrleansMount differ from the dataset (A)"
for rep in $(seq "$REPS"); do
  drop; MB readall "$RESULTS" warm_read dropped local "$rep" "$WORK/local/a" 8
  drop; MB readall "$RESULTS" warm_read dropped passthrough_ll "$rep" "$MNT_PLL/a" 8
  drop; MB readall "$RESULTS" warm_read dropped orleansmount "$rep" "$MNT_OM" 8
done
# page cache warm: one untimed read of each first, then no drops
MB readall "$WORK/prime.jsonl" prime x local 0 "$WORK/local/a" 8 2>/dev/null
MB readall "$WORK/prime.jsonl" prime x pll 0 "$MNT_PLL/a" 8 2>/dev/null
MB readall "$WORK/prime.jsonl" prime x om 0 "$MNT_OM" 8 2>/dev/null
for rep in $(seq "$REPS"); do
  MB readall "$RESULTS" warm_read pagecache local "$rep" "$WORK/local/a" 8
  MB readall "$RESULTS" warm_read pagecache passthrough_ll "$rep" "$MNT_PLL/a" 8
  MB readall "$RESULTS" warm_read pagecache orleansmount "$rep" "$MNT_OM" 8
done
om_umount; pll_umount; silo_stop

# ---------------------------------------------------------------- figure 2: metadata over tree C
SUB_FILES=$(find "$WORK/local/c/$SUBTREE" -type f | wc -l)
say "figure 2: find + stat; three-way over c/$SUBTREE ($SUB_FILES files), full tree ($TREE_FILES files) local vs OrleansMount"
for rep in $(seq "$REPS"); do
  drop; MB find "$RESULTS" meta_sub cold local "$rep" "$WORK/local/c/$SUBTREE" "$SUB_FILES"
  MB find "$RESULTS" meta_sub warm local "$rep" "$WORK/local/c/$SUBTREE" "$SUB_FILES"
  pll_mount "$WORK/local"; drop
  MB find "$RESULTS" meta_sub cold passthrough_ll "$rep" "$MNT_PLL/c/$SUBTREE" "$SUB_FILES"
  MB find "$RESULTS" meta_sub warm passthrough_ll "$rep" "$MNT_PLL/c/$SUBTREE" "$SUB_FILES"
  pll_umount
  silo_start "c$rep-sub"; om_mount c; drop
  MB find "$RESULTS" meta_sub cold orleansmount "$rep" "$MNT_OM/$SUBTREE" "$SUB_FILES"
  MB find "$RESULTS" meta_sub warm orleansmount "$rep" "$MNT_OM/$SUBTREE" "$SUB_FILES"
  om_umount; silo_stop
done
for rep in $(seq "$REPS"); do
  drop; MB find "$RESULTS" meta_full cold local "$rep" "$WORK/local/c" "$TREE_FILES"
  MB find "$RESULTS" meta_full warm local "$rep" "$WORK/local/c" "$TREE_FILES"
  silo_start "c$rep-full"; om_mount c
  MPID=$(om_pid); [ -n "$MPID" ] || die "cannot find the mount process"
  M0=$(MB rss1 "$MPID"); S0=$(MB rss1 "$SILO_PID")
  drop
  MB find "$RESULTS" meta_full cold orleansmount "$rep" "$MNT_OM" "$TREE_FILES"
  MB find "$RESULTS" meta_full warm orleansmount "$rep" "$MNT_OM" "$TREE_FILES"
  MB rss "$RESULTS" rss after_find orleansmount "$rep" "$TREE_FILES" "$MPID" "$SILO_PID" "$M0" "$S0"
  om_umount; silo_stop
done

# ---------------------------------------------------------------- figure 3: cold sequential read of B
say "figure 3: cold sequential read of the 1 GiB file"
for rep in $(seq "$REPS"); do
  drop; MB seq "$RESULTS" cold_big cold local "$rep" "$WORK/local/b/big.bin"
  pll_mount "$WORK/local"; drop
  MB seq "$RESULTS" cold_big cold passthrough_ll "$rep" "$MNT_PLL/b/big.bin"
  pll_umount
  drop; MB getbench "$RESULTS" cold_big cold sdk_get "$rep" "$("$GETBENCH" bench b/big.bin)"
  silo_start "b$rep"; om_mount b; drop
  MB seq "$RESULTS" cold_big cold orleansmount "$rep" "$MNT_OM/big.bin"
  if [ "$rep" = "$REPS" ]; then
    cmp -s "$WORK/local/b/big.bin" "$MNT_OM/big.bin" || die "BUG: bytes read through OrleansMount differ from the dataset (B)"
  fi
  om_umount; silo_stop
done

# ---------------------------------------------------------------- report
say "writing docs/benchmarks/mount.json$([ "$WRITE_DOC" = 1 ] && echo ' and docs/benchmarks.md')"
MACHINE=$(python3 - "$QUICK" "$TREE_FILES" "$SUB_FILES" "$REPS" "${IMPORT_SECONDS[*]}" <<PY
import json, os, platform, subprocess, sys
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return ""
mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
imp = sys.argv[5].split()
print(json.dumps({
  "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"), "nproc": os.cpu_count(), "cpu": cpu,
  "mem_gib": round(int(mem) / 2**20, 1), "kernel": platform.release(),
  "dotnet": sh("dotnet --version"), "libfuse": sh("pkg-config --modversion fuse3"),
  "fusermount3": sh("fusermount3 --version 2>&1"), "commit": sh("git -C '$ROOT' rev-parse --short HEAD"),
  "mode": "quick" if sys.argv[1] == "1" else "full", "tree_files": int(sys.argv[2]), "subtree_files": int(sys.argv[3]),
  "reps": int(sys.argv[4]), "import_seconds": {"a": float(imp[0]), "b": float(imp[1]), "c": float(imp[2])},
}))
PY
)
python3 "$ROOT/tests/benchmarks/mount-report.py" "$RESULTS" "$MACHINE" "$ROOT/docs/benchmarks/mount.json" \
  "$([ "$WRITE_DOC" = 1 ] && echo "$ROOT/docs/benchmarks.md" || echo -)"
say "done"
