#!/usr/bin/env python3
"""Issue 18's figures for the cluster on Orleans 10.4.2, one run, loopback only, real processes (redis-server,
s3rver behind the counting proxy, silo processes; no mount: chunks are read through a silo's HTTP API).
Needs root (like every bench here) and ./build.sh first.

  orleans-bench.py [--quick] [--reps R] [--baseline REV] [--no-baseline] [--only start,kill,join,leave] [--no-doc]
                   [--silo-log-level LEVEL]     (silo logs in the work directory; default Warning)
  orleans-bench.py --report docs/benchmarks/orleans.json   (renders the section again from saved figures)

The baseline (default 6784e6f: the last revision before Orleans, with the home-made membership table, activation
table and owner routing) is built into a git worktree under the work directory (benchlib.build_revision). Both
builds read the same snapshot from the same bucket. Every figure below runs R times (default 5; --quick 1),
variants interleaved in a new shuffled order each repetition; reported as median (min–max).

1. start: start-to-ready and idle RSS. Process start (just before exec) → `/api/v1/info` answers ("HTTP") →
   the silo's own `/api/v1/members` lists itself Active ("ready"). Single node (no --redis), then a cluster on a
   fresh cluster name: a first silo, and once it is ready a second one joining it (ready in its own view, and
   seen Active by the first). VmRSS of every silo after 10 s idle past ready. Baseline and this tree; only this
   tree gets --silo-port (the baseline has no such flag).
2. kill: kill -9 of one silo of 3. Before the kill, chunks the victim owns are found by asking the victim for
   them (`/chunks/ensure` answers tier ObjectStore when its own grain/owner role filled it, Peer when another
   silo's did), so each is cached on the victim only. From 0.5 s before the kill, every 50 ms a new thread reads
   one more of those chunks (never the same one twice: a read leaves a near copy) through a survivor's
   `/chunks/data`, alternating survivors, checking its SHA-256; meanwhile both survivors' `/api/v1/members` are
   polled every 50 ms. Recorded: kill → the victim no longer Active in each survivor's view ("declared dead");
   per read, its start and end relative to the kill, success, bytes right; the survivors' ownerFallbacks.
   Until 3 s after both survivors declared it dead (at most 60 s).
4. leave: as kill, with SIGTERM (a graceful stop) instead of kill -9. Recorded besides: SIGTERM → the process's
   exit ("stop took"), and the survivors' object-store fills (the victim's chunks are read through their next
   owners, which fill them from the object store: expected) next to their owner fallbacks (should be 0).
3. join (this tree only; the baseline had no activations to move: its owner routing re-homed per request): 2
   silos, 300 chunks warmed by reading them through silo 1 (so silo 1 holds all, silo 2 the ones it owns), then
   a third silo starts. Every 100 ms: its readiness, each silo's members, and each silo's ChunkGrain activations
   (`/api/v1/node`: live and activated-since-start). "Re-homed" = the last change of any silo's live ChunkGrain
   count before all three stayed unchanged for 5 s: the activations of the keys the new silo now owns have left
   silos 1 and 2 (and, if they arrived by migration, are live on it); "never" when no count changed within 60 s.
   Activations that arrived on the two silos that stayed (their activated-since-start count grew) are keys that
   moved between them (should be 0). Then every chunk is read once through silo 2: the new silo's fills from
   the object store and silo 2's peer copies and owner fallbacks show who served them.

Writes docs/benchmarks/orleans.json and the orleans-bench section of docs/benchmarks.md."""
import hashlib, json, os, random, shutil, signal, statistics, subprocess, sys, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import ROOT, SILO_EXE, Cluster, die, free_port, http_json, say, seed, summ, vm_rss, wait_until  # noqa: E402

BEGIN, END = "<!-- orleans-bench:begin -->", "<!-- orleans-bench:end -->"
BUCKET, SNAPSHOT = "obench", "obench"
CHUNK = 4 * 1024 * 1024  # the silo's default --chunk-size
FILE_BYTES = 64 * 1024   # every file is one chunk
POLL = 0.05
JOIN_WAIT = 60  # s after the third silo's start without settled re-homing before the join figure gives up


def now():
    return time.monotonic()


def members(api):
    return http_json(f"{api}/members")["members"]


def active(api, silo_id):
    """True when the silo at api lists silo_id as Active."""
    return any(m["siloId"] == silo_id and m["status"] == "Active" for m in members(api))


def post(url, body, timeout=60):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


class Bench(Cluster):
    def __init__(self, quick, reps):
        super().__init__(quick, reps)
        self.trees = {}
        self.silo_port = {}  # variant -> whether its silo has --silo-port (Orleans trees; not the home-made runtime)
        self.seq = 0
        self.log_level = "Warning"

    # ------------------------------------------------------------------ silos
    def start_silo(self, variant, name, redis_cluster=None, cache_size="8GiB"):
        """A silo of the build `variant` ("orleans" = this tree, "baseline"); returns its dict with t0 (monotonic,
        just before exec)."""
        self.seq += 1
        port = free_port()
        cache = f"{benchlib.WORK}/cache-{self.seq}-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        args = [f"{self.trees[variant]}/{SILO_EXE}", "--catalog", f"s3://{BUCKET}/.orleansmount/", "--silo-id", name,
                "--cache-dir", cache, "--cache-size", cache_size, "--socket", f"{benchlib.WORK}/s{self.seq}.sock",
                "--listen", f"127.0.0.1:{port}", "--log-level", self.log_level]
        if redis_cluster:
            args += ["--redis", f"127.0.0.1:{self.redis_port}", "--cluster", redis_cluster]
            if self.silo_port[variant]:  # Orleans' default 11111 would collide here; the home-made runtime has no such port
                args += ["--silo-port", str(free_port())]
        t0 = now()
        p = self.procs.start(f"{self.seq:03d}-{variant}-{name}", args, env=self.env)
        return {"name": name, "proc": p, "api": f"http://127.0.0.1:{port}/api/v1", "t0": t0, "variant": variant, "cache": cache}

    @staticmethod
    def wait_ready(s, seconds=120):
        """Polls every 50 ms; sets s['http'] (info answers) and s['ready'] (own view lists itself Active), seconds after t0."""
        deadline = s["t0"] + seconds
        while now() < deadline:
            if s["proc"].poll() is not None:
                die(f"silo {s['name']} exited with {s['proc'].returncode} (logs in {benchlib.WORK})")
            if Bench.try_ready(s):
                return s
            time.sleep(POLL)
        die(f"silo {s['name']} not ready after {seconds} s (logs in {benchlib.WORK})")

    @staticmethod
    def stop_all(silos):
        """SIGTERM to every silo still running at once, then waits (SIGKILL after 20 s)."""
        live = [s["proc"] for s in silos if s["proc"].poll() is None]
        for p in live:
            p.send_signal(signal.SIGTERM)
        for p in live:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for s in silos:
            shutil.rmtree(s["cache"], ignore_errors=True)

    def converge(self, silos, seconds=60):
        """Every silo's view lists every silo Active; then 3 s more, so each view has every member's metadata
        (ClusterView looks for a missing one again after 50 ms, doubling up to every 1 s) and the placement counts every silo."""
        for s in silos:
            wait_until(f"{s['name']} to see {len(silos)} members", lambda: all(active(s["api"], o["name"]) for o in silos), seconds)
        time.sleep(3)

    # ------------------------------------------------------------------ dataset
    def dataset(self, n):
        files = {f"ds/k/f{i:05d}.bin": FILE_BYTES for i in range(n)}
        os.makedirs(f"{benchlib.WORK}/s3/{BUCKET}")
        say(f"seeding {n} x {FILE_BYTES // 1024} KiB (one chunk each)")
        self.digests = {k[3:]: v for k, v in seed(f"{benchlib.WORK}/s3/{BUCKET}", files).items()}
        self.import_snapshot(BUCKET, SNAPSHOT)

    def load_listing(self, api):
        listing = http_json(f"{api}/snapshots/{SNAPSHOT}/list?path=k")
        self.snapshot_id = listing["snapshotId"]
        self.requests = [{"address": it["address"], "eTag": it["eTag"], "size": it["size"], "index": 0, "chunkSize": CHUNK,
                          "snapshot": SNAPSHOT, "snapshotId": self.snapshot_id, "key": f"k/{it['name']}"}
                         for it in sorted(listing["items"], key=lambda it: it["name"]) if not it["dir"]]
        if len(self.requests) != len(self.digests):
            die(f"the listing has {len(self.requests)} files, the dataset {len(self.digests)}")

    def read_chunk(self, api, req, timeout=60):
        """Reads one chunk through a silo; returns True if its bytes are the dataset's (raises on an HTTP error)."""
        body = {k: v for k, v in req.items() if k != "key"}
        data = post(f"{api}/chunks/data", body, timeout)
        return hashlib.sha256(data).hexdigest() == self.digests[req["key"]]

    def ensure_tier(self, api, req):
        body = {k: v for k, v in req.items() if k != "key"}
        return json.loads(post(f"{api}/chunks/ensure", body))["tier"]

    # ------------------------------------------------------------------ 1. start and idle RSS
    def start_figures(self, variants):
        records = []
        for rep in range(1, self.reps + 1):
            for variant in random.Random(rep).sample(variants, len(variants)):
                # Single node.
                s = self.wait_ready(self.start_silo(variant, "single"))
                time.sleep(10)
                rec = {"rep": rep, "variant": variant, "mode": "single", "http": s["http"], "ready": s["ready"], "rss": vm_rss(s["proc"].pid)}
                records.append(rec)
                self.stop_all([s])
                # A cluster of two on a fresh cluster name: the first silo, then one joining it.
                cluster = f"start-{variant}-{rep}"
                a = self.wait_ready(self.start_silo(variant, "first", cluster))
                b = self.start_silo(variant, "joiner", cluster)
                seen = None
                while seen is None or "ready" not in b:  # the joiner's own readiness and the first silo's view of it, polled together
                    if b["proc"].poll() is not None:
                        die(f"the joiner exited with {b['proc'].returncode} (logs in {benchlib.WORK})")
                    if "ready" not in b:
                        self.try_ready(b)
                    try:
                        if seen is None and active(a["api"], "joiner"):
                            seen = now() - b["t0"]
                    except OSError:
                        pass
                    if now() - b["t0"] > 120:
                        die("the joiner was not ready, or not seen Active by the first silo, after 120 s")
                    time.sleep(POLL)
                time.sleep(10)
                records.append({"rep": rep, "variant": variant, "mode": "first", "http": a["http"], "ready": a["ready"], "rss": vm_rss(a["proc"].pid)})
                records.append({"rep": rep, "variant": variant, "mode": "joiner", "http": b["http"], "ready": b["ready"], "seen_by_first": seen,
                                "rss": vm_rss(b["proc"].pid)})
                self.stop_all([b, a])
                say(f"  start rep {rep} {variant}: single ready {s['ready']:.2f} s, {rec['rss'] / 2**20:.0f} MiB; "
                    f"first {a['ready']:.2f} s, joiner {b['ready']:.2f} s (seen by first {seen:.2f} s), "
                    f"{records[-2]['rss'] / 2**20:.0f} / {records[-1]['rss'] / 2**20:.0f} MiB")
        return records

    @staticmethod
    def try_ready(s):
        """One non-blocking readiness poll of s (sets http/ready); True once ready."""
        try:
            if "http" not in s:
                http_json(f"{s['api']}/info")
                s["http"] = now() - s["t0"]
            if active(s["api"], s["name"]):
                s["ready"] = now() - s["t0"]
        except (OSError, ValueError):
            pass
        return "ready" in s

    # ------------------------------------------------------------------ 2. kill -9 (4. SIGTERM) of one silo of 3
    def kill_figure(self, variant, rep, graceful=False):
        cluster = f"{'leave' if graceful else 'kill'}-{variant}-{rep}"
        silos = [self.wait_ready(self.start_silo(variant, f"k{i}", cluster)) for i in (1, 2, 3)]
        self.converge(silos)
        s1, s2, victim = silos
        # The victim's chunks: asked of the victim, tier ObjectStore = it filled the chunk as its owner.
        order = random.Random(rep).sample(self.requests, len(self.requests))
        fallbacks0 = http_json(f"{victim['api']}/stats")["ownerFallbacks"]
        with ThreadPoolExecutor(8) as ex:
            tiers = list(ex.map(lambda r: self.ensure_tier(victim["api"], r), order))
        pool = [r for r, tier in zip(order, tiers) if tier in ("ObjectStore", 2)]  # ChunkTier is sent as its number
        others = len(order) - len(pool)
        if http_json(f"{victim['api']}/stats")["ownerFallbacks"] != fallbacks0:
            die("the victim fell back to the object store while its chunks were being found: tier ObjectStore would not mean owner")
        used = {r["key"] for r in pool}
        spare = [r for r in order if r["key"] not in used]
        for s in (s1, s2):  # opens the snapshot on the survivors (and their read path), with chunks not in the pool
            for req in spare[:3]:
                self.read_chunk(s["api"], req)
        before = {s["name"]: http_json(f"{s['api']}/stats") for s in (s1, s2)}
        victim_stats = http_json(f"{victim['api']}/stats")
        store0 = self.store_counters()
        what = "leave" if graceful else "kill"
        say(f"  {what} {variant} rep {rep}: victim owns {len(pool)} of the {len(pool) + others} chunks asked "
            f"(its live chunk activations: {victim_stats['chunkActivations']})")

        reads, lock, stop = [], threading.Lock(), threading.Event()
        dead = {}
        t_kill = [None]
        t_exit = [None]

        def read_one(i, s, req):
            t = now()
            rec = {"silo": s["name"], "start": t, "ok": False, "right": False}
            try:
                rec["right"] = self.read_chunk(s["api"], req)
                rec["ok"] = True
            except Exception as e:  # noqa: BLE001 (every failure is a failed read, recorded)
                rec["error"] = f"{type(e).__name__}: {e}"[:300]
            rec["end"] = now()
            with lock:
                reads.append(rec)

        def launcher():
            i = 0
            threads = []
            nxt = now()
            while not stop.is_set() and i < len(pool):
                s = (s1, s2)[i % 2]
                th = threading.Thread(target=read_one, args=(i, s, pool[i]), daemon=True)
                th.start()
                threads.append(th)
                i += 1
                nxt += POLL
                time.sleep(max(0.0, nxt - now()))
            for th in threads:
                th.join(90)

        def watcher():
            while not stop.is_set():
                for s in (s1, s2):
                    if s["name"] not in dead and t_kill[0] is not None:
                        try:
                            if not active(s["api"], victim["name"]):
                                dead[s["name"]] = now() - t_kill[0]
                        except OSError:
                            pass
                time.sleep(POLL)

        def exit_waiter():
            victim["proc"].wait()
            t_exit[0] = now() - t_kill[0]

        lt, wt, xt = threading.Thread(target=launcher), threading.Thread(target=watcher), threading.Thread(target=exit_waiter)
        lt.start()
        time.sleep(0.5)
        t_kill[0] = now()
        victim["proc"].send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        wt.start()
        xt.start()
        deadline = t_kill[0] + 60
        while now() < deadline and (len(dead) < 2 or t_exit[0] is None):
            time.sleep(POLL)
        end_at = min(deadline, now() + 3)
        while now() < end_at:
            time.sleep(POLL)
        stop.set()
        lt.join()
        wt.join()
        victim["proc"].wait()
        xt.join()
        after = {s["name"]: http_json(f"{s['api']}/stats") for s in (s1, s2)}
        store1 = self.store_counters()
        k = t_kill[0]
        rs = compact_reads([{"silo": r["silo"], "start": r["start"] - k, "end": r["end"] - k, "ok": r["ok"], "right": r["right"], **({"error": r["error"]} if "error" in r else {})}
                            for r in sorted(reads, key=lambda r: r["start"])])
        rec = {"variant": variant, "rep": rep, "pool": len(pool), "asked": len(pool) + others, "victim_activations": victim_stats["chunkActivations"],
               "dead": dead, "exit": t_exit[0], "exit_code": victim["proc"].returncode, "reads": rs,
               "fallbacks": sum(after[n]["ownerFallbacks"] - before[n]["ownerFallbacks"] for n in after),
               "peer_fetches": sum(after[n]["peerFetches"] - before[n]["peerFetches"] for n in after),
               "fills": sum(after[n].get("fills", 0) - before[n].get("fills", 0) for n in after),
               "store_gets": store1["getRequests"] - store0["getRequests"], "pool_exhausted": len(reads) >= len(pool)}
        self.stop_all([s1, s2, victim])
        k = kill_summary(rec)
        say(f"  {what} {variant} rep {rep}: declared dead {dead}; process exit {t_exit[0]} s (code {rec['exit_code']}); first read OK {k['first_ok']} s after the signal; "
            f"{k['after_kill']} reads after it, {k['failed']} failed, {k['wrong']} wrong, slowest {k['slowest']} s; fallbacks {rec['fallbacks']}, fills {rec['fills']}")
        return rec

    # ------------------------------------------------------------------ 3. re-homing after a join
    def activations(self, api):
        return {a["grainType"]: (a["active"], a["activated"]) for a in http_json(f"{api}/node")["activations"]}["ChunkGrain"]

    def join_figure(self, rep, n_warm):
        cluster = f"join-{rep}"
        s1 = self.wait_ready(self.start_silo("orleans", "j1", cluster))
        s2 = self.wait_ready(self.start_silo("orleans", "j2", cluster))
        self.converge([s1, s2])
        warm = random.Random(100 + rep).sample(self.requests, n_warm)
        # Through silo 1, then silo 2: a silo fills the chunks it owns without a grain call (decision 0034), so the
        # other silo's reads are what activate every chunk's grain on its owner.
        with ThreadPoolExecutor(8) as pool:
            for s in (s1, s2):
                if not all(pool.map(lambda r: self.read_chunk(s["api"], r), warm)):
                    die("BUG: a warm-up read returned other bytes")
        time.sleep(3)  # past every activation's first ownership check (2 s)
        base = {s["name"]: self.activations(s["api"]) for s in (s1, s2)}
        s3 = self.start_silo("orleans", "j3", cluster)
        t0 = s3["t0"]
        trace, seen, all3, last_change = [], {}, None, None
        initial = (base["j1"][0], base["j2"][0], 0)
        counts = initial
        while True:
            t = now() - t0
            if "ready" not in s3:
                self.try_ready(s3)
            row = {"t": t}
            try:
                for s in (s1, s2):
                    if s["name"] not in seen and active(s["api"], "j3"):
                        seen[s["name"]] = t
                # Silos 1 and 2 from the start (activations may leave them before the new silo calls itself ready);
                # the new one once its HTTP API answers (none live before).
                for s in (s1, s2):
                    row[s["name"]] = self.activations(s["api"])
                row["j3"] = self.activations(s3["api"]) if "http" in s3 else [0, 0]
                now_counts = (row["j1"][0], row["j2"][0], row["j3"][0])
                if now_counts != counts:
                    counts, last_change = now_counts, t
                trace.append(row)
                if "ready" in s3 and all3 is None and all(all(active(s["api"], o["name"]) for o in (s1, s2, s3)) for s in (s1, s2, s3)):
                    all3 = now() - t0
            except OSError:
                pass
            if all3 is not None and last_change is not None and t - last_change >= 5:
                break
            if t > JOIN_WAIT:
                say(f"  join: no settled re-homing after {JOIN_WAIT} s (live ChunkGrain activations j1/j2/j3: {counts}, before {initial[:2]})")
                break
            time.sleep(0.1)
        final = trace[-1]
        settled = last_change is not None and t - last_change >= 5
        moved_between_stayers = sum(final[n][1] - base[n][1] for n in ("j1", "j2"))
        # Every warmed chunk once through the new silo, which holds none: who serves what now.
        before = {s["name"]: http_json(f"{s['api']}/stats") for s in (s1, s2, s3)}
        store0 = self.store_counters()
        with ThreadPoolExecutor(8) as pool:
            right = sum(pool.map(lambda r: self.read_chunk(s3["api"], r), warm))
        after = {s["name"]: http_json(f"{s['api']}/stats") for s in (s1, s2, s3)}
        store1 = self.store_counters()

        def d(name, field):
            return after[name][field] - before[name][field]
        rec = {"rep": rep, "warm": n_warm, "base": base, "http": s3.get("http"), "ready": s3.get("ready"), "seen": seen, "all_active": all3,
               "rehomed": last_change if settled else None, "waited": t, "final": {n: final[n] for n in ("j1", "j2", "j3")}, "moved_between_stayers": moved_between_stayers,
               "check": {"right": right, "j3_fills": d("j3", "fills"), "j3_store_gets": d("j3", "objectStoreGets"),
                         "j3_peer_fetches": d("j3", "peerFetches"),
                         "fallbacks": sum(d(n, "ownerFallbacks") for n in after), "store_gets": store1["getRequests"] - store0["getRequests"]},
               "trace": changes_only(trace)}
        self.stop_all([s3, s2, s1])
        say(f"  join rep {rep}: j3 ready {rec['ready']:.2f} s, all views 3 Active {all3:.2f} s, activations re-homed "
            f"{'at %.2f s' % last_change if settled else 'never within %.0f s' % t} "
            f"(j1/j2/j3 live {final['j1'][0]}/{final['j2'][0]}/{final['j3'][0]}, before {base['j1'][0]}/{base['j2'][0]}); "
            f"moved between the two that stayed {moved_between_stayers}; check: {rec['check']}")
        return rec


# ---------------------------------------------------------------------- report
def ms(s):  # median (min–max) of seconds
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def mib(s):
    return f"{s['median'] / 2**20:.0f} ({s['min'] / 2**20:.0f}–{s['max'] / 2**20:.0f})"


def compact_reads(reads):
    """Every read as one string "START END SILO STATUS" (seconds from the kill, ms precision; STATUS ok, wrong
    (other bytes) or failed: ERROR), so the published JSON stays small."""
    return [f"{r['start']:.3f} {r['end']:.3f} {r['silo']} " + ("ok" if r["ok"] and r["right"] else "wrong" if r["ok"] else f"failed: {r['error']}")
            for r in reads]


def parse_reads(reads):
    out = []
    for line in reads:
        start, end, silo, status = line.split(" ", 3)
        out.append({"start": float(start), "end": float(end), "silo": silo, "ok": status in ("ok", "wrong"), "right": status == "ok", "status": status})
    return out


def changes_only(trace):
    """The join's poll rows where some silo's activations changed (and the first and last)."""
    keep = []
    for i, row in enumerate(trace):
        values = {k: v for k, v in row.items() if k != "t"}
        if i in (0, len(trace) - 1) or values != {k: v for k, v in keep[-1].items() if k != "t"}:
            keep.append({"t": round(row["t"], 3), **values})
    return keep


def kill_summary(rec):
    reads = parse_reads(rec["reads"])
    post_kill = [r for r in reads if r["start"] >= 0]
    return {"dead_first": min(rec["dead"].values()) if rec["dead"] else None,
            "dead_both": max(rec["dead"].values()) if len(rec["dead"]) == 2 else None,
            "first_ok": min((r["end"] for r in post_kill if r["ok"] and r["right"]), default=None),
            "slowest": max((r["end"] - r["start"] for r in post_kill), default=None),
            "median_read": statistics.median(r["end"] - r["start"] for r in post_kill) if post_kill else None,
            "stalled": sum(r["end"] - r["start"] > 0.5 for r in post_kill),
            "reads": len(reads), "after_kill": len(post_kill), "failed": sum(not r["ok"] for r in reads),
            "wrong": sum(r["ok"] and not r["right"] for r in reads), "fallbacks": rec["fallbacks"],
            "errors": sorted({r["status"][len("failed: "):] for r in reads if not r["ok"]})}


def report(raw, doc):
    m, p = raw["machine"], raw["params"]
    names = {"baseline": f"baseline `{p['baseline']}`" + (" (home-made runtime)" if p["baseline"] == "6784e6f" else ""), "orleans": f"this tree, Orleans 10.4.2 (`{m['commit']}`)"}
    variants = [v for v in ("baseline", "orleans") if v in p["variants"]]
    lines = ["", f"## Cluster on Orleans (issue 18): `tests/benchmarks/orleans-bench.py` ({m['mode']}, {m['reps']} repetitions, {m['date']}, commit {m['commit']})", "",
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}, .NET {m['dotnet']}; the 2 cores are shared by "
             "every process of the run (redis-server, s3rver and its counting proxy, all silos, the Python driver), so a silo's start and the "
             "failure detector compete for CPU as they would not on separate machines. Loopback only: a killed process's TCP connections are "
             "closed by the kernel at once, so calls to it are refused at once; a machine that vanishes from a real network gives no such "
             "signal (calls then wait up to `--peer-timeout`, 10 s). Medians (min–max) over the repetitions, variants in a new shuffled "
             f"order each repetition. Files: {p['files']:,} × {p['file_bytes'] // 1024} KiB (one chunk each). Both builds read the same "
             "snapshot of the same bucket; silos with their default options plus `--log-level Warning`, Orleans silo port only for "
             "this tree (`--silo-port`)."
             + (f" Load average (1 min) {raw['load_average']['start'][0]:.1f} at the start and {raw['load_average']['end'][0]:.1f} at the end "
                "of the run: other work shared the machine." if "load_average" in raw else ""), ""]
    if "start" in raw:
        recs = raw["start"]

        def col(v, mode, field):
            xs = [r[field] for r in recs if r["variant"] == v and r["mode"] == mode and r.get(field) is not None]
            return summ(xs) if xs else None
        lines += ["### Start-to-ready and idle memory", "",
                  "Start-to-ready: process start → `/api/v1/info` answers (HTTP) → the silo's own `/api/v1/members` lists it Active "
                  "(ready), polled every 50 ms. *Cluster*: a fresh cluster name in redis-server; the first silo alone, then a second "
                  "one joining it once the first is ready (its own view, and when the first silo's view shows it Active). Idle RSS: "
                  "VmRSS 10 s after ready, no request served.", "",
                  "| build | single node: HTTP s | single: ready s | single: idle RSS MiB | cluster, first silo: ready s | joining silo: ready s | joining silo: seen Active by the first, s | cluster: idle RSS MiB, first / joining |",
                  "|---|---|---|---|---|---|---|---|"]
        for v in variants:
            lines.append(f"| {names[v]} | {ms(col(v, 'single', 'http'))} | {ms(col(v, 'single', 'ready'))} | {mib(col(v, 'single', 'rss'))} | "
                         f"{ms(col(v, 'first', 'ready'))} | {ms(col(v, 'joiner', 'ready'))} | {ms(col(v, 'joiner', 'seen_by_first'))} | "
                         f"{mib(col(v, 'first', 'rss'))} / {mib(col(v, 'joiner', 'rss'))} |")
        lines.append("")
    if "kill" in raw:
        lines += ["### kill -9 of one silo of 3", "",
                  "Chunks the victim owns (asked of the victim before the kill: it filled them from the object store itself, so only the "
                  "victim holds them) are read through the two survivors' `/api/v1/chunks/data`, a new chunk every 50 ms from 0.5 s before "
                  "the kill until 3 s after both survivors declared the victim dead, every read's SHA-256 checked. *Declared dead*: kill → "
                  "the victim no longer Active in a survivor's `/api/v1/members` (first survivor / both). *First read*: kill → the end of "
                  "the first read started after the kill that returned the right bytes. *Slowest read*: the longest read started after "
                  "the kill. Fallbacks: the survivors' `ownerFallbacks` (owner did not deliver, read from the object store instead).", "",
                  "| build | declared dead, first survivor, s | declared dead, both, s | first read OK after the kill, s | median read after the kill, s | slowest read after the kill, s | reads after the kill taking > 0.5 s, all repetitions | reads (after the kill) / failed / wrong bytes, all repetitions | owner fallbacks, all repetitions |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for v in variants:
            ks = [kill_summary(r) for r in raw["kill"] if r["variant"] == v]
            if not ks:
                continue

            def kcol(f):
                xs = [k[f] for k in ks if k[f] is not None]
                miss = len(ks) - len(xs)
                return (ms(summ(xs)) if xs else "—") + (f", {miss} never" if miss else "")
            lines.append(f"| {names[v]} | {kcol('dead_first')} | {kcol('dead_both')} | {kcol('first_ok')} | {kcol('median_read')} | {kcol('slowest')} | {sum(k['stalled'] for k in ks)} | "
                         f"{sum(k['reads'] for k in ks):,} ({sum(k['after_kill'] for k in ks):,}) / {sum(k['failed'] for k in ks)} / {sum(k['wrong'] for k in ks)} | "
                         f"{sum(k['fallbacks'] for k in ks):,} |")
        errors = sorted({e for r in raw["kill"] for e in kill_summary(r)["errors"]})
        if errors:
            lines += ["", "Failed reads answered: " + "; ".join(f"`{e}`" for e in errors) + "."]
        lines.append("")
    if "join" in raw:
        js = raw["join"]
        n = js[0]["warm"]

        def jcol(f):
            xs = [j[f] for j in js if j[f] is not None]
            return ms(summ(xs)) if xs else "—"
        seen = [max(j["seen"].values()) for j in js if len(j["seen"]) == 2]
        never = [j for j in js if j["rehomed"] is None]
        after_seen = [j["rehomed"] - max(j["seen"].values()) for j in js if j["rehomed"] is not None and len(j["seen"]) == 2]
        rehomed = (jcol("rehomed") if len(never) < len(js) else "**never**") + (
            f"; {ms(summ(after_seen))} after both others saw it Active" if after_seen else "") + (
            f" ({len(never)} of {len(js)} repetitions: no activation moved within {min(j['waited'] for j in never):.0f} s)" if never else "")
        lines += ["### Re-homing after a join (this tree only)", "",
                  f"Two silos, {n} chunks read through silo 1 then silo 2 (both then hold all of them; one `ChunkGrain` "
                  "activation per chunk, on its owner, activated by the other silo's reads: a silo fills its own keys without a grain call, "
                  "decision 0034), then a third silo starts. Times from the third silo's process start, polled every "
                  "100 ms. *Re-homed*: the last change of any silo's live `ChunkGrain` activations (`/api/v1/node`) before all three stayed "
                  "unchanged for 5 s, i.e. the activations of the keys the new silo now owns have left silos 1 and 2 (the bytes do not "
                  "move: the new owner fills a chunk from the object store when it is next asked for it). The baseline is not measured: it had no "
                  "activations to move (owner routing decided per request).", "",
                  "| new silo ready s | new silo seen Active by both others s | every view 3 Active s | activations re-homed s | live activations at the end, silo 1 / 2 / 3 (before the join: 1 / 2), per repetition | activations that moved between silos 1 and 2 |",
                  "|---|---|---|---|---|---|",
                  f"| {jcol('ready')} | {ms(summ(seen)) if seen else '—'} | {jcol('all_active')} | {rehomed} | "
                  + "; ".join(f"{j['final']['j1'][0]} / {j['final']['j2'][0]} / {j['final']['j3'][0]} ({j['base']['j1'][0]} / {j['base']['j2'][0]})" for j in js)
                  + f" | {', '.join(str(j['moved_between_stayers']) for j in js)} |", "",
                  f"Then, to see who serves the keys, every one of the {n} chunks read once through the new silo, which holds none: it "
                  "fills the keys it now owns from the object store itself (decision 0034) and asks each other chunk's grain, then copies "
                  "the bytes from the silo the grain names. Per repetition (right bytes; the new silo's fills from the object store / peer "
                  "copies; object-store GETs in all; owner fallbacks of all silos): "
                  + ", ".join(f"({j['check']['right']}; {j['check']['j3_fills']} / {j['check']['j3_peer_fetches']}; {j['check']['store_gets']}; "
                              f"{j['check']['fallbacks']})" for j in js) + ".", ""]
    if "leave" in raw:
        lines += ["### Graceful stop (SIGTERM) of one silo of 3", "",
                  "As the kill -9 figure, with SIGTERM: chunks the victim owns are read through the two survivors, a new one every 50 ms "
                  "from 0.5 s before the signal until 3 s after both survivors stopped listing it Active and it exited. *Stop took*: "
                  "SIGTERM → the process's exit. *Seen leaving*: SIGTERM → the victim no longer Active in a survivor's "
                  "`/api/v1/members` (both). Fills: the survivors' chunk fills from the object store as owners (the victim's chunks, "
                  "read through their next owners: expected); fallbacks: the survivors' `ownerFallbacks` (should be 0).", "",
                  "| build | stop took, s | seen leaving by both, s | first read OK after the signal, s | slowest read after the signal, s | reads (after the signal) / failed / wrong bytes, all repetitions | survivors' fills, per repetition | owner fallbacks, per repetition |",
                  "|---|---|---|---|---|---|---|---|"]
        for v in variants:
            rs = [r for r in raw["leave"] if r["variant"] == v]
            if not rs:
                continue
            ks = [kill_summary(r) for r in rs]

            def lcol(xs):
                xs = [x for x in xs if x is not None]
                return ms(summ(xs)) if xs else "—"
            lines.append(f"| {names[v]} | {lcol([r['exit'] for r in rs])} | {lcol([k['dead_both'] for k in ks])} | {lcol([k['first_ok'] for k in ks])} | "
                         f"{lcol([k['slowest'] for k in ks])} | {sum(k['reads'] for k in ks):,} ({sum(k['after_kill'] for k in ks):,}) / {sum(k['failed'] for k in ks)} / "
                         f"{sum(k['wrong'] for k in ks)} | {', '.join(str(r['fills']) for r in rs)} | {', '.join(str(r['fallbacks']) for r in rs)} |")
        lines.append("")
    lines += [f"Parameters: `{p['argv']}` ({m['reps']} repetitions, baseline `{p['baseline']}`, {p['files']:,} files, {p['join_warm']} chunks "
              f"warmed before the join, re-homing awaited {p.get('join_wait', 60)} s). Raw figures (every read of the kill figure; the join's "
              "polls where an activation count changed): [benchmarks/orleans.json](benchmarks/orleans.json).", ""]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("orleans-bench", os.environ.get("OBENCH_WORK", "/tmp/orleansmount-orleans-bench"))
    argv = sys.argv[1:]
    args = benchlib.parse_args(__doc__, report, reps=None, baseline=("6784e6f", str), no_baseline=(False, None),
                               only=({"start", "kill", "join", "leave"}, lambda v: set(v.split(","))), silo_log_level=("Warning", str))
    quick, write_doc, rev, baseline, only, log_level = args.quick, args.write_doc, args.baseline, not args.no_baseline, args.only, args.silo_log_level
    reps = args.reps or (1 if quick else 5)
    benchlib.check_tools()
    benchlib.fresh_work()
    bench = Bench(quick, reps)
    bench.log_level = log_level
    n_files = 4000
    variants = ["baseline", "orleans"] if baseline else ["orleans"]
    raw = {"machine": benchlib.machine(quick, reps),
           "params": {"argv": " ".join(["orleans-bench.py", *argv]), "baseline": rev, "variants": variants, "files": n_files,
                      "file_bytes": FILE_BYTES, "join_warm": 300, "join_wait": JOIN_WAIT}}
    load0 = os.getloadavg()
    try:
        bench.trees["orleans"] = ROOT
        bench.silo_port["orleans"] = True
        if baseline:
            bench.trees["baseline"] = benchlib.build_revision(rev)
            bench.silo_port["baseline"] = subprocess.run(["git", "-C", ROOT, "grep", "-q", "-e", "--silo-port", rev, "--", "silo/OrleansMount.Silo/Program.cs"]).returncode == 0
        bench.start_services()
        bench.dataset(n_files)
        if "start" in only:
            say(f"1. start-to-ready and idle RSS, {reps} repetitions")
            raw["start"] = bench.start_figures(variants)
        if only & {"kill", "join", "leave"}:
            s = bench.wait_ready(bench.start_silo("orleans", "lister"))
            bench.load_listing(s["api"])
            bench.stop_all([s])
        if "kill" in only:
            say(f"2. kill -9 of one silo of 3, {reps} repetitions")
            raw["kill"] = [bench.kill_figure(v, rep) for rep in range(1, reps + 1) for v in random.Random(50 + rep).sample(variants, len(variants))]
        if "join" in only:
            say(f"3. re-homing after a join, {reps} repetitions")
            raw["join"] = [bench.join_figure(rep, 300) for rep in range(1, reps + 1)]
        if "leave" in only:
            say(f"4. graceful stop (SIGTERM) of one silo of 3, {reps} repetitions")
            raw["leave"] = [bench.kill_figure(v, rep, graceful=True) for rep in range(1, reps + 1) for v in random.Random(70 + rep).sample(variants, len(variants))]
    finally:
        bench.procs.close()
        benchlib.remove_revision()
    raw["load_average"] = {"start": load0, "end": os.getloadavg()}
    benchlib.save(raw, "orleans", report, write_doc)


if __name__ == "__main__":
    main()
