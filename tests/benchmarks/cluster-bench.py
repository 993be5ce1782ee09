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
import os, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import MiB, Cluster, drop_caches, http_json, read_all, say, summ, wait_until  # noqa: E402

BEGIN, END = "<!-- cluster-bench:begin -->", "<!-- cluster-bench:end -->"



class Bench(Cluster):
    # ------------------------------------------------------------------ figure 1
    def peer_read(self):
        n = 4 if self.quick else 8
        # One set of files to warm the requester's code paths (JIT, connections) and one fresh set per
        # repetition, so each timed read is cold in the requester's cache but not in its process.
        modes = ("shared", "pinned")
        sets = ["warmup"] + [f"{mode}{rep}" for mode in modes for rep in range(1, self.reps + 1)]
        files = {f"ds/{s}/p{i:02d}.bin": 64 * MiB for s in sets for i in range(n)}
        digests = self.seed_and_import("peer", "peer", files)
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

    # ------------------------------------------------------------------ figure 2
    def epochs(self):
        n = 100 if self.quick else 300
        files = {f"ds/e{i:04d}.bin": MiB + (i % 7) * 65536 for i in range(n)}
        digests = self.seed_and_import("epoch", "epoch", files)
        keys = sorted(digests)
        dataset = sum(files.values())
        say(f"figure 2: object-store bytes per epoch, 3 nodes each reading {n} files ({dataset / MiB:.0f} MiB)")
        result = {"dataset_bytes": dataset, "files": n, "systems": {}}

        def run_epochs(system, mounts, silo_apis=()):
            return benchlib.run_epochs(self.store_counters, system, mounts, keys, digests, dataset, silo_apis)

        silos = [self.start_silo(f"node-{i}", "epoch", "4GiB", "epoch") for i in (1, 2, 3)]
        self.wait_members(silos)
        mounts = [self.mount(s, "epoch") for s in silos]
        result["systems"]["orleansmount"] = run_epochs("OrleansMount", mounts, [s["api"] for s in silos])
        for s, m in zip(silos, mounts):
            self.stop_node(s, m)

        rclone_env = benchlib.rclone_env(self.env, self.endpoint)
        mounts = []
        for i in (1, 2, 3):
            mnt, cache = f"{benchlib.WORK}/mnt-rclone-{i}", f"{benchlib.WORK}/rclone-cache-{i}"
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
    lines = ["",
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
             f"Target OrleansMount ≈ 1.0× against rclone ≈ 3.0×: **{verdict2}**.", ""]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("cluster-bench", os.environ.get("CBENCH_WORK", "/tmp/orleansmount-cluster-bench"))
    args = benchlib.parse_args(__doc__, report, reps=3)
    quick, reps, write_doc = args.quick, args.reps, args.write_doc
    benchlib.check_tools("rclone")
    benchlib.fresh_work()
    bench = Bench(quick, reps)
    try:
        bench.start_services()
        raw = {"machine": benchlib.machine(quick, reps), "peer_read": bench.peer_read(), "epochs": bench.epochs()}
    finally:
        bench.procs.close()
    benchlib.save(raw, "cluster", report, write_doc)


if __name__ == "__main__":
    main()
