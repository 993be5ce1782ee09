#!/usr/bin/env python3
"""Issue 7's benchmark suite: OrleansMount against rclone, s3fs, libfuse's passthrough_ll and local disk, side by
side in one run on the same generated datasets, loopback only (./build.sh bench runs it; needs root and ./build.sh).

  suite-bench.py [--quick | --tiny] [--reps R] [--only PART,...] [--no-doc] [--report RAW.json]

A run of every part writes docs/benchmarks/suite.json, suite.svg and the suite-bench section of docs/benchmarks.md; a run
of some parts (--only) writes docs/benchmarks/suite-PARTS.json and only the sections of issue 21's targets for the parts
it measured: cold small files against their ceiling (small), cold sequential against one SDK GET (large). A run of every
part writes those too.

Parts: meta (find | wc -l, ls -lR, Python glob + os.stat; cold and warm; memory after the find), small (N x 128 KiB,
8 readers; also the ceiling, GetBench --parallel 8 GETting the same objects, and OrleansMount once more with a silo that
served 300 other files first, and with a fresh silo on the runtime's default tiered compilation), large (fio 1 MiB sequential; fio 4 KiB randread, 4 jobs; also one SDK GET of the whole file, GetBench), cluster (object-store GETs and bytes per epoch,
3 nodes of each system). Every cold figure is measured against s3rver directly and (meta and small in every mode,
large in the full run) once more behind the latency proxy at 20 ms time to first byte, which also counts the requests.

Sizes (SIZES below): full 10,000 metadata files, 2,000 x 128 KiB, 2 GiB, 3 repetitions, cluster 1,000 files (the issue's
100,000 and 10,000 do not fit its 45 minutes here: rclone and s3fs stat and GET one file at a time against s3rver);
--quick 3,000, 500, 512 MiB, 2, 200; --tiny (development) 1,000, 100, 64 MiB, 1, 50.
"""
import json, math, os, shutil, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import MiB, ROOT, Cluster, Procs, die, drop_caches, free_port, read_all, say, summ, vm_rss, wait_until  # noqa: E402

BEGIN, END = "<!-- suite-bench:begin -->", "<!-- suite-bench:end -->"
BUCKET = "suite"
SYSTEMS = ("local", "passthrough_ll", "orleansmount", "rclone", "s3fs")
PEERS = ("rclone", "s3fs")
REMOTE = ("orleansmount", "rclone", "s3fs")
LABEL = {"local": "local disk", "passthrough_ll": "passthrough_ll", "orleansmount": "OrleansMount",
         "rclone": "rclone", "s3fs": "s3fs", "orleansmount_warmed": "OrleansMount, silo warmed",
         "orleansmount_tiered": "OrleansMount, tiered compilation on", "parallel_get": "ceiling",
         "one_get": "one SDK GET"}
# meta files, small files, large MiB, repetitions, randread seconds, cluster files (the first of the small files).
# --quick is smaller than the example (20,000 / 2,000) to finish in 10 minutes on this shared 2-core machine:
# rclone stats each file with a HEAD request, one after another (~4.5 ms each against loopback s3rver here), and
# s3rver serves ~80 small GETs/s, so a 20,000-file tree alone costs rclone ~90 s per ls -lR or glob walk.
SIZES = {
    # full: sized to finish in under 45 minutes here (issue 21): the 100,000 metadata files alone would cost
    # rclone ~15 minutes per walk (a HEAD per file), and 10,000 small files s3fs and rclone ~2 minutes per cold pass.
    "full": (10_000, 2_000, 2048, 3, 10, 1_000),
    "quick": (3_000, 500, 512, 2, 2, 200),
    "tiny": (1_000, 100, 64, 1, 2, 50),
}
LEAF = 500  # files per leaf directory of the metadata tree
PROXY_SUBTREE = "t00/s00"  # the 20 ms proxy walks one leaf directory (rclone: 500 HEAD requests one after another, ~14 s)
PLL_SUBTREE = 10_000  # passthrough_ll holds an O_PATH fd per inode; the hard open-file limit here is 20,000
PROXY_TTFB_MS = 20
SMALL_READERS = 8  # reader threads of the small-files figures, and the parallel GETs of their ceiling
# The cold small files once more with the silo process warm (WARMUP_FILES of another snapshot read through it first):
# OrleansMount's per-file cost without the one-time cost of a fresh process (its JIT), beside the fresh-silo figure.
WARMED, WARMUP_FILES = "orleansmount_warmed", 300
# And once more with a fresh silo on the runtime's default tiered compilation (decision 0025 turned it off for deployed silos).
TIERED = "orleansmount_tiered"
OM_VARIANTS = (WARMED, TIERED)
CEILING = "parallel_get"  # the small-files ceiling: GetBench --parallel SMALL_READERS over the same objects
ONE_GET = "one_get"  # the cold sequential baseline: GetBench, one GetObject of the whole large file
# Issue 21's cold sequential targets: OrleansMount >= this x one SDK GET directly, and >= that x behind the 20 ms proxy.
ONE_GET_TARGET, ONE_GET_PROXY_TARGET = 0.9, 1.5
# Issue 21's targets for cold small files, directly and behind the proxy: OrleansMount >= this x the ceiling, and x the best peer.
CEILING_TARGET, PEER_TARGET = 0.8, 1.5
WALKS = {
    "find": lambda root: ["bash", "-c", f"find '{root}' -type f | wc -l"],
    "ls_lR": lambda root: ["bash", "-c", f"ls -lR '{root}' | wc -l"],
    "glob_stat": lambda root: ["python3", "-c", "import glob, os, sys\nps = glob.glob(sys.argv[1] + '/**/*', recursive=True)\n"
                               "for p in ps: os.stat(p)\nprint(len(ps))", root],
}


class Suite(Cluster):
    def __init__(self, mode, reps):
        super().__init__(mode != "full", reps)
        self.mode = mode
        self.n_meta, self.n_small, self.large_mib, _, self.rand_secs, self.n_cluster = SIZES[mode]
        self.serial = 0

    # ------------------------------------------------------------------ services and datasets
    def start_store(self):
        """s3rver; the 20 ms latency proxy and a zero-latency counting proxy in front of it; redis-server for the silos."""
        s3_port, self.slow_port, self.proxy_port, self.redis_port = free_port(), free_port(), free_port(), free_port()
        self.procs.start("s3rver", [benchlib.S3RVER, "-d", f"{benchlib.WORK}/s3", "-a", "127.0.0.1", "-p", str(s3_port),
                                    "--no-vhost-buckets", "--silent"], env={**self.env, "NODE_OPTIONS": "--openssl-legacy-provider"})
        wait_until("s3rver", lambda: benchlib.urllib.request.urlopen(f"http://127.0.0.1:{s3_port}/", timeout=2).status == 200)
        for name, port, ttfb in (("proxy", self.proxy_port, 0), ("proxy-20ms", self.slow_port, PROXY_TTFB_MS)):
            self.procs.start(name, [benchlib.PROXY, "--listen", f"127.0.0.1:{port}", "--target", f"http://127.0.0.1:{s3_port}",
                                    "--ttfb-ms", str(ttfb)])
            wait_until(name, lambda: benchlib.http_json(f"http://127.0.0.1:{port}/__proxy/stats") is not None)
        self.procs.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        wait_until("redis-server", lambda: benchlib.socket.create_connection(("127.0.0.1", self.redis_port), 1).close() is None)
        self.endpoints = {"direct": f"http://127.0.0.1:{s3_port}", "proxy": f"http://127.0.0.1:{self.slow_port}",
                          "counting": f"http://127.0.0.1:{self.proxy_port}"}
        self.env.update(AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER", AWS_REGION="us-east-1",
                        AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL=self.endpoints["direct"])
        self.endpoint = self.endpoints["direct"]
        with open(f"{benchlib.WORK}/s3fs.passwd", "w") as f:
            f.write("S3RVER:S3RVER\n")
        os.chmod(f"{benchlib.WORK}/s3fs.passwd", 0o600)

    def slow_counters(self):
        return benchlib.http_json(f"http://127.0.0.1:{self.slow_port}/__proxy/stats")

    def seed(self):
        w = benchlib.WORK
        bucket, self.local = f"{w}/s3/{BUCKET}", f"{w}/local"
        # meta/tNN/sNN/fNNNNNN: 10,000 files per top directory, LEAF per leaf, 100 B - 2 KiB. No file shares a
        # stem with a directory (s3rver misorders names continuing below '/'), and segments are short.
        meta = {f"meta/t{i // 10000:02d}/s{(i % 10000) // LEAF:02d}/f{i:06d}": 100 + (i * 37) % 1948 for i in range(self.n_meta)}
        small = {f"small/s{i // 1000:02d}/f{i:06d}": 128 * 1024 for i in range(self.n_small)}
        large = {"large/big": self.large_mib * MiB}
        # Read before the small files by the silo of the "OrleansMount, silo warmed" figure (WARMED).
        warmup = {f"warmup/w{i:05d}": 128 * 1024 for i in range(min(self.n_small, WARMUP_FILES))}
        self.warmup_names = [k[len("warmup/"):] for k in warmup]
        t = time.monotonic()
        self.small_digests = benchlib.seed_tree(bucket, {**meta, **small, **large, **warmup}, self.local, digest_keys=set(small))
        self.meta_dirs = len({k.rsplit("/", 1)[0] for k in meta}) + len({k.split("/")[1] for k in meta})
        self.pll_subtree = "t00"
        self.pll_files = min(self.n_meta, PLL_SUBTREE)
        self.proxy_files = min(self.n_meta, LEAF)
        self.seed_seconds = time.monotonic() - t
        say(f"seeded {len(meta):,} + {len(small):,} + 1 files with directory markers in {self.seed_seconds:.1f} s")
        self.import_seconds = {}
        for snap in ("meta", "small", "large", "warmup"):
            t = time.monotonic()
            with open(f"{w}/import-{snap}.log", "wb") as log:  # it warns once per skipped directory marker
                if subprocess.run([benchlib.OM, "import", f"s3://{BUCKET}/{snap}", "--snapshot", snap], env=self.env,
                                  stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                    die(f"import of {snap} failed (see {w}/import-{snap}.log)")
            self.import_seconds[snap] = round(time.monotonic() - t, 2)
        self.pll = benchlib.build_passthrough_ll(f"{w}/pll")

    # ------------------------------------------------------------------ one fresh file system
    def open_fs(self, system, dataset, variant="direct"):
        """A fresh mount of `dataset` on `system` (OrleansMount: a fresh silo on an empty cache directory; rclone and
        s3fs: a fresh cache directory). Returns (root, pids, close)."""
        self.serial += 1
        w, n = benchlib.WORK, self.serial
        if system.startswith("local"):
            return f"{self.local}/{dataset}", [], lambda: None
        mnt = f"{w}/mnt-{system}-{n}"
        if system not in ("orleansmount", WARMED, TIERED):
            os.makedirs(mnt)
        endpoint = self.endpoints[variant]
        if system == "passthrough_ll":
            p = self.procs.start(f"pll-{n}", [self.pll, "-f", "-o", f"source={self.local},cache=always,max_threads=16", mnt])
            return self._fuse(mnt, p, f"{mnt}/{dataset}")
        if system == "rclone":
            p = self.procs.start(f"rclone-{n}", ["rclone", "mount", f"obj:{BUCKET}/{dataset}", mnt, "--vfs-cache-mode", "full",
                                                 "--cache-dir", f"{w}/rclone-cache-{n}", "--read-only"],
                                 env=benchlib.rclone_env(self.env, endpoint))
            return self._fuse(mnt, p, mnt)
        if system == "s3fs":
            os.makedirs(f"{w}/s3fs-cache-{n}")
            p = self.procs.start(f"s3fs-{n}", ["s3fs", f"{BUCKET}:/{dataset}", mnt, "-f", "-o",
                                               f"url={endpoint},use_path_request_style,passwd_file={w}/s3fs.passwd,"
                                               f"use_cache={w}/s3fs-cache-{n},ro,max_stat_cache_size=250000"])
            return self._fuse(mnt, p, mnt)
        self.env["AWS_ENDPOINT_URL"] = endpoint  # the silo reads the object store there
        # As deployed (the systemd unit and the container entrypoint, decision 0025): tiered compilation off
        # (benchlib.SILO_AS_DEPLOYED); TIERED keeps the runtime's default, which the tests and a silo started by hand use.
        if system == TIERED:
            self.env["DOTNET_TieredCompilation"] = "1"
        try:
            silo = self.start_silo(f"om-{n}", BUCKET, "16GiB", f"solo-{n}")
        finally:
            self.env["AWS_ENDPOINT_URL"] = self.endpoints["direct"]
            self.env.pop("DOTNET_TieredCompilation", None)
        if system == WARMED:
            # The silo process warm (its read path run and compiled by the JIT), its cache still without a byte of
            # `dataset`: every file of another snapshot read through a mount first, that mount gone.
            warm = self.mount(silo, "warmup")
            read_all(warm, self.warmup_names, threads=SMALL_READERS)
            Procs.umount(warm)
            time.sleep(2)  # the JIT's background tier-up of what the warm-up ran
        root = self.mount(silo, dataset)
        pids = [silo["proc"].pid, self.mount_pid(root)]

        def close():
            self.stop_node(silo, root)
            wait_until("the mount process to exit", lambda: not os.path.exists(f"/proc/{pids[1]}"))
            benchlib.discard(f"{w}/cache-om-{n}")
        return root, pids, close

    def _fuse(self, mnt, p, root):
        wait_until(f"{mnt} to mount", lambda: os.path.ismount(mnt) or p.poll() is not None)
        if p.poll() is not None:
            die(f"{mnt}: the file system exited (exit {p.returncode}); see its log in {benchlib.WORK}")
        self.procs.mounted(mnt)

        def close():
            if subprocess.run(["fusermount3", "-u", mnt], capture_output=True).returncode != 0:
                subprocess.run(["fusermount3", "-u", "-z", mnt], capture_output=True)
            Procs.stop(p)
            for cache in ("rclone-cache", "s3fs-cache"):
                benchlib.discard(f"{benchlib.WORK}/{cache}-{mnt.rsplit('-', 1)[1]}")
        return root, [p.pid], close

    # ------------------------------------------------------------------ figures
    def meta(self):
        recs, rss = [], []
        variants = [("direct", self.reps), ("proxy", 1)]
        for variant, reps in variants:
            # local_subtree: local disk walking passthrough_ll's subtree, the base of passthrough_ll's ratios
            # local_leaf: local disk walking the proxy figures' leaf directory, their local-disk column
            subtree = ("local_subtree",) if self.pll_files < self.n_meta else ()
            subtree += ("local_leaf",) if variant == "direct" else ()
            for system in ("local", *subtree, *SYSTEMS[1:]) if variant == "direct" else REMOTE:
                for rep in range(1, reps + 1):
                    for walk, cmd in WALKS.items():
                        root, pids, close = self.open_fs(system, "meta", variant)
                        try:
                            sub = system in ("passthrough_ll", "local_subtree")
                            leaf = variant == "proxy" or system == "local_leaf"
                            path = f"{root}/{self.pll_subtree}" if sub else f"{root}/{PROXY_SUBTREE}" if leaf else root
                            files = self.pll_files if sub else self.proxy_files if leaf else self.n_meta
                            rss0 = sum(vm_rss(p) for p in pids)
                            before = self.slow_counters()
                            drop_caches()
                            for phase in ("cold", "warm"):
                                t = time.monotonic()
                                out = subprocess.run(cmd(path), capture_output=True, text=True, check=True).stdout
                                secs = time.monotonic() - t
                                if walk == "find" and int(out) != files:
                                    die(f"find over {path} ({system}) saw {out.strip()} files, expected {files}")
                                rec = {"walk": walk, "system": system, "variant": variant, "phase": phase, "rep": rep,
                                       "files": files, "seconds": secs}
                                if variant == "proxy":
                                    after = self.slow_counters()
                                    rec["requests"] = after["requests"] - before["requests"]
                                    before = after
                                recs.append(rec)
                                say(f"  meta {variant:<6} {system:<14} {walk:<9} {phase} rep {rep}: {secs:7.2f} s"
                                    + (f", {rec['requests']:,} requests" if "requests" in rec else ""))
                            if walk == "find" and variant == "direct" and pids:
                                b = sum(vm_rss(p) for p in pids)
                                rss.append({"system": system, "rep": rep, "files": files, "rss_bytes": b, "rss_before_bytes": rss0})
                                say(f"  rss {system}: {b / MiB:.1f} MiB after find over {files:,} files")
                        finally:
                            close()
        return {"files": self.n_meta, "dirs": self.meta_dirs, "pll_files": self.pll_files, "pll_subtree": self.pll_subtree,
                "proxy_subtree": PROXY_SUBTREE, "proxy_files": self.proxy_files,
                "records": recs, "rss": rss}

    def small(self):
        keys = sorted(self.small_digests)
        names = [k[len("small/"):] for k in keys]
        check = names[:: max(1, len(names) // 20)]
        recs = []
        # Round by round (the ceiling, then every system), so load from other work on the machine falls on all of them
        # alike. Behind the proxy as many rounds as direct, except in the full run (rclone and s3fs take minutes there).
        for variant, reps in (("direct", self.reps), ("proxy", 1 if self.mode == "full" else self.reps)):
            for rep in range(1, reps + 1):
                recs.append(self.get_ceiling(variant, rep, keys))
                for system in (*SYSTEMS, *OM_VARIANTS) if variant == "direct" else (*REMOTE, *OM_VARIANTS):
                    root, _, close = self.open_fs(system, "small", variant)
                    try:
                        before = self.slow_counters()
                        phases = ("cold", "warm", "warm_dropped") if variant == "direct" else ("cold",)
                        for phase in phases:
                            if phase != "warm":
                                drop_caches()
                            total, secs = read_all(root, names, threads=SMALL_READERS)
                            rec = {"system": system, "variant": variant, "phase": phase, "rep": rep, "bytes": total, "seconds": secs}
                            if variant == "proxy":
                                rec["requests"] = self.slow_counters()["requests"] - before["requests"]
                            recs.append(rec)
                            say(f"  small {variant:<6} {system:<14} {phase:<12} rep {rep}: {total / secs / 1e6:8.1f} MB/s")
                        if rep == reps:  # untimed: a sample of files byte for byte
                            read_all(root, check, {n: self.small_digests["small/" + n] for n in check})
                    finally:
                        close()
        return {"files": self.n_small, "file_bytes": 128 * 1024, "readers": SMALL_READERS, "records": recs}

    def get_bench(self, variant, options, keys, expected_bytes):
        """GetBench (a plain AWSSDK.S3 client) GETting keys whole from the variant's endpoint, the page cache dropped
        first as before every cold read; its JSON result, checked to have read expected_bytes."""
        drop_caches()
        env = {**self.env, "AWS_ENDPOINT_URL": self.endpoints[variant]}
        out = subprocess.run([benchlib.GETBENCH, *options, BUCKET, *keys], env=env, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        if r["bytes"] != expected_bytes:
            die(f"GetBench read {r['bytes']} bytes of {len(keys)} objects ({keys[0]}, ...), expected {expected_bytes}")
        return r

    def get_ceiling(self, variant, rep, keys):
        """The ceiling of a cold small-file read (issue 21): a plain SDK client (GetBench) GETting the same objects from
        the same endpoint with as many requests in flight as the file systems have readers, s3rver's page cache dropped
        first as before every cold pass."""
        before = self.slow_counters()
        r = self.get_bench(variant, ["--parallel", str(SMALL_READERS)], keys, len(keys) * 128 * 1024)
        rec = {"system": CEILING, "variant": variant, "phase": "cold", "rep": rep, "bytes": r["bytes"], "seconds": r["seconds"]}
        if variant == "proxy":
            rec["requests"] = self.slow_counters()["requests"] - before["requests"]
        say(f"  small {variant:<6} {CEILING:<14} cold         rep {rep}: {r['bytes'] / r['seconds'] / 1e6:8.1f} MB/s")
        return rec

    def one_get(self, variant, rep):
        """The cold sequential baseline (issue 21): one GetObject of the whole large file by a plain SDK client
        (GetBench) from the same endpoint, its page cache dropped first as before every cold read."""
        r = self.get_bench(variant, [], ["large/big"], self.large_mib * MiB)
        say(f"  large {variant:<6} {ONE_GET:<14} seq      cold         rep {rep}: {r['bytes'] / r['seconds'] / 1e6:8.1f} MB/s")
        return {"test": "seq", "system": ONE_GET, "variant": variant, "phase": "cold", "rep": rep, "bytes": r["bytes"],
                "seconds": r["seconds"], "bw_bytes": r["bytes"] / r["seconds"]}

    def fio(self, path, rw, bs, jobs=1, seconds=None):
        args = ["fio", f"--name={rw}", f"--filename={path}", "--readonly", f"--rw={rw}", f"--bs={bs}", "--ioengine=psync",
                "--invalidate=0", f"--numjobs={jobs}", "--group_reporting", "--output-format=json"]
        if seconds:
            args += ["--time_based", f"--runtime={seconds}"]
        r = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)["jobs"][0]["read"]
        return {"bytes": r["io_bytes"], "bw_bytes": r["bw_bytes"], "iops": r["iops"], "seconds": r["runtime"] / 1000}

    def large(self):
        recs = []
        variants = [("direct", self.reps)] + ([("proxy", 1)] if self.mode == "full" else [])
        # Round by round (one SDK GET, then every system), as the small files, so that load from other work and the
        # machine's drift fall on all alike.
        for variant, reps in variants:
            for rep in range(1, reps + 1):
                for system in (ONE_GET, *(SYSTEMS if variant == "direct" else REMOTE)):
                    if system == ONE_GET:
                        recs.append(self.one_get(variant, rep))
                        continue
                    root, _, close = self.open_fs(system, "large", variant)
                    path = f"{root}/big"
                    try:
                        steps = [("seq", "cold", True)]
                        if variant == "direct":
                            steps += [("seq", "warm", False), ("seq", "warm_dropped", True),
                                      ("randread", "warm", False), ("randread", "warm_dropped", True)]
                        for test, phase, drop in steps:
                            if drop:
                                drop_caches()
                            if test == "seq":
                                r = self.fio(path, "read", "1M")
                            else:
                                r = self.fio(path, "randread", "4k", jobs=4, seconds=self.rand_secs)
                            if test == "seq" and r["bytes"] != self.large_mib * MiB:
                                die(f"fio read {r['bytes']} B of {path} ({system}), expected {self.large_mib * MiB}")
                            recs.append({"test": test, "system": system, "variant": variant, "phase": phase, "rep": rep, **r})
                            say(f"  large {variant:<6} {system:<14} {test:<8} {phase:<12} rep {rep}: {r['bw_bytes'] / 1e6:8.1f} MB/s"
                                + (f", {r['iops']:,.0f} IOPS" if test == "randread" else ""))
                        if rep == reps and system in REMOTE:  # untimed: the bytes are the dataset's
                            if subprocess.run(["cmp", "-s", path, f"{self.local}/large/big"]).returncode != 0:
                                die(f"BUG: bytes of {path} ({system}) differ from the dataset")
                    finally:
                        close()
        return {"file_bytes": self.large_mib * MiB, "rand_seconds": self.rand_secs, "records": recs}

    def cluster(self):
        """cluster-bench.py's method (figure 2) on the small-files dataset, with s3fs as well: 3 nodes of each system each
        read every file in their own shuffled order, two epochs, GETs and bytes counted by the zero-latency proxy."""
        keys = [k[len("small/"):] for k in sorted(self.small_digests)][: self.n_cluster]
        digests = {k: self.small_digests["small/" + k] for k in keys}
        dataset = len(keys) * 128 * 1024
        counters = self.store_counters
        out = {"files": len(keys), "dataset_bytes": dataset, "systems": {}}
        say(f"cluster: 3 nodes of each system, each reading all {len(keys):,} files ({dataset / MiB:.0f} MiB), 2 epochs")
        self.env["AWS_ENDPOINT_URL"] = self.endpoints["counting"]
        try:
            silos = [self.start_silo(f"node-{i}", BUCKET, "16GiB", "epochs") for i in (1, 2, 3)]
            self.wait_members(silos)
            mounts = [self.mount(s, "small") for s in silos]
            out["systems"]["orleansmount"] = benchlib.run_epochs(counters, "OrleansMount", mounts, keys, digests, dataset,
                                                                 [s["api"] for s in silos])
            for s, m in zip(silos, mounts):
                self.stop_node(s, m)
        finally:
            self.env["AWS_ENDPOINT_URL"] = self.endpoints["direct"]
        for system in PEERS:
            opened = [self.open_fs(system, "small", "counting") for _ in range(3)]
            try:
                out["systems"][system] = benchlib.run_epochs(counters, system, [o[0] for o in opened], keys, digests, dataset)
            finally:
                for o in opened:
                    o[2]()
        return out


# ---------------------------------------------------------------------- report
WALK_NAMES = {"find": "`find -type f \\| wc -l`", "ls_lR": "`ls -lR`", "glob_stat": "`glob('**/*')` + `os.stat`"}


def versions():
    def sh(c):
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    return {"s3fs": sh("s3fs --version 2>&1 | head -1"), "fio": sh("fio --version"), "libfuse": sh("pkg-config --modversion fuse3"),
            "hyperfine": sh("hyperfine --version"), "node": sh("node --version"),
            "s3rver": sh(f"node -p \"require('{ROOT}/.tools/s3rver/node_modules/s3rver/package.json').version\"")}


def med(records, **match):
    v = [r for r in records if all(r.get(k) == x for k, x in match.items())]
    return v


def fig(records, value, **match):
    """{system: summ(values)} over records matching, value(record) -> number."""
    out = {}
    for s in SYSTEMS:
        v = [value(r) for r in med(records, system=s, **match)]
        if v:
            out[s] = summ(v)
    return out


def ratios(f, higher_better):
    """{system: (× local disk, × best peer)} as speed ratios (>1 faster), from medians."""
    def speed(s):
        m = f[s]["median"]
        return m if higher_better else (1 / m if m else float("inf"))
    peers = [speed(p) for p in PEERS if p in f]
    best = max(peers) if peers else None
    loc = speed("local") if "local" in f else None
    return {s: (speed(s) / loc if loc else None, speed(s) / best if best else None) for s in f}, best


def fmt(v, unit):
    if unit == "s":
        return f"{v:.3f}" if v < 10 else f"{v:.1f}"
    return f"{v:,.0f}" if v >= 10 else f"{v:.2f}"


def x(r):
    if r is None:
        return "–"
    return f"{r:.2f}×" if r >= 0.01 else f"{r:.4f}×"


def scenarios(raw):
    """Every figure: (key, title, unit, higher_better, {system: summ}, {system: (× local, × best peer)})."""
    out = []
    m, s, l = raw.get("meta"), raw.get("small"), raw.get("large")
    if m:
        for walk in WALKS:
            name = WALK_NAMES[walk]
            for phase in ("cold", "warm"):
                out.append((f"meta_{walk}_{phase}", f"{name}, {m['files']:,} files, {phase}", "s", False,
                            fig(m["records"], lambda r: r["seconds"], walk=walk, variant="direct", phase=phase)))
            f = fig(m["records"], lambda r: r["seconds"], walk=walk, variant="proxy", phase="cold")
            base = [r["seconds"] for r in med(m["records"], system="local_leaf", walk=walk, phase="cold")]
            if base:  # local disk reads no object store: its own walk of the same directory
                f = {"local": summ(base), **f}
            out.append((f"meta_{walk}_proxy", f"{name}, {m.get('proxy_files', m['files']):,} files, cold, 20 ms proxy", "s", False, f))
    if s:
        for phase in ("cold", "warm", "warm_dropped"):
            out.append((f"small_{phase}", f"{s['files']:,} × 128 KiB, {phase.replace('_', ', page cache ')}", "MB/s", True,
                        fig(s["records"], lambda r: r["bytes"] / r["seconds"] / 1e6, variant="direct", phase=phase)))
        f = fig(s["records"], lambda r: r["bytes"] / r["seconds"] / 1e6, variant="proxy", phase="cold")
        local = fig(s["records"], lambda r: r["bytes"] / r["seconds"] / 1e6, variant="direct", phase="cold").get("local")
        out.append(("small_proxy", f"{s['files']:,} × 128 KiB, cold, 20 ms proxy", "MB/s", True, {"local": local, **f} if local else f))
    if l:
        for phase in ("cold", "warm", "warm_dropped"):
            out.append((f"seq_{phase}", f"sequential 1 MiB, {phase.replace('_', ', page cache ')}", "MB/s", True,
                        fig(l["records"], lambda r: r["bw_bytes"] / 1e6, test="seq", variant="direct", phase=phase)))
        if med(l["records"], variant="proxy"):
            f = fig(l["records"], lambda r: r["bw_bytes"] / 1e6, test="seq", variant="proxy", phase="cold")
            local = fig(l["records"], lambda r: r["bw_bytes"] / 1e6, test="seq", variant="direct", phase="cold").get("local")
            out.append(("seq_proxy", "sequential 1 MiB, cold, 20 ms proxy", "MB/s", True, {"local": local, **f} if local else f))
        for phase in ("warm", "warm_dropped"):
            out.append((f"rand_{phase}", f"random 4 KiB, 4 jobs, {phase.replace('_', ', page cache ')}", "IOPS", True,
                        fig(l["records"], lambda r: r["iops"], test="randread", variant="direct", phase=phase)))
    result = []
    for key, title, unit, hb, f in out:
        if not f:
            continue
        rs, _ = ratios(f, hb)
        if key.startswith("meta_") and "passthrough_ll" in rs:  # its walk covers the subtree: against local disk's walk of it
            base_fs = "local_subtree" if m["pll_files"] < m["files"] else "local"
            base = [r["seconds"] for r in m["records"] if r["system"] == base_fs and r["walk"] == key.split("_", 1)[1].rsplit("_", 1)[0]
                    and r["phase"] == key.rsplit("_", 1)[1] and r["variant"] == "direct"]
            rs["passthrough_ll"] = (statistics.median(base) / f["passthrough_ll"]["median"] if base else None, None)
        result.append((key, title, unit, hb, f, rs))
    return result


HEADLINE = ("meta_find_cold", "meta_ls_lR_cold", "meta_ls_lR_proxy", "meta_glob_stat_cold", "meta_ls_lR_warm", "small_cold", "small_proxy",
            "small_warm_dropped", "seq_cold", "seq_warm_dropped", "rand_warm_dropped")


def svg(raw, path):
    """Grouped horizontal bars: each system's speed ÷ local disk (log scale) per headline scenario."""
    rows = [sc for sc in scenarios(raw) if sc[0] in HEADLINE]
    colors = {"passthrough_ll": "#8c8c8c", "orleansmount": "#1f77b4", "rclone": "#ff7f0e", "s3fs": "#2ca02c"}
    systems = [s for s in SYSTEMS if s != "local"]
    lo, hi = -3, 1  # decades: 0.001× .. 10× (smaller ratios are drawn at 0.001×, their labels say the value)
    left, width, bar, gap = 360, 520, 9, 14
    group = bar * len(systems) + gap
    top = 80
    h = top + group * len(rows) + 60
    W = left + width + 210
    X = lambda r: left + (min(max(math.log10(r), lo), hi) - lo) / (hi - lo) * width  # noqa: E731
    sub = f" (passthrough_ll metadata: its {raw['meta']['pll_files']:,}-file subtree)" \
        if "meta" in raw and raw["meta"]["pll_files"] < raw["meta"]["files"] else ""
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{h}" fill="white"/>',
         f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Speed relative to local disk '
         f'(log scale, higher is better) — {raw["machine"]["mode"]} run, {raw["machine"]["date"][:10]}</text>',
         f'<text x="{W / 2}" y="40" text-anchor="middle" fill="#555">medians; "OM ÷ best" = OrleansMount\'s speed over the '
         f'better of rclone and s3fs{sub};</text>',
         f'<text x="{W / 2}" y="55" text-anchor="middle" fill="#555">20 ms proxy rows: against local disk reading the same files; '
         'one run, loopback s3rver, shared 2-core machine</text>']
    for d in range(lo, hi + 1):
        xd = X(10 ** d)
        o.append(f'<line x1="{xd:.1f}" y1="{top - 8}" x2="{xd:.1f}" y2="{h - 45}" stroke="{"#000" if d == 0 else "#ddd"}"/>')
        o.append(f'<text x="{xd:.1f}" y="{h - 30}" text-anchor="middle">{10 ** d:g}×</text>')
    for i, (key, title, unit, hb, f, rs) in enumerate(rows):
        y0 = top + i * group
        label = title.replace("`", "").replace("\\|", "|").replace("&", "&amp;").replace("<", "&lt;")
        o.append(f'<text x="{left - 8}" y="{y0 + group / 2 - 2}" text-anchor="end">{label}</text>')
        for j, s in enumerate(systems):
            if s not in rs or rs[s][0] is None:
                continue
            r = rs[s][0]
            y = y0 + j * bar
            o.append(f'<rect x="{X(10 ** lo):.1f}" y="{y}" width="{X(r) - X(10 ** lo):.1f}" height="{bar - 1}" fill="{colors[s]}"/>')
            o.append(f'<text x="{X(r) + 3:.1f}" y="{y + bar - 1}" font-size="9">{x(r)}</text>')
        if "orleansmount" in rs and rs["orleansmount"][1] is not None:
            o.append(f'<text x="{left + width + 40}" y="{y0 + group / 2 - 2}" font-weight="bold" fill="#1f77b4">'
                     f'OM ÷ best {x(rs["orleansmount"][1])}</text>')
    for j, s in enumerate(systems):
        o.append(f'<rect x="{left + j * 130}" y="{h - 18}" width="12" height="10" fill="{colors[s]}"/>'
                 f'<text x="{left + j * 130 + 16}" y="{h - 9}">{LABEL[s]}</text>')
    o.append("</svg>")
    with open(path, "w") as fh:
        fh.write("\n".join(o) + "\n")


def report(raw, doc):
    m, v = raw["machine"], raw["versions"]
    lines = ["", "## Benchmark suite (issue 7): OrleansMount vs rclone, s3fs, passthrough_ll and local disk", "",
             f"`tests/benchmarks/suite-bench.py{'' if m['mode'] == 'full' else ' --' + m['mode']}` — {m['mode']} run, "
             f"{m['reps']} repetitions of every direct figure (min / **median** / max; ratios are of medians), {m['date']}, "
             f"commit {m['commit']}, {raw['seconds'] / 60:.1f} minutes in all.", "",
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}; .NET {m['dotnet']}, {m['rclone']}, "
             f"{v['s3fs']}, {v['fio']}, libfuse {v['libfuse']}, s3rver {v['s3rver']} on Node {v['node']}. Other work shares the "
             "2 cores (a lead and helpers running test suites): absolute figures are noisy, ratios measured in the same run are the result.", "",
             "### Method", "",
             "- **One run, same bytes.** Datasets are written in s3rver's on-disk layout; local disk is a hard-linked copy of "
             "the same files (the physical limit), and libfuse's C example `passthrough_ll` (built from "
             "`/usr/share/doc/libfuse3-dev/examples`, `-o cache=always,max_threads=16`) serves that copy (the FUSE ceiling). "
             "OrleansMount (one silo + one mount), `rclone mount --vfs-cache-mode full --read-only` and "
             "`s3fs -o use_cache=DIR,ro,max_stat_cache_size=250000` (the stat cache raised above the tree's size, otherwise "
             "defaults) read s3rver on loopback. Every directory has a directory-marker object (`dir/`) so rclone and s3fs, "
             "which list per directory, see the tree (s3rver omits nested common prefixes); OrleansMount's import skips them.",
             "- **Cold** = a fresh mount (OrleansMount: a fresh silo on an empty cache directory, so it also fetches and ingests "
             "the snapshot's range files; rclone and s3fs: a fresh cache directory), then `sync; echo 3 > /proc/sys/vm/drop_caches`. "
             "**Warm** = the same walk or read again at once (kernel page/dentry caches and the system's own caches warm). "
             "**Warm, page cache dropped** = then drop the page cache and read again: the bytes come from each system's "
             "own disk cache (local disk and passthrough_ll: from the disk).",
             f"- **Direct** figures read s3rver itself; **20 ms proxy** figures (cold; one repetition, the small files as many as "
             f"direct outside the full run) go through "
             f"`tests/tools/OrleansMount.LatencyProxy --ttfb-ms {PROXY_TTFB_MS}`, which also counts every request. Loopback s3rver "
             "answers in about a millisecond and hides per-request costs; a real object store takes tens. Coverage: metadata "
             f"(one leaf directory, `meta/{PROXY_SUBTREE}`, {LEAF} files: rclone's walk is {LEAF} HEAD requests one after another) "
             "and small files through the proxy in every mode, the large file in the full run only.",
             (f"- **passthrough_ll metadata** walks one top directory (`meta/{raw['meta']['pll_subtree'] if 'meta' in raw else 't00'}`, "
             f"{raw['meta']['pll_files'] if 'meta' in raw else PLL_SUBTREE:,} files) instead of the whole tree: it holds an O_PATH "
             "descriptor per inode and this container's hard open-file limit (20,000) cannot be raised. Its ratio to local "
             "disk is against local disk walking the same subtree; it has no ratio to the peers (marked ‡)."
             if raw.get("meta", {}).get("pll_files", 0) < raw.get("meta", {}).get("files", 0) else
             f"- **passthrough_ll metadata** walks the whole tree here (it is no larger than {PLL_SUBTREE:,} files; a larger "
             "tree would exceed this container's hard open-file limit of 20,000, since passthrough_ll holds an O_PATH "
             "descriptor per inode): its ratio to the peers is left out all the same (‡)."),
             "- Ratios are speed ratios (> 1 = faster): time figures are inverted. *× local* divides by local disk; "
             "*× best peer* by the better of rclone and s3fs in that figure.", ""]
    sc = scenarios(raw)
    lines += ["### Headline: medians and speed ratios", "",
              "| figure | unit | local disk | passthrough_ll | OrleansMount | rclone | s3fs | OrleansMount × local | OrleansMount × best peer |",
              "|---|---|---|---|---|---|---|---|---|"]
    for key, title, unit, hb, f, rs in sc:
        cell = lambda s: (fmt(f[s]["median"], unit) + (" ‡" if key.startswith("meta_") and s == "passthrough_ll" else "")) if s in f else "–"  # noqa: E731
        om = rs.get("orleansmount", (None, None))
        lines.append(f"| {title} | {unit} | " + " | ".join(cell(s) for s in SYSTEMS) + f" | {x(om[0])} | **{x(om[1])}** |")
    lines += ["", "‡ passthrough_ll's metadata walks: no ratio to the peers"
              + (", and a walk of its subtree only" if raw.get("meta", {}).get("pll_files", 0) < raw.get("meta", {}).get("files", 0) else "")
              + " (see Method).", "",
              "![speed relative to local disk](benchmarks/suite.svg)", "",
              "### Every figure: min / **median** / max, speed × local disk, speed × best peer", "",
              "| figure | system | min / **median** / max | × local | × best peer |", "|---|---|---|---|---|"]
    for key, title, unit, hb, f, rs in sc:
        for i, s in enumerate(s for s in SYSTEMS if s in f):
            q = f[s]
            sub = f" ‡ ({raw['meta']['pll_files']:,} files)" if key.startswith("meta_") and s == "passthrough_ll" else ""
            lines.append(f"| {title + ', ' + unit if i == 0 else ''} | {LABEL[s]}{sub} | {fmt(q['min'], unit)} / "
                         f"**{fmt(q['median'], unit)}** / {fmt(q['max'], unit)} | {x(rs[s][0])} | {x(rs[s][1])} |")
    lines.append("")
    if "meta" in raw or "small" in raw:
        lines += ["### Object-store requests of one cold pass through the 20 ms proxy", "",
                  "| figure | OrleansMount | rclone | s3fs |", "|---|---|---|---|"]
        for part, walks in (("meta", list(WALKS)), ("small", [None])):
            if part not in raw:
                continue
            for walk in walks:
                cells = []
                for s in REMOTE:
                    r = [q["requests"] for q in raw[part]["records"] if q["system"] == s and q["variant"] == "proxy"
                         and q["phase"] == "cold" and q.get("walk") == walk]
                    cells.append(f"{r[0]:,}" if r else "–")
                name = f"{WALK_NAMES[walk]} over {raw['meta'].get('proxy_files', 0):,} files" if walk else f"read {raw['small']['files']:,} files"
                lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    if "meta" in raw and raw["meta"]["rss"]:
        files, pf = raw["meta"]["files"], raw["meta"]["pll_files"]
        lines += [f"### Memory: VmRSS after a full `find` (cold, then warm) over the {files:,}-file tree", "",
                  "Sum over each system's processes (OrleansMount: silo + mount process; the others: their one process), "
                  "right after mount and after the walk. *Per 100,000 files* scales linearly from the files walked (fixed "
                  "costs included" + (f", so with {files:,} files it overstates a system with a large fixed cost" if files < 100_000 else "")
                  + "); *added by the walk* leaves the fixed cost out."
                  + (f" passthrough_ll (‡): after its {pf:,}-file subtree, scaled the same way." if pf < files else ""), "",
                  "| system | after mount, MiB | after the walk, MiB (min / **median** / max) | per 100,000 files, MiB | × best peer "
                  "| added by the walk per 100,000 files, MiB | × best peer |", "|---|---|---|---|---|---|---|"]
        per = {}
        for s in SYSTEMS:
            rr = [r for r in raw["meta"]["rss"] if r["system"] == s]
            if rr:
                per[s] = (statistics.median(r["rss_before_bytes"] / MiB for r in rr), summ([r["rss_bytes"] / MiB for r in rr]),
                          statistics.median(r["rss_bytes"] * 100_000 / r["files"] / MiB for r in rr),
                          statistics.median((r["rss_bytes"] - r["rss_before_bytes"]) * 100_000 / r["files"] / MiB for r in rr))
        best = min((per[p][2] for p in PEERS if p in per), default=None)
        best_added = min((per[p][3] for p in PEERS if p in per), default=None)
        for s, (b0, q, p100, a100) in per.items():
            lines.append(f"| {LABEL[s]}{' ‡' if s == 'passthrough_ll' and pf < files else ''} | {b0:.1f} | {q['min']:.1f} / "
                         f"**{q['median']:.1f}** / {q['max']:.1f} | {p100:,.1f} | {x(p100 / best) if best else '–'} | {a100:,.1f} "
                         f"| {x(a100 / best_added) if best_added else '–'} |")
        lines += ["", "Here × best peer is memory over the peer using least (lower is better).", ""]
    if "cluster" in raw:
        c = raw["cluster"]
        ds = c["dataset_bytes"]
        lines += [f"### Cluster: object-store requests and bytes per epoch, 3 nodes each reading all {c['files']:,} files "
                  f"({ds / MiB:.0f} MiB)", "",
                  "cluster-bench.py's method on the small-files dataset: 3 nodes of each system (OrleansMount: 3 silos in one "
                  "cluster + 3 mounts; rclone and s3fs: 3 independent mounts) read every file in their own shuffled order, "
                  "all at once, twice. GETs and bytes counted by a zero-latency counting proxy in front of s3rver.", "",
                  "| system | epoch 1 GETs | epoch 1 bytes (× dataset) | epoch 2 GETs | epoch 2 bytes (× dataset) | epoch 1 seconds |",
                  "|---|---|---|---|---|---|"]
        for s, ep in c["systems"].items():
            lines.append(f"| 3 × {LABEL[s]} | {ep[0]['store_gets']:,} | {ep[0]['store_bytes']:,} ({ep[0]['store_bytes'] / ds:.2f}×) "
                         f"| {ep[1]['store_gets']:,} | {ep[1]['store_bytes']:,} ({ep[1]['store_bytes'] / ds:.2f}×) | {ep[0]['seconds']:.1f} |")
        lines.append("")
    lines += [f"Setup: seeding took {raw['seed_seconds']:.0f} s; imports {', '.join(f'{k} {s:.1f} s' for k, s in raw['import_seconds'].items())}. "
              "Raw figures: [docs/benchmarks/suite.json](benchmarks/suite.json); chart: "
              "[docs/benchmarks/suite.svg](benchmarks/suite.svg).", ""]
    benchlib.write_section(doc, BEGIN, END, lines)


CEILING_BEGIN, CEILING_END = "<!-- suite-ceiling:begin -->", "<!-- suite-ceiling:end -->"


def cold_figures(records, systems, variant, value, **match):
    """{system: summ(value(record))} over the cold records of `variant` (and `match`), for the systems that have some."""
    return {system: summ(v) for system in systems
            if (v := [value(r) for r in med(records, system=system, variant=variant, phase="cold", **match)])}


def median_cell(q):
    return f"{q['median']:,.1f}" + (f" ({q['min']:,.1f}–{q['max']:,.1f})" if q["n"] > 1 else "")


def best_peer(f):
    """The peer with the highest median in f, or None."""
    return max((p for p in PEERS if p in f), key=lambda p: f[p]["median"], default=None)


def ceiling_report(raw, doc, raw_name):
    """Issue 21's cold small-file targets against the parallel-GET ceiling and the best peer, each PASS or MISS, from the
    small-files records of one run (its own section, so a run of the small files alone can publish it)."""
    s, m = raw["small"], raw["machine"]
    readers = s.get("readers", SMALL_READERS)
    mbps = lambda r: r["bytes"] / r["seconds"] / 1e6  # noqa: E731
    lines = ["", "## Cold small files against the parallel-GET ceiling (issue 21)", "",
             f"`tests/benchmarks/suite-bench.py{'' if m['mode'] == 'full' else ' --' + m['mode']}"
             f"{'' if raw_name == 'suite' else ' --only small'}` — {m['mode']} run, {m['date']}, commit {m['commit']}: "
             f"{s['files']:,} × 128 KiB read cold by {readers} reader threads (the suite's small-files figure). The **ceiling** is "
             f"`tests/benchmarks/GetBench --parallel {readers}`: a plain AWSSDK.S3 client GETting the same objects whole, "
             f"{readers} requests in flight, from the same endpoint (s3rver directly, or the 20 ms latency proxy), its page "
             "cache dropped first as before every cold pass, and run in rounds (the ceiling, then each system) so that load from other "
             "work falls on all alike. Figures are medians of the rounds (min–max in brackets); ratios are of medians, "
             "measured in the same run.", "",
             f"| figure | ceiling, MB/s | OrleansMount, MB/s | best peer, MB/s | OrleansMount × ceiling (target ≥ {CEILING_TARGET}×) "
             f"| OrleansMount × best peer (target ≥ {PEER_TARGET}×) |", "|---|---|---|---|---|---|"]
    for variant, title in (("direct", "s3rver directly"), ("proxy", f"behind the {PROXY_TTFB_MS} ms proxy")):
        f = cold_figures(s["records"], (CEILING, *REMOTE, *OM_VARIANTS), variant, mbps)
        if CEILING not in f or "orleansmount" not in f:
            continue
        best = best_peer(f)
        verdict = lambda r, t: "–" if r is None else f"**{r:.2f}×** {'PASS' if r >= t else 'MISS'}"  # noqa: E731
        for om, what in (("orleansmount", "fresh silo (the target)"), (WARMED, "silo warmed"),
                         (TIERED, "fresh silo, tiered compilation on")):
            if om not in f:
                continue
            r_ceiling = f[om]["median"] / f[CEILING]["median"]
            r_peer = f[om]["median"] / f[best]["median"] if best else None
            lines.append(f"| {s['files']:,} × 128 KiB cold, {title}; OrleansMount: {what} | {median_cell(f[CEILING])} | {median_cell(f[om])} | "
                         f"{median_cell(f[best]) + ' (' + LABEL[best] + ')' if best else '–'} | {verdict(r_ceiling, CEILING_TARGET)} | "
                         f"{verdict(r_peer, PEER_TARGET)} |")
    lines += ["", "*Fresh silo*: the suite's cold figure (a silo started on an empty cache for the pass, as for every cold figure). "
              f"*Silo warmed*: the same with a silo that first served {WARMUP_FILES} files of another snapshot through a mount "
              "(its read path run and compiled by the JIT), its cache still empty of these files: what a silo that has been "
              "running costs per file. The issue's targets are judged on the fresh silo. Silos run as deployed, with "
              "`DOTNET_TieredCompilation=0` (decision 0025); *tiered compilation on* is a fresh silo on the runtime's "
              "default, as before that decision."]
    proxy_req = {r["system"]: r["requests"] for r in s["records"] if r["variant"] == "proxy" and "requests" in r and r["rep"] == 1}
    if proxy_req:
        lines += ["", "Object-store requests of one cold pass behind the proxy: " + ", ".join(
            f"{LABEL[k]} {v:,}" for k, v in proxy_req.items()) + " (the ceiling's include one HEAD that warms its client)."]
    lines += ["", f"Raw figures: [docs/benchmarks/{raw_name}.json](benchmarks/{raw_name}.json).", ""]
    benchlib.write_section(doc, CEILING_BEGIN, CEILING_END, lines)


def main():
    benchlib.configure("suite-bench", os.environ.get("SBENCH_WORK", "/tmp/orleansmount-suite-bench"))
    args = benchlib.parse_args(__doc__, report_and_chart, reps=None, tiny=(False, None),
                               only=(["meta", "small", "large", "cluster"], lambda v: v.split(",")))
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    reps, write_doc, parts = args.reps, args.write_doc, args.only
    reps = reps or SIZES[mode][3]
    benchlib.check_tools("rclone", "s3fs", "fio", "gcc", "pkg-config", "fusermount3")
    if "small" in parts or "large" in parts:  # the small files' ceiling and the large file's one-GET baseline
        subprocess.run(["dotnet", "build", f"{benchlib.GETBENCH_DIR}/GetBench.csproj", "-c", "Release", "-nologo", "-clp:ErrorsOnly",
                        "-v:quiet"], check=True, stdout=subprocess.DEVNULL)
    benchlib.fresh_work()
    t0 = time.monotonic()
    suite = Suite(mode, reps)
    raw = {"machine": benchlib.machine(mode != "full", reps), "versions": versions()}
    raw["machine"]["mode"] = mode
    try:
        suite.start_store()
        suite.seed()
        raw.update(seed_seconds=suite.seed_seconds, import_seconds=suite.import_seconds)
        for part in parts:
            say(f"{part}: {mode} sizes")
            raw[part] = getattr(suite, part)()
    finally:
        suite.close_all()
    shutil.rmtree(benchlib.WORK, ignore_errors=True)  # kept (with the logs) when the run failed
    raw["seconds"] = time.monotonic() - t0
    if mode == "tiny":  # development runs leave docs/ alone: the raw figures stay in the (emptied) work directory
        os.makedirs(benchlib.WORK, exist_ok=True)
        with open(f"{benchlib.WORK}/suite-tiny.json", "w") as f:
            json.dump(raw, f, indent=1)
        say(f"done in {raw['seconds'] / 60:.1f} min: {benchlib.WORK}/suite-tiny.json")
        return
    say(f"measured in {raw['seconds'] / 60:.1f} min")
    raw["parts"] = parts
    benchlib.save(raw, raw_name(raw), report_and_chart, write_doc)


def raw_name(raw):
    """suite for a run of every part; suite-PART-... for a run of some (which publishes only the ceiling section)."""
    parts = raw.get("parts", ["meta", "small", "large", "cluster"])
    return "suite" if set(parts) >= {"meta", "small", "large", "cluster"} else "suite-" + "-".join(parts)


SEQ_BEGIN, SEQ_END = "<!-- suite-one-get:begin -->", "<!-- suite-one-get:end -->"


def one_get_report(raw, doc, raw_name):
    """Issue 21's cold sequential targets against one SDK GET of the same file, each PASS or MISS, from the large file's
    records of one run (its own section, so a run of the large file alone can publish it)."""
    lg, m = raw["large"], raw["machine"]
    lines = ["", "## Cold sequential read against one SDK GET (issue 21)", "",
             f"`tests/benchmarks/suite-bench.py{'' if m['mode'] == 'full' else ' --' + m['mode']}"
             f"{'' if raw_name == 'suite' else ' --only large'}` — {m['mode']} run, {m['date']}, commit {m['commit']}: one "
             f"{lg['file_bytes'] // MiB:,} MiB file read cold from start to end (the suite's sequential figure: fio, 1 MiB reads, "
             "a fresh mount, page cache dropped). The **baseline** is `tests/benchmarks/GetBench`: a plain AWSSDK.S3 client "
             "doing one GetObject of the whole file from the same endpoint (s3rver directly, or the 20 ms latency proxy), "
             "its page cache dropped first, measured in the same rounds (the GET, then each system). Figures are medians (min–max in brackets); ratios are "
             "of medians.", "",
             "| figure | one SDK GET, MB/s | OrleansMount, MB/s | best peer, MB/s | OrleansMount × one GET | target | verdict |",
             "|---|---|---|---|---|---|---|"]
    for variant, title, target in (("direct", "s3rver directly", ONE_GET_TARGET),
                                   ("proxy", f"behind the {PROXY_TTFB_MS} ms proxy (with readahead)", ONE_GET_PROXY_TARGET)):
        f = cold_figures(lg["records"], (ONE_GET, *REMOTE), variant, lambda r: r["bw_bytes"] / 1e6, test="seq")
        if ONE_GET not in f or "orleansmount" not in f:
            continue
        best = best_peer(f)
        r = f["orleansmount"]["median"] / f[ONE_GET]["median"]
        lines.append(f"| {lg['file_bytes'] // MiB:,} MiB cold, {title} | {median_cell(f[ONE_GET])} | {median_cell(f['orleansmount'])} | "
                     f"{median_cell(f[best]) + ' (' + LABEL[best] + ')' if best else '–'} | **{r:.2f}×** | ≥ {target}× | "
                     f"{'PASS' if r >= target else 'MISS'} |")
    lines += ["", f"Raw figures: [docs/benchmarks/{raw_name}.json](benchmarks/{raw_name}.json).", ""]
    benchlib.write_section(doc, SEQ_BEGIN, SEQ_END, lines)


def report_and_chart(raw, doc):
    name = raw_name(raw)
    if name == "suite":
        report(raw, doc)
        svg(raw, f"{ROOT}/docs/benchmarks/suite.svg")
    if any(r["system"] == CEILING for r in raw.get("small", {}).get("records", [])):
        ceiling_report(raw, doc, name)
    if any(r["system"] == ONE_GET for r in raw.get("large", {}).get("records", [])):
        one_get_report(raw, doc, name)


if __name__ == "__main__":
    main()
