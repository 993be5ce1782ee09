#!/usr/bin/env python3
"""Issue 5's benchmarks, one run, loopback only, s3rver behind the latency proxy (./build.sh bench runs it;
needs root and ./build.sh first).

  prefetch-bench.py [--quick] [--reps R] [--ttfb-ms 20] [--bandwidth-mbps 800] [--no-doc]

The proxy holds every response's first byte until --ttfb-ms after the request (default 20, the issue's figure)
and streams each response at most --bandwidth-mbps megabits per second (default 800 = 100 MB/s per request, a
plain S3 GET's order of magnitude), so a request costs what it would against a real object store, and
parallel requests add up until s3rver itself (single-threaded Node) is the limit.

Figure A, prefetch vs a sequential download: `orleansmount prefetch NAME --wait` on a fresh 3-silo cluster
(empty caches) against GetBench downloading the same objects one after another with the SDK.
Figure B, readahead: a cold sequential read (1 MiB reads) of one large file through a fresh mount and silo,
with readahead (the default, 4 chunks) and with `--readahead 0`.
Figure C, epochs after prefetch: 3 silos + 3 mounts, the whole data set prefetched (plain, and --every-node), then three data-parallel
epochs (each node reads its third of the files, a new shuffled assignment each epoch); the first epoch after the
prefetch against the later, warm ones; and, for scale, a cold first epoch on a fresh cluster without prefetch.

Writes docs/benchmarks/prefetch.json and the prefetch-bench section of docs/benchmarks.md."""
import json, os, random, statistics, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import GETBENCH, GETBENCH_DIR, MiB, OM, Cluster, die, drop_caches, http_json, read_all, read_file, say, summ  # noqa: E402

BEGIN, END = "<!-- prefetch-bench:begin -->", "<!-- prefetch-bench:end -->"
STATS_KEYS = ("objectStoreBytes", "peerBytes", "localHits", "peerFetches")


class Bench(Cluster):
    def __init__(self, quick, reps):
        super().__init__(quick, reps)
        self.generation = 0  # every cluster gets a cluster name of its own, so no run sees another's members

    def cluster(self, bucket, count=3, cache="16GiB", extra=()):
        silos = [self.start_silo(f"{bucket}-{i}", bucket, cache, f"{bucket}-{self.generation}", extra) for i in range(1, count + 1)]
        self.generation += 1
        self.wait_members(silos)
        return silos

    def stop_all(self, silos, mounts=()):
        for m in mounts:
            benchlib.Procs.umount(m)
        for s in silos:
            benchlib.Procs.stop(s["proc"])

    def store_get_bytes(self):
        c = self.store_counters()
        return c["getRequests"], c["getBytes"]

    # ------------------------------------------------------------------ figure A
    def prefetch_vs_download(self):
        n = 16 if self.quick else 64
        files = {f"ds/obj{i:03d}.bin": 32 * MiB for i in range(n)}
        self.seed_and_import("pfb", "pf", files)
        total = sum(files.values())
        say(f"figure A: prefetch of {total / MiB:.0f} MiB ({n} objects) across 3 silos vs one sequential SDK download")
        records = []
        for rep in range(1, self.reps + 1):
            out = subprocess.run([GETBENCH, "pfb", *files], env=self.env, check=True, capture_output=True, text=True).stdout
            sdk = json.loads(out.strip().splitlines()[-1])
            if sdk["bytes"] != total:
                die(f"GetBench read {sdk['bytes']} bytes, expected {total}")
            records.append({"kind": "sdk_sequential", "rep": rep, "bytes": sdk["bytes"], "seconds": sdk["seconds"]})
            silos = self.cluster("pfb")
            gets0, bytes0 = self.store_get_bytes()
            t = time.monotonic()
            subprocess.run([OM, "prefetch", "pf", "--wait", "--silo", silos[0]["sock"]], env=self.env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            secs = time.monotonic() - t
            gets1, bytes1 = self.store_get_bytes()
            fetched = [http_json(f"{s['api']}/stats")["objectStoreBytes"] for s in silos]
            records.append({"kind": "prefetch", "rep": rep, "bytes": total, "seconds": secs, "store_gets": gets1 - gets0,
                            "store_bytes": bytes1 - bytes0, "silo_fetched_bytes": fetched})
            self.stop_all(silos)
            say(f"  rep {rep}: SDK sequential {sdk['seconds']:.1f} s, prefetch {secs:.1f} s "
                f"({(bytes1 - bytes0) / total:.2f}x the selection from the object store, per silo {[round(b / MiB) for b in fetched]} MiB)")
        return {"bytes": total, "objects": n, "object_bytes": 32 * MiB, "records": records}

    # ------------------------------------------------------------------ figure B
    def readahead(self):
        size = (256 if self.quick else 1024) * MiB
        digests = self.seed_and_import("rab", "ra", {"ds/big.bin": size})
        say(f"figure B: cold sequential read of one {size / MiB:.0f} MiB file, readahead 4 chunks vs none")
        records = []
        for rep in range(1, self.reps + 1):
            for window in (4, 0):
                silo = self.start_silo("ra", "rab", "16GiB", f"ra-{self.generation}")
                self.generation += 1
                mnt = self.mount(silo, "ra", ["--readahead", str(window)])
                drop_caches()
                t = time.monotonic()
                n = read_file(os.path.join(mnt, "big.bin"), digests["big.bin"] if rep == self.reps else None)
                secs = time.monotonic() - t
                ra = http_json(f"{silo['api']}/stats")["readahead"]
                records.append({"readahead": window, "rep": rep, "bytes": n, "seconds": secs, "chunks_filled_ahead": ra["chunksFilled"]})
                self.stop_all([silo], [mnt])
                say(f"  rep {rep}, readahead {window}: {n / secs / 1e6:.0f} MB/s ({ra['chunksFilled']} chunks filled ahead)")
        return {"bytes": size, "records": records}

    # ------------------------------------------------------------------ figure C
    def epochs(self):
        n = 150 if self.quick else 1500
        files = {f"ds/s{i % 10}/f{i:04d}.bin": MiB + (i % 5) * 131072 for i in range(n)}
        digests = self.seed_and_import("epb", "ep", files)
        keys = sorted(digests)
        total = sum(files.values())
        say(f"figure C: data-parallel epochs over {n} files ({total / MiB:.0f} MiB) on 3 nodes, after a prefetch and without")

        def run_epoch(epoch, silos, mounts):
            order = random.Random(epoch).sample(keys, len(keys))
            shards = [order[i::3] for i in range(3)]
            before = [http_json(f"{s['api']}/stats") for s in silos]
            gets0, bytes0 = self.store_get_bytes()
            drop_caches()
            t = time.monotonic()
            with ThreadPoolExecutor(3) as pool:
                list(pool.map(lambda i: read_all(mounts[i], shards[i], digests, threads=2), range(3)))
            secs = time.monotonic() - t
            gets1, bytes1 = self.store_get_bytes()
            after = [http_json(f"{s['api']}/stats") for s in silos]
            rec = {"epoch": epoch, "seconds": secs, "store_gets": gets1 - gets0, "store_bytes": bytes1 - bytes0}
            for k in STATS_KEYS:
                rec[k] = sum(a[k] - b[k] for a, b in zip(after, before))
            say(f"    epoch {epoch}: {secs:.2f} s, object store {rec['store_bytes'] / MiB:.0f} MiB, from peers {rec['peerBytes'] / MiB:.0f} MiB")
            return rec

        runs = []
        for rep in range(1, self.reps + 1):
            for mode in ("every-node", "prefetch", "cold"):
                silos = self.cluster("epb")
                mounts = [self.mount(s, "ep") for s in silos]
                for m in mounts:  # every node's metadata in place before anything is timed (a full walk)
                    if sum(len(f) for _, _, f in os.walk(m)) != n:
                        die(f"{m} does not list the {n} files of the snapshot")
                prefetch_secs = None
                if mode != "cold":
                    t = time.monotonic()
                    subprocess.run([OM, "prefetch", "ep", "--wait", "--silo", silos[0]["sock"]] + (["--every-node"] if mode == "every-node" else []),
                                   env=self.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    prefetch_secs = time.monotonic() - t
                say(f"  rep {rep}, {mode}" + (f" (prefetch took {prefetch_secs:.1f} s)" if prefetch_secs else ""))
                epochs = [run_epoch(e, silos, mounts) for e in ((1, 2, 3) if mode != "cold" else (1,))]
                runs.append({"mode": mode, "rep": rep, "prefetch_seconds": prefetch_secs, "epochs": epochs})
                self.stop_all(silos, mounts)
        return {"bytes": total, "files": n, "runs": runs}


def report(raw, doc):
    m = raw["machine"]
    a, b, c = raw["prefetch"], raw["readahead"], raw["epochs"]
    sdk = [r["seconds"] for r in a["records"] if r["kind"] == "sdk_sequential"]
    pf = [r["seconds"] for r in a["records"] if r["kind"] == "prefetch"]
    speedup = summ([s / p for s, p in zip(sdk, pf)])
    store_x = summ([r["store_bytes"] / a["bytes"] for r in a["records"] if r["kind"] == "prefetch"])
    ra_on = [r["bytes"] / r["seconds"] / 1e6 for r in b["records"] if r["readahead"] > 0]
    ra_off = [r["bytes"] / r["seconds"] / 1e6 for r in b["records"] if r["readahead"] == 0]
    ra_x = summ([x / y for x, y in zip(ra_on, ra_off)])
    def runs(mode):
        return [r for r in c["runs"] if r["mode"] == mode]
    # The warm epoch: epochs 2 and 3 of the every-node runs: every chunk on every node's disk and already read once
    # through that node's mount (the steady state data-parallel epochs reach once each node has read every file).
    warm = [statistics.median(e["seconds"] for e in r["epochs"][1:]) for r in runs("every-node")]
    first_x = {mode: summ([r["epochs"][0]["seconds"] / w for r, w in zip(runs(mode), warm)]) for mode in ("every-node", "prefetch", "cold")}
    best = min(("every-node", "prefetch"), key=lambda mode: first_x[mode]["median"])

    def s3(v, fmt="{:.1f}"):
        return f"{fmt.format(v['min'])} / **{fmt.format(v['median'])}** / {fmt.format(v['max'])}"

    def verdict(ok):
        return "PASS" if ok else "MISS"

    lines = ["",
             f"## Prefetch, readahead and epochs (issue 5): `tests/benchmarks/prefetch-bench.py` ({m['mode']}, {m['reps']} repetitions, {m['date']}, commit {m['commit']})", "",
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}, .NET {m['dotnet']}. s3rver behind the latency proxy: "
             f"**{raw['ttfb_ms']} ms to the first byte of every response, {raw['bandwidth_mbps']} Mbit/s per response** (0 = unlimited); redis-server, silos and "
             "mounts on loopback. Figures are min / **median** / max over the repetitions.", "",
             "### Targets", "",
             f"- **{verdict(speedup['median'] >= 2)}** — prefetch of {a['bytes'] / MiB:,.0f} MiB across 3 silos ≥ 2× faster than one sequential SDK download of the same objects: "
             f"**{speedup['median']:.2f}×**.",
             f"- **{verdict(ra_x['median'] >= 1.5)}** — cold sequential read of a {b['bytes'] / MiB:,.0f} MiB file with readahead ≥ 1.5× without: **{ra_x['median']:.2f}×**.",
             f"- **{verdict(first_x[best]['median'] <= 1.10)}** — first epoch after prefetch within 10% of a warm epoch: **{first_x[best]['median']:.2f}×** the warm epoch's time "
             f"with `prefetch {'--every-node' if best == 'every-node' else ''}`"
             + (f" ({first_x['prefetch']['median']:.2f}× after a plain prefetch, whose chunks sit on their owners only)." if best == "every-node" else "."), "",
             f"### A. Prefetch vs a sequential download ({a['objects']} objects of {a['object_bytes'] // MiB} MiB)", "",
             "`orleansmount prefetch NAME --wait` (default concurrency: 4 chunks in flight per owner) on a fresh cluster of 3 silos with empty caches, "
             "timed from the command's start to its exit; GetBench (`tests/benchmarks/GetBench`, AWSSDK.S3) GETs each whole object, one after another.", "",
             "| | seconds | MB/s |", "|---|---|---|",
             f"| SDK, sequential | {s3(summ(sdk), '{:.2f}')} | {a['bytes'] / statistics.median(sdk) / 1e6:.0f} |",
             f"| prefetch, 3 silos | {s3(summ(pf), '{:.2f}')} | {a['bytes'] / statistics.median(pf) / 1e6:.0f} |",
             f"| speed-up | {s3(speedup, '{:.2f}')}× | |", "",
             f"Object-store bytes of a prefetch ÷ the selection (counted at the proxy): {s3(store_x, '{:.3f}')}; every chunk was read once, by its owner.", "",
             f"### B. Cold sequential read of one {b['bytes'] / MiB:,.0f} MiB file (MB/s)", "",
             "A fresh silo on an empty cache directory and a fresh mount for every read, page cache dropped, one reader with 1 MiB reads.", "",
             "| mount | MB/s |", "|---|---|",
             f"| `--readahead 4` (default) | {s3(summ(ra_on), '{:.0f}')} |",
             f"| `--readahead 0` | {s3(summ(ra_off), '{:.0f}')} |",
             f"| ratio | {s3(ra_x, '{:.2f}')}× |", "",
             f"### C. Data-parallel epochs on 3 nodes ({c['files']} files, {c['bytes'] / MiB:,.0f} MiB)", "",
             "Each epoch every node reads its third of the files (a new shuffled assignment each epoch, 2 readers per node, page cache dropped "
             "before each epoch), each run on a fresh cluster. *every-node*: `prefetch --every-node` first (each silo keeps a copy), then epochs 1–3; "
             "*prefetch*: a plain `prefetch` (each chunk on its owner only), then epochs 1–3, a node reading other owners' chunks from them and keeping "
             "near copies; *cold*: epoch 1 without any prefetch. The warm epoch is the median of epochs 2 and 3 of the same repetition's *every-node* "
             "run: every chunk local and already read once through the node's mount, the steady state of data-parallel epochs.", "",
             "| run | epoch | seconds | object store MiB | from peers MiB | prefetch took (s) |", "|---|---|---|---|---|---|"]
    for r in c["runs"]:
        for e in r["epochs"]:
            took = f"{r['prefetch_seconds']:.1f}" if r["prefetch_seconds"] and e["epoch"] == 1 else ""
            lines.append(f"| {r['mode']} (rep {r['rep']}) | {e['epoch']} | {e['seconds']:.2f} | {e['store_bytes'] / MiB:.0f} | {e['peerBytes'] / MiB:.0f} | {took} |")
    lines += ["",
              "First epoch ÷ warm epoch: " + "; ".join(f"{mode} {s3(first_x[mode], '{:.2f}')}×" for mode in ("every-node", "prefetch", "cold")) + ".", "",
              "Raw figures: [docs/benchmarks/prefetch.json](benchmarks/prefetch.json).", ""]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("prefetch-bench", os.environ.get("PBENCH_WORK", "/tmp/orleansmount-prefetch-bench"))
    args = benchlib.parse_args(__doc__, report, reps=None, ttfb_ms=(20, int), bandwidth_mbps=(800, int))
    quick, write_doc, ttfb, bandwidth = args.quick, args.write_doc, args.ttfb_ms, args.bandwidth_mbps
    reps = args.reps or (2 if quick else 3)
    benchlib.check_tools()
    subprocess.run(["dotnet", "build", f"{GETBENCH_DIR}/GetBench.csproj", "-c", "Release", "-nologo", "-clp:ErrorsOnly", "-v:quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    benchlib.fresh_work()
    bench = Bench(quick, reps)
    try:
        bench.start_services(ttfb_ms=ttfb, bandwidth_mbps=bandwidth)
        raw = {"machine": benchlib.machine(quick, reps), "ttfb_ms": ttfb, "bandwidth_mbps": bandwidth,
               "prefetch": bench.prefetch_vs_download(), "readahead": bench.readahead(), "epochs": bench.epochs()}
    finally:
        bench.procs.close()
    benchlib.save(raw, "prefetch", report, write_doc)


if __name__ == "__main__":
    main()
