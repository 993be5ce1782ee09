"""Shared harness of the Python benchmarks under tests/benchmarks/ (cluster-bench.py, prefetch-bench.py):
services on loopback (s3rver behind the latency/counting proxy, redis-server), silos and mounts, dataset
seeding in s3rver's on-disk layout, timed parallel reads, summaries and docs/benchmarks.md sections.
Every process and mount is stopped by pid / unmounted in reverse order whatever happens (Procs.close)."""
import atexit, hashlib, json, os, platform, random, shutil, signal, socket, statistics, subprocess, sys, time, types, urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OM, SILO = f"{ROOT}/bin/orleansmount", f"{ROOT}/bin/orleansmount-silo"
S3RVER = f"{ROOT}/.tools/s3rver/node_modules/.bin/s3rver"
PROXY = f"{ROOT}/tests/tools/OrleansMount.LatencyProxy/bin/Release/net10.0/orleansmount-latency-proxy"
WORK = "/tmp/orleansmount-bench"  # set by configure()
NAME = "bench"
MiB = 1 << 20
GETBENCH_DIR = f"{ROOT}/tests/benchmarks/GetBench"
GETBENCH = f"{GETBENCH_DIR}/bin/Release/net10.0/GetBench"
# Silos run as the systemd unit and the container entrypoint start them: tiered compilation off (decision 0025). A
# benchmark that wants the runtime's default sets DOTNET_TieredCompilation=1 in its env.
SILO_AS_DEPLOYED = {"DOTNET_TieredCompilation": "0"}


def say(msg): print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg): raise SystemExit(f"{NAME}: {msg}")




def parse_args(doc, render, reps, **options):
    """The command line every benchmark here takes: --quick, --reps N, --no-doc (figures to WORK only, see save),
    --report RAW.json (renders docs/benchmarks.md again from saved raw figures through render(raw, doc), then exits),
    -h/--help (prints doc), and the script's own options, each as name=(default, convert): `--block-sizes X` sets
    block_sizes to convert("X"); a convert of None makes a flag (True when given). Returns quick, reps, write_doc
    and one attribute per option."""
    args = types.SimpleNamespace(quick=False, reps=reps, write_doc=True, **{k: d for k, (d, _) in options.items()})
    argv = list(sys.argv[1:])

    def value(option):
        if not argv:
            die(f"{option} needs a value (try --help)")
        return argv.pop(0)

    while argv:
        a = argv.pop(0)
        key = a[2:].replace("-", "_") if a.startswith("--") else None
        if a == "--quick": args.quick = True
        elif a == "--reps": args.reps = int(value(a))
        elif a == "--no-doc": args.write_doc = False
        elif a == "--report":
            render(json.load(open(value(a))), f"{ROOT}/docs/benchmarks.md"); sys.exit(0)
        elif a in ("-h", "--help"):
            print(doc); sys.exit(0)
        elif key in options:
            convert = options[key][1]
            setattr(args, key, True if convert is None else convert(value(a)))
        else: die(f"unknown option '{a}' (try --help)")
    return args


def configure(name, work):
    """Names the running benchmark (for messages) and its scratch directory; call before anything else."""
    global NAME, WORK
    NAME, WORK = name, work


def fresh_work():
    """Unmounts what an earlier run left under WORK and starts from an empty WORK/s3 (the earlier WORK is discarded)."""
    for m in os.listdir(WORK) if os.path.isdir(WORK) else []:
        Procs.umount(os.path.join(WORK, m))
    discard(WORK)
    os.makedirs(f"{WORK}/s3")


_trash_dirs = set()  # emptied when the process exits (_empty_trash)


def discard(path):
    """Removes the tree at path from the run without freeing its inodes until the run ends.

    The machine's root file system is ext4 without a journal, where creating a file skips every free inode of its
    group that was freed in the last minute (five, while its inode-table block is unwritten), reading the cache for
    each (`recently_deleted`, kernel: fs/ext4/ialloc.c). A cold pass that writes 2,000 chunk or cache files right after
    the run deleted the pass before paid 0.3-0.7 ms of kernel CPU per file for it (0.07 ms otherwise; measured
    2026-12-07): a cost of the harness's own clean-up, charged to whichever file system wrote files next and not to
    the plain client. So: every file's blocks are freed now (truncated, so no disk space is held), the emptied tree
    is moved to WORK.trash, and the trash is deleted when the process exits, then the page cache dropped."""
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        for top, _, files in os.walk(path):
            for f in files:
                file = os.path.join(top, f)
                try:
                    if not os.path.islink(file) and os.path.isfile(file):
                        os.truncate(file, 0)
                except OSError:
                    pass
    trash = f"{WORK.rstrip('/')}.trash"
    os.makedirs(trash, exist_ok=True)
    _trash_dirs.add(trash)
    os.rename(path, os.path.join(trash, f"{time.time_ns()}-{os.path.basename(path.rstrip('/'))}"))


@atexit.register
def _empty_trash():
    for trash in _trash_dirs:
        shutil.rmtree(trash, ignore_errors=True)
    if _trash_dirs:
        try:
            drop_caches()  # the freed inodes' table blocks leave the cache, so the next run's creations do not skip them
        except OSError:
            pass


def check_tools(*tools):
    if os.getuid() != 0:
        die("run as root (drop_caches and FUSE mounts)")
    for exe, hint in ((OM, "run ./build.sh first"), (SILO, "run ./build.sh first"), (S3RVER, "run ./build.sh deps"), (PROXY, "run ./build.sh first")):
        if not os.access(exe, os.X_OK):
            die(f"{exe} is missing: {hint}")
    for tool in ("redis-server", *tools):
        if not shutil.which(tool):
            die(f"{tool} is missing: ./build.sh bench installs it")


def save(raw, name, report, write_doc):
    """Writes the run's raw figures to docs/benchmarks/NAME.json and its section of docs/benchmarks.md through
    report(raw, doc); with write_doc false (--no-doc), only the figures, to WORK/NAME.json, so the published JSON
    always matches the published section."""
    path = f"{ROOT}/docs/benchmarks/{name}.json" if write_doc else f"{WORK}/{name}.json"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(raw, f, indent=1)
    if write_doc:
        report(raw, f"{ROOT}/docs/benchmarks.md")
    say(f"done: {path}" + (" and docs/benchmarks.md" if write_doc else ""))


def write_section(doc, begin, end, lines):
    """Replaces the text between the begin and end markers of doc (appending the section if it is not there)."""
    text = open(doc).read() if os.path.exists(doc) else "# Benchmarks\n"
    block = "\n".join([begin, *lines, end])
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(doc, "w") as f:
        f.write(text)


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


class Cluster:
    """Services, silos and mounts of one benchmark run."""

    def __init__(self, quick, reps):
        self.quick, self.reps = quick, reps
        self.procs = Procs()
        self.env = dict(os.environ)
        self.env.pop("AWS_CA_BUNDLE", None)

    # ------------------------------------------------------------------ services
    def start_services(self, ttfb_ms=0, bandwidth_mbps=0):
        """s3rver behind the latency/counting proxy (time to first byte ttfb_ms and bandwidth_mbps megabits per
        second per request; 0 = none), and redis-server."""
        s3_port, self.proxy_port, self.redis_port = free_port(), free_port(), free_port()
        self.procs.start("s3rver", [S3RVER, "-d", f"{WORK}/s3", "-a", "127.0.0.1", "-p", str(s3_port), "--no-vhost-buckets", "--silent"],
                         env={**self.env, "NODE_OPTIONS": "--openssl-legacy-provider"})
        wait_until("s3rver", lambda: urllib.request.urlopen(f"http://127.0.0.1:{s3_port}/", timeout=2).status == 200)
        self.procs.start("proxy", [PROXY, "--listen", f"127.0.0.1:{self.proxy_port}", "--target", f"http://127.0.0.1:{s3_port}"]
                         + ["--ttfb-ms", str(ttfb_ms), "--bandwidth-mbps", str(bandwidth_mbps)])
        wait_until("the counting proxy", lambda: self.store_counters() is not None)
        self.procs.start("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        wait_until("redis-server", lambda: socket.create_connection(("127.0.0.1", self.redis_port), 1).close() is None)
        self.endpoint = f"http://127.0.0.1:{self.proxy_port}"
        self.env.update(AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER",
                        AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")

    def close_all(self):
        """Stops every process the run started and unmounts whatever is still mounted under WORK."""
        self.procs.close()
        for mnt in os.listdir(WORK):
            Procs.umount(os.path.join(WORK, mnt))

    def store_counters(self):
        """GET requests and body bytes the object store served, counted by the proxy."""
        return http_json(f"http://127.0.0.1:{self.proxy_port}/__proxy/stats")

    def seed_and_import(self, bucket, name, files):
        """Writes files ({"ds/KEY": size}) into s3rver's bucket and imports s3://BUCKET/ds as snapshot NAME;
        returns {KEY: sha256} (keys relative to the snapshot root)."""
        os.makedirs(f"{WORK}/s3/{bucket}")
        digests = {k[3:]: v for k, v in seed(f"{WORK}/s3/{bucket}", files).items()}
        self.import_snapshot(bucket, name)
        return digests

    def import_snapshot(self, bucket, name):
        subprocess.run([OM, "import", f"s3://{bucket}/ds", "--snapshot", name], env=self.env, check=True, stdout=subprocess.DEVNULL)

    def start_silo(self, name, bucket, cache_size, cluster, extra=()):
        port = free_port()
        cache = f"{WORK}/cache-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        p = self.procs.start(f"silo-{name}", [
            SILO, "--catalog", f"s3://{bucket}/.orleansmount/", "--redis", f"127.0.0.1:{self.redis_port}", "--cluster", cluster,
            "--silo-id", name, "--cache-dir", cache, "--cache-size", cache_size, "--socket", f"{WORK}/{name}.sock",
            "--listen", f"127.0.0.1:{port}", "--silo-port", str(free_port()), "--log-level", "Warning", *extra],
            env={**SILO_AS_DEPLOYED, **self.env})
        api = f"http://127.0.0.1:{port}/api/v1"
        wait_until(f"silo {name}", lambda: http_json(f"{api}/info") is not None)
        return {"name": name, "proc": p, "api": api, "sock": f"{WORK}/{name}.sock"}

    def wait_members(self, silos):
        for s in silos:
            wait_until(f"{s['name']} to see {len(silos)} members",
                       lambda: sum(m["status"] == "Active" for m in http_json(f"{s['api']}/members")["members"]) == len(silos))

    def mount(self, silo, snapshot, extra=()):
        mnt = f"{WORK}/mnt-{silo['name']}"
        os.makedirs(mnt, exist_ok=True)
        subprocess.run([OM, "mount", snapshot, mnt, "--silo", silo["sock"], "--log-file", f"{WORK}/mount-{silo['name']}.log", *extra],
                       env=self.env, check=True, stdout=subprocess.DEVNULL)
        self.procs.mounted(mnt)
        return mnt

    def stop_node(self, silo, mnt):
        Procs.umount(mnt)
        Procs.stop(silo["proc"])

    @staticmethod
    def mount_pid(mnt):
        out = subprocess.run(["pgrep", "-f", f"orleansmount mount .* {mnt} "], capture_output=True, text=True).stdout.split()
        if len(out) != 1:
            die(f"expected one mount process for {mnt}, found {out}")
        return int(out[0])


def machine(quick, reps):
    def sh(c):
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    mem = next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    return {"date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"), "nproc": os.cpu_count(), "cpu": cpu, "mem_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "dotnet": sh("dotnet --version"), "rclone": sh("rclone version 2>/dev/null | head -1"),
            "commit": sh(f"git -C '{ROOT}' rev-parse --short HEAD"), "mode": "quick" if quick else "full", "reps": reps}


# ---------------------------------------------------------------------- added for suite-bench.py (issue 7)
def seed_tree(bucket_dir, files, local_root=None, digest_keys=()):
    """Like seed() but fast for many files (bytes cut from one random pool, a per-file header making every
    file unique), and for peers that list per directory: a directory-marker object (`dir/`) for every
    directory, since s3rver omits common prefixes holding only sub-prefixes (PLATFORM.md pitfall 5).
    local_root: a hard-linked local copy of every file (same bytes, same ext4). Returns {key: sha256} for
    digest_keys."""
    rng = random.Random(len(files))
    pool = rng.randbytes(4 * MiB)
    digests, dirs = {}, set()

    def put(key, blocks):
        path = os.path.join(bucket_dir, key)
        parent = os.path.dirname(path)
        if parent not in dirs:
            os.makedirs(parent, exist_ok=True)
            dirs.add(parent)
        md5 = hashlib.md5()
        sha = hashlib.sha256() if key in digest_keys else None
        with open(path + "._S3rver_object", "wb") as f:
            for b in blocks:
                f.write(b); md5.update(b)
                if sha:
                    sha.update(b)
        with open(path + "._S3rver_object.md5", "w") as f:
            f.write(md5.hexdigest())
        with open(path + "._S3rver_metadata.json", "w") as f:
            f.write('{"content-type": "application/octet-stream"}')
        if sha:
            digests[key] = sha.hexdigest()

    def blocks(i, size):
        left, b = size, 0
        while left:
            n = min(left, MiB)
            off = (i * 7919 + b * 104729) % (len(pool) - n + 1)
            block = bytearray(pool[off:off + n])
            block[0:min(n, 16)] = (i.to_bytes(8, "little") + b.to_bytes(8, "little"))[:min(n, 16)]
            yield bytes(block)
            left -= n; b += 1

    prefixes = set()
    for i, (key, size) in enumerate(files.items()):
        put(key, blocks(i, size))
        parts = key.split("/")[:-1]
        prefixes.update("/".join(parts[:j]) + "/" for j in range(1, len(parts) + 1))
        if local_root:
            local = os.path.join(local_root, key)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            os.link(os.path.join(bucket_dir, key) + "._S3rver_object", local)
    for prefix in sorted(prefixes):  # "a/b/" is stored as a/b/._S3rver_object
        put(prefix, [b""])
    return digests


def proactive_reclaim_bytes():
    """Bytes this kernel's DAMON schemes have applied their action to so far (on this VM: `pageout` of cold, unmapped
    page cache, whatever the free memory), or None without DAMON. Read before and after a warm walk, the difference
    says whether the kernel's caches the walk relies on (e.g. a FUSE directory's readdir cache) were paged out under it."""
    base = "/sys/kernel/mm/damon/admin/kdamonds"
    try:
        kdamonds = [d for d in os.listdir(base) if d.isdigit()]
    except OSError:
        return None
    total = 0
    for k in kdamonds:
        try:
            with open(f"{base}/{k}/state", "w") as f:
                f.write("update_schemes_stats")
        except OSError:
            continue  # a kdamond that is off has no fresh statistics
        for c in os.listdir(f"{base}/{k}/contexts"):
            schemes = f"{base}/{k}/contexts/{c}/schemes"
            if c.isdigit() and os.path.isdir(schemes):
                for s in os.listdir(schemes):
                    if s.isdigit():
                        with open(f"{schemes}/{s}/stats/sz_applied") as f:
                            total += int(f.read())
    return total


def vm_rss(pid):
    """VmRSS of a process, bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    die(f"no VmRSS for pid {pid}")


def build_passthrough_ll(dest):
    """Builds libfuse's C example passthrough_ll (the FUSE ceiling) from libfuse3-dev's examples; returns its path."""
    src = "/usr/share/doc/libfuse3-dev/examples"
    if not os.path.exists(f"{src}/passthrough_ll.c"):
        die("libfuse3-dev examples are missing (apt-get install libfuse3-dev)")
    os.makedirs(dest, exist_ok=True)
    for f in ("passthrough_ll.c", "passthrough_helpers.h"):
        shutil.copy(f"{src}/{f}", dest)
    flags = subprocess.run(["pkg-config", "fuse3", "--cflags", "--libs"], capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-Wall", "-o", f"{dest}/passthrough_ll", f"{dest}/passthrough_ll.c", *flags, "-lpthread"], check=True)
    return f"{dest}/passthrough_ll"


def rclone_env(env, endpoint):
    """Environment for `rclone ... obj:BUCKET/PREFIX` against the S3 endpoint (AWS_CA_BUNDLE removed: it breaks rclone here)."""
    env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
    return {**env, "RCLONE_CONFIG_OBJ_TYPE": "s3", "RCLONE_CONFIG_OBJ_PROVIDER": "Other",
            "RCLONE_CONFIG_OBJ_ENDPOINT": endpoint, "RCLONE_CONFIG_OBJ_FORCE_PATH_STYLE": "true",
            "RCLONE_CONFIG_OBJ_ACCESS_KEY_ID": "S3RVER", "RCLONE_CONFIG_OBJ_SECRET_ACCESS_KEY": "S3RVER"}


def run_epochs(store_counters, system, mounts, keys, digests, dataset, silo_apis=(), epochs=2):
    """Each mount reads every key in its own shuffled order, all mounts at once, `epochs` times; per epoch the
    object-store GETs and bytes (store_counters(): the counting proxy's stats) and for silos their own count."""
    out = []
    for epoch in range(1, epochs + 1):
        before = store_counters()
        silo_before = [http_json(f"{a}/stats")["objectStoreBytes"] for a in silo_apis]
        t = time.monotonic()
        orders = [random.Random(epoch * 10 + i).sample(keys, len(keys)) for i in range(len(mounts))]
        with ThreadPoolExecutor(len(mounts)) as pool:
            list(pool.map(lambda i: read_all(mounts[i], orders[i], digests, threads=2), range(len(mounts))))
        secs = time.monotonic() - t
        after = store_counters()
        rec = {"epoch": epoch, "seconds": secs, "store_gets": after["getRequests"] - before["getRequests"],
               "store_bytes": after["getBytes"] - before["getBytes"]}
        if silo_apis:
            rec["silo_counted_bytes"] = sum(http_json(f"{a}/stats")["objectStoreBytes"] for a in silo_apis) - sum(silo_before)
        out.append(rec)
        say(f"  {system} epoch {epoch}: {rec['store_bytes'] / dataset:.2f}x the dataset from the object store "
            f"({rec['store_gets']} GETs, {secs:.1f} s)")
    return out


# ---------------------------------------------------------------------- added for integrity-bench.py and metadata-bench.py
CLIENT_EXE, SILO_EXE = "client/OrleansMount.Client/bin/Release/net10.0/orleansmount", "silo/OrleansMount.Silo/bin/Release/net10.0/orleansmount-silo"


def cpu_seconds(pids):
    """User + system CPU seconds the processes have used so far (from /proc/PID/stat)."""
    total = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def build_revision(rev):
    """Checks rev out into WORK/baseline (a git worktree) and builds its silo and CLI there; returns the tree.
    Remove it with remove_revision() when done."""
    # Revisions before the RocksDB package (issue 19) bind the system's librocksdb 7.8, which build.sh no longer installs.
    has_rocks_package = subprocess.run(["git", "-C", ROOT, "grep", "-q", 'Include="RocksDB"', rev, "--", "Directory.Packages.props"]).returncode == 0
    if not has_rocks_package and subprocess.run("ldconfig -p | grep -q 'librocksdb.so.7.8'", shell=True).returncode != 0:
        die(f"the baseline {rev} loads the system's librocksdb 7.8: apt-get install librocksdb7.8 first")
    tree = f"{WORK}/baseline"
    remove_revision()
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, rev], check=True, capture_output=True)
    say(f"building the baseline {rev} in {tree}")
    for project in ("silo/OrleansMount.Silo", "client/OrleansMount.Client"):
        subprocess.run(["dotnet", "build", f"{tree}/{project}", "-c", "Release", "-nologo", "-clp:ErrorsOnly", "-v:quiet"],
                       check=True, stdout=subprocess.DEVNULL)
    return tree


def remove_revision():
    subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", f"{WORK}/baseline"], capture_output=True)
    subprocess.run(["git", "-C", ROOT, "worktree", "prune"], capture_output=True)


def start_single_node(procs, env, name, tree, bucket, snapshot, cache_size):
    """A single-node silo (no Redis) of the build in `tree` with its own cache WORK/cache-NAME, and a kernel mount
    of `snapshot` at WORK/mnt-NAME through it; returns {name, silo, mnt, pids}."""
    port, sock, mnt = free_port(), f"{WORK}/{name}.sock", f"{WORK}/mnt-{name}"
    os.makedirs(mnt, exist_ok=True)
    silo = procs.start(f"silo-{name}", [f"{tree}/{SILO_EXE}", "--catalog", f"s3://{bucket}/.orleansmount/", "--cache-dir", f"{WORK}/cache-{name}",
                                        "--cache-size", cache_size, "--socket", sock, "--listen", f"127.0.0.1:{port}", "--log-level", "Warning"], env=env)
    wait_until(f"silo {name}", lambda: http_json(f"http://127.0.0.1:{port}/api/v1/info") is not None)
    subprocess.run([f"{tree}/{CLIENT_EXE}", "mount", snapshot, mnt, "--silo", sock, "--log-file", f"{WORK}/mount-{name}.log"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    procs.mounted(mnt)
    return {"name": name, "silo": silo, "mnt": mnt, "pids": [silo.pid, Cluster.mount_pid(mnt)]}
