#!/usr/bin/env python3
"""Issue 4's cluster benchmark, one run, loopback only (./build.sh bench runs it; needs root and ./build.sh first).

  cluster-bench.py [--quick] [--reps R] [--no-doc]

Figure 1, peer read: a chunk warm on its owner and cold on the requester, read through the requester's
mount, against a warm local read (page cache dropped) on the owner's mount. Two silos: the owner O and a
requester R whose cache capacity (its placement weight) is 1/256 of O's, so O owns ~99.6% of the chunks.
Both processes run the whole time; R reads an untimed warm-up set first (its code is then compiled and its
connections open), and each repetition reads a fresh set of files: cold in R's cache, warm on O's disk.

Figure 2, object-store bytes per epoch: 3 nodes, each reading the whole dataset, two epochs.
OrleansMount (3 silos + 3 mounts) against three independent `rclone mount --vfs-cache-mode full`.
Bytes are counted at the object-store side by the counting proxy in front of s3rver
(tests/tools/OrleansMount.LatencyProxy, no added latency), and for OrleansMount cross-checked with the
silos' own counters.

Writes docs/benchmarks/cluster.json and the cluster-bench section of docs/benchmarks.md."""
import hashlib, json, os, platform, random, shutil, signal, socket, statistics, subprocess, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OM, SILO = f"{ROOT}/bin/orleansmount", f"{ROOT}/bin/orleansmount-silo"
S3RVER = f"{ROOT}/.tools/s3rver/node_modules/.bin/s3rver"
PROXY = f"{ROOT}/tests/tools/OrleansMount.LatencyProxy/bin/Release/net10.0/orleansmount-latency-proxy"
WORK = os.environ.get("CBENCH_WORK", "/tmp/orleansmount-cluster-bench")
BEGIN, END = "<!-- cluster-bench:begin -->", "<!-- cluster-bench:end -->"
MiB = 1 << 20


def say(msg): print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg): raise SystemExit(f"cluster-bench: {msg}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def wait_until(what, check, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            die(f"timed out waiting for {what} (logs in {WORK})")
        time.sleep(0.1)


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


class Procs:
    """Every process and mount the run started, stopped in reverse order whatever happens."""

    def __init__(self):
        self.items = []

    def start(self, name, args, env=None):
        log = open(f"{WORK}/{name}.log", "ab")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.items.append(("proc", p))
        return p

    def mounted(self, path):
        self.items.append(("mount", path))

    @staticmethod
    def umount(path):
        if os.path.ismount(path):
            if subprocess.run([OM, "umount", path], capture_output=True).returncode != 0:
                subprocess.run(["fusermount3", "-u", "-z", path], capture_output=True)

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def close(self):
        for kind, item in reversed(self.items):
            self.umount(item) if kind == "mount" else self.stop(item)
        self.items.clear()


def seed(bucket_dir, files):
    """Writes s3rver's on-disk layout directly (PLATFORM.md pitfall 7); files: {key: size}. Returns {key: sha256}."""
    rng = random.Random(len(files))
    digests = {}
    for key, size in files.items():
        path = os.path.join(bucket_dir, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        md5, sha = hashlib.md5(), hashlib.sha256()
        block = bytearray(rng.randbytes(MiB))
        with open(path + "._S3rver_object", "wb") as f:
            left, i = size, 0
            while left:
                block[0:8] = i.to_bytes(8, "little")
                part = block[: min(left, MiB)]
                f.write(part); md5.update(part); sha.update(part)
                left -= len(part); i += 1
        with open(path + "._S3rver_object.md5", "w") as f:
            f.write(md5.hexdigest())
        with open(path + "._S3rver_metadata.json", "w") as f:
            json.dump({"content-type": "application/octet-stream"}, f)
        digests[key] = sha.hexdigest()
    return digests


def read_file(path, digest=None):
    h = hashlib.sha256() if digest else None
    n = 0
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(MiB):
            n += len(chunk)
            if h:
                h.update(chunk)
    if h and h.hexdigest() != digest:
        die(f"BUG: bytes of {path} differ from the dataset")
    return n


def read_all(root, keys, digests=None, threads=4, cpus=None):
    """Reads keys under root with `threads` readers (on `cpus` if given); returns (bytes, seconds)."""
    saved = os.sched_getaffinity(0)
    if cpus:
        os.sched_setaffinity(0, cpus)  # the readers are created below and inherit it
    try:
        t = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(lambda k: read_file(os.path.join(root, k), digests and digests[k]), keys))
        return total, time.monotonic() - t
    finally:
        os.sched_setaffinity(0, saved)


def summ(values):
    v = sorted(values)
    return {"min": v[0], "median": statistics.median(v), "max": v[-1], "n": len(v)}


class Bench:
    def __init__(self, quick, reps):
        self.quick, self.reps = quick, reps
        self.procs = Procs()
        self.env = dict(os.environ)
        self.env.pop("AWS_CA_BUNDLE", None)

    # ------------------------------------------------------------------ services
    def start_services(self):
        s3_port, self.proxy_port, self.redis_port = free_port(), free_port(), free_port()
        self.procs.start("s3rver", [S3RVER, "-d", f"{WORK}/s3", "-a", "127.0.0.1", "-p", str(s3_port), "--no-vhost-buckets", "--silent"],
                         env={**self.env, "NODE_OPTIONS": "--openssl-legacy-provider"})
        wait_until("s3rver", lambda: urllib.request.urlopen(f"http://127.0.0.1:{s3_port}/", timeout=2).status == 200)
        self.procs.start("proxy", [PROXY, "--listen", f"127.0.0.1:{self.proxy_port}", "--target", f"http://127.0.0.1:{s3_port}"])
        wait_until("the counting proxy", lambda: self.store_counters() is not None)
        self.procs.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        wait_until("redis-server", lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1).close() is None)
        self.endpoint = f"http://127.0.0.1:{self.proxy_port}"
        self.env.update(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER",
                        AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")

    def store_counters(self):
        """GET requests and body bytes the object store served, counted by the proxy."""
        return http_json(f"http://127.0.0.1:{self.proxy_port}/__proxy/stats")

    def import_snapshot(self, bucket, name):
        subprocess.run([OM, "import", f"s3://{bucket}/ds", "--snapshot", name], env=self.env, check=True, stdout=subprocess.DEVNULL)

    def start_silo(self, name, bucket, cache_size, cluster):
        port = free_port()
        cache = f"{WORK}/cache-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        p = self.procs.start(f"silo-{name}", [
            SILO, "--catalog", f"s3://{bucket}/.orleansmount/", "--redis", f"127.0.0.1:{self.redis_port}", "--cluster", cluster,
            "--silo-id", name, "--cache-dir", cache, "--cache-size", cache_size, "--socket", f"{WORK}/{name}.sock",
            "--listen", f"127.0.0.1:{port}", "--log-level", "Warning"], env=self.env)
        api = f"http://127.0.0.1:{port}/api/v1"
        wait_until(f"silo {name}", lambda: http_json(f"{api}/info") is not None)
        return {"name": name, "proc": p, "api": api, "sock": f"{WORK}/{name}.sock"}

    def wait_members(self, silos):
        for s in silos:
            wait_until(f"{s['name']} to see {len(silos)} members",
                       lambda: sum(m["status"] == "Active" for m in http_json(f"{s['api']}/members")["members"]) == len(silos))

    def mount(self, silo, snapshot):
        mnt = f"{WORK}/mnt-{silo['name']}"
        os.makedirs(mnt, exist_ok=True)
        subprocess.run([OM, "mount", snapshot, mnt, "--silo", silo["sock"], "--log-file", f"{WORK}/mount-{silo['name']}.log"], env=self.env, check=True)
        self.procs.mounted(mnt)
        return mnt

    def stop_node(self, silo, mnt):
        Procs.umount(mnt)
        Procs.stop(silo["proc"])

    # ------------------------------------------------------------------ figure 1
    def peer_read(self):
        n = 4 if self.quick else 8
        # One set of files to warm the requester's code paths (JIT, connections) and one fresh set per
        # repetition, so each timed read is cold in the requester's cache but not in its process.
        modes = ("shared", "pinned")
        sets = ["warmup"] + [f"{mode}{rep}" for mode in modes for rep in range(1, self.reps + 1)]
        files = {f"ds/{s}/p{i:02d}.bin": 64 * MiB for s in sets for i in range(n)}
        os.makedirs(f"{WORK}/s3/peer")
        digests = {k[3:]: v for k, v in seed(f"{WORK}/s3/peer", files).items()}
        self.import_snapshot("peer", "peer")
        keys = {s: sorted(k for k in digests if k.startswith(s + "/")) for s in sets}
        dataset = n * 64 * MiB
        say(f"figure 1: peer read vs warm local read, {n} x 64 MiB, {self.reps} repetitions per mode")
        owner = self.start_silo("owner", "peer", "1024GiB", "peer")
        requester = self.start_silo("requester", "peer", "16GiB", "peer")
        self.wait_members([owner, requester])
        m_owner = self.mount(owner, "peer")
        m_requester = self.mount(requester, "peer")
        for s in sets:  # warms the owner with every set (and the few chunks the requester owns)
            read_all(m_owner, keys[s], digests)
        read_all(m_requester, keys["warmup"], digests)  # untimed: the requester's first peer reads
        records = []
        for mode in modes:
            # shared: every process on both cores, as a 2-core machine runs them. pinned: two one-core
            # "nodes" on one machine, the owner's silo, mount and reader on core 1, the requester's on core 0.
            cores = {"owner": {1}, "requester": {0}} if mode == "pinned" else {"owner": {0, 1}, "requester": {0, 1}}
            for name, silo, mnt in (("owner", owner, m_owner), ("requester", requester, m_requester)):
                for pid in (silo["proc"].pid, self.mount_pid(mnt)):
                    subprocess.run(["taskset", "-a", "-p", "-c", ",".join(map(str, sorted(cores[name]))), str(pid)], check=True, stdout=subprocess.DEVNULL)
            for rep in range(1, self.reps + 1):
                ks = keys[f"{mode}{rep}"]
                drop_caches()
                total, secs = read_all(m_owner, ks, cpus=cores["owner"])
                records.append({"fs": "warm_local", "mode": mode, "rep": rep, "bytes": total, "seconds": secs})
                before = http_json(f"{requester['api']}/stats")
                drop_caches()
                total, secs = read_all(m_requester, ks, digests if rep == self.reps else None, cpus=cores["requester"])
                after = http_json(f"{requester['api']}/stats")
                records.append({"fs": "peer", "mode": mode, "rep": rep, "bytes": total, "seconds": secs,
                                "peer_bytes": after["peerBytes"] - before["peerBytes"],
                                "object_store_bytes": after["objectStoreBytes"] - before["objectStoreBytes"]})
                say(f"  {mode} rep {rep}: warm local {records[-2]['bytes'] / records[-2]['seconds'] / 1e6:.0f} MB/s, "
                    f"peer {total / secs / 1e6:.0f} MB/s ({records[-1]['peer_bytes'] / total:.1%} of the bytes from the owner)")
        self.stop_node(requester, m_requester)
        self.stop_node(owner, m_owner)
        return {"dataset_bytes": dataset, "files": n, "records": records}

    @staticmethod
    def mount_pid(mnt):
        out = subprocess.run(["pgrep", "-f", f"orleansmount mount .* {mnt} "], capture_output=True, text=True).stdout.split()
        if len(out) != 1:
            die(f"expected one mount process for {mnt}, found {out}")
        return int(out[0])

    # ------------------------------------------------------------------ figure 2
    def epochs(self):
        n = 100 if self.quick else 300
        files = {f"ds/e{i:04d}.bin": MiB + (i % 7) * 65536 for i in range(n)}
        os.makedirs(f"{WORK}/s3/epoch")
        digests = {k[3:]: v for k, v in seed(f"{WORK}/s3/epoch", files).items()}
        self.import_snapshot("epoch", "epoch")
        keys = sorted(digests)
        dataset = sum(files.values())
        say(f"figure 2: object-store bytes per epoch, 3 nodes each reading {n} files ({dataset / MiB:.0f} MiB)")
        result = {"dataset_bytes": dataset, "files": n, "systems": {}}

        def run_epochs(system, mounts, silo_apis=()):
            epochs = []
            for epoch in (1, 2):
                before = self.store_counters()
                silo_before = [http_json(f"{a}/stats")["objectStoreBytes"] for a in silo_apis]
                t = time.monotonic()
                orders = [random.Random(epoch * 10 + i).sample(keys, len(keys)) for i in range(len(mounts))]
                with ThreadPoolExecutor(len(mounts)) as pool:
                    list(pool.map(lambda i: read_all(mounts[i], orders[i], digests, threads=2), range(len(mounts))))
                secs = time.monotonic() - t
                after = self.store_counters()
                rec = {"epoch": epoch, "seconds": secs, "store_gets": after["getRequests"] - before["getRequests"],
                       "store_bytes": after["getBytes"] - before["getBytes"]}
                if silo_apis:
                    rec["silo_counted_bytes"] = sum(http_json(f"{a}/stats")["objectStoreBytes"] for a in silo_apis) - sum(silo_before)
                epochs.append(rec)
                say(f"  {system} epoch {epoch}: {rec['store_bytes'] / dataset:.2f}x the dataset from the object store "
                    f"({rec['store_gets']} GETs, {secs:.1f} s)")
            return epochs

        silos = [self.start_silo(f"node-{i}", "epoch", "4GiB", "epoch") for i in (1, 2, 3)]
        self.wait_members(silos)
        mounts = [self.mount(s, "epoch") for s in silos]
        result["systems"]["orleansmount"] = run_epochs("OrleansMount", mounts, [s["api"] for s in silos])
        for s, m in zip(silos, mounts):
            self.stop_node(s, m)

        rclone_env = {**self.env, "RCLONE_CONFIG_OBJ_TYPE": "s3", "RCLONE_CONFIG_OBJ_PROVIDER": "Other",
                      "RCLONE_CONFIG_OBJ_ENDPOINT": self.endpoint, "RCLONE_CONFIG_OBJ_FORCE_PATH_STYLE": "true",
                      "RCLONE_CONFIG_OBJ_ACCESS_KEY_ID": "S3RVER", "RCLONE_CONFIG_OBJ_SECRET_ACCESS_KEY": "S3RVER"}
        mounts = []
        for i in (1, 2, 3):
            mnt, cache = f"{WORK}/mnt-rclone-{i}", f"{WORK}/rclone-cache-{i}"
            os.makedirs(mnt, exist_ok=True)
            shutil.rmtree(cache, ignore_errors=True)
            self.procs.start(f"rclone-{i}", ["rclone", "mount", "obj:epoch/ds", mnt, "--vfs-cache-mode", "full", "--cache-dir", cache,
                                             "--vfs-cache-max-size", "4G", "--read-only"], env=rclone_env)
            wait_until(f"rclone mount {i}", lambda: os.path.ismount(mnt))
            self.procs.mounted(mnt)
            mounts.append(mnt)
        wait_until("rclone to list the dataset", lambda: all(len(os.listdir(m)) == n for m in mounts))
        result["systems"]["rclone"] = run_epochs("rclone", mounts)
        for m in mounts:
            subprocess.run(["fusermount3", "-u", m], capture_output=True)
        return result


def machine(quick, reps):
    def sh(c):
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    return {"date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"), "nproc": os.cpu_count(), "cpu": cpu, "mem_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "dotnet": sh("dotnet --version"), "rclone": sh("rclone version 2>/dev/null | head -1"),
            "commit": sh(f"git -C '{ROOT}' rev-parse --short HEAD"), "mode": "quick" if quick else "full", "reps": reps}


def report(raw, doc):
    peer = raw["peer_read"]

    def rates(fs, mode):
        return [r["bytes"] / r["seconds"] / 1e6 for r in peer["records"] if r["fs"] == fs and r.get("mode", "shared") == mode]
    modes = [m for m in ("shared", "pinned") if rates("peer", m)]
    fig1 = {}
    for mode in modes:
        local, remote = rates("warm_local", mode), rates("peer", mode)
        fig1[mode] = (summ(local), summ(remote), summ([p / l for p, l in zip(remote, local)]))
    share = statistics.median(r["peer_bytes"] / r["bytes"] for r in peer["records"] if r["fs"] == "peer")
    ep = raw["epochs"]
    ds = ep["dataset_bytes"]

    def x(b): return f"{b / ds:.2f}×"
    om, rc = ep["systems"]["orleansmount"], ep["systems"]["rclone"]
    verdict1 = "PASS" if fig1["shared"][2]["median"] >= 0.5 else "MISS"
    verdict2 = "PASS" if abs(om[0]["store_bytes"] / ds - 1.0) <= 0.05 and rc[0]["store_bytes"] / ds >= 2.5 else "MISS"
    m = raw["machine"]
    lines = [BEGIN, "",
             f"## Cluster (issue 4): `tests/benchmarks/cluster-bench.py` ({m['mode']}, {m['reps']} repetitions, {m['date']}, commit {m['commit']})", "",
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}, .NET {m['dotnet']}, {m['rclone']}. "
             "s3rver behind the counting proxy (no added latency), redis-server, silos and mounts on loopback.", "",
             f"**Peer read** ({peer['files']} × 64 MiB, 4 readers, page cache dropped before each read): the owner holds every chunk, the requester none "
             f"(its placement weight is 1/256 of the owner's, so {share:.1%} of the bytes came from the owner). "
             "Both silos and mounts stay up for the whole figure; the requester reads an untimed warm-up set first, and each "
             "repetition reads a fresh set of files (cold in the requester's cache, on the owner's disk).", "",
             "Two ways to share this 2-core machine: *shared*, every process on both cores, so the owner's silo competes with the "
             "requester's silo, mount and readers as it never would across machines; *pinned*, two one-core \"nodes\" "
             "(`taskset`): the owner's silo, mount and readers on core 1, the requester's on core 0.", "",
             "| mode | warm local read (owner's mount), MB/s | warm on owner, cold on requester (requester's mount), MB/s | ratio peer ÷ local |",
             "|---|---|---|---|"] + [
             f"| {mode} | {l['min']:.0f} / {l['median']:.0f} / {l['max']:.0f} | {p['min']:.0f} / {p['median']:.0f} / {p['max']:.0f} | "
             f"{r['min']:.2f} / **{r['median']:.2f}** / {r['max']:.2f} |" for mode, (l, p, r) in fig1.items()] + ["",
             f"Target ≥ 0.5× (shared, as the issue's figure): **{verdict1}** ({fig1['shared'][2]['median']:.2f}×)"
             + (f"; pinned: {fig1['pinned'][2]['median']:.2f}×." if "pinned" in fig1 else "."), "",
             f"**Object-store bytes per epoch**, 3 nodes each reading all {ep['files']} files ({ds / MiB:.0f} MiB) in their own shuffled order, "
             "counted at the object-store side:", "",
             "| system | epoch 1 bytes (× dataset) | epoch 1 GETs | epoch 2 bytes (× dataset) | epoch 1 seconds |", "|---|---|---|---|---|",
             f"| OrleansMount, 3 silos + 3 mounts | {om[0]['store_bytes']:,} ({x(om[0]['store_bytes'])}) | {om[0]['store_gets']:,} | {om[1]['store_bytes']:,} ({x(om[1]['store_bytes'])}) | {om[0]['seconds']:.1f} |",
             f"| 3 × rclone mount --vfs-cache-mode full | {rc[0]['store_bytes']:,} ({x(rc[0]['store_bytes'])}) | {rc[0]['store_gets']:,} | {rc[1]['store_bytes']:,} ({x(rc[1]['store_bytes'])}) | {rc[0]['seconds']:.1f} |",
             "",
             f"The silos' own counters say {om[0]['silo_counted_bytes']:,} B for epoch 1 (the proxy: {om[0]['store_bytes']:,} B; the difference is the "
             "catalog's range files, which the silos count apart).",
             f"Target OrleansMount ≈ 1.0× against rclone ≈ 3.0×: **{verdict2}**.", "", END]
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    block = "\n".join(lines)
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)


def main():
    quick, reps, write_doc = False, 3, True
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--quick": quick = True
        elif a == "--reps": reps = int(args.pop(0))
        elif a == "--no-doc": write_doc = False
        elif a == "--report": # --report RAW.json: re-render the doc from saved raw results
            raw = json.load(open(args.pop(0))); report(raw, f"{ROOT}/docs/benchmarks.md"); return
        elif a in ("-h", "--help"): print(__doc__); return
        else: die(f"unknown option '{a}' (try --help)")
    if os.getuid() != 0: die("run as root (drop_caches and FUSE mounts)")
    for exe, hint in ((OM, "run ./build.sh first"), (SILO, "run ./build.sh first"), (S3RVER, "run ./build.sh deps"), (PROXY, "run ./build.sh first")):
        if not os.access(exe, os.X_OK): die(f"{exe} is missing: {hint}")
    for tool in ("rclone", "redis-server"):
        if not shutil.which(tool): die(f"{tool} is missing: ./build.sh bench installs it")
    for m in os.listdir(WORK) if os.path.isdir(WORK) else []:
        Procs.umount(os.path.join(WORK, m))
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(f"{WORK}/s3")
    bench = Bench(quick, reps)
    try:
        bench.start_services()
        raw = {"machine": machine(quick, reps), "peer_read": bench.peer_read(), "epochs": bench.epochs()}
    finally:
        bench.procs.close()
    os.makedirs(f"{ROOT}/docs/benchmarks", exist_ok=True)
    with open(f"{ROOT}/docs/benchmarks/cluster.json", "w") as f:
        json.dump(raw, f, indent=1)
    if write_doc:
        report(raw, f"{ROOT}/docs/benchmarks.md")
    say("done: docs/benchmarks/cluster.json" + (" and docs/benchmarks.md" if write_doc else ""))


if __name__ == "__main__":
    main()
