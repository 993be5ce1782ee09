#!/usr/bin/env python3
"""Issue 4's cluster benchmark, one run, loopback only (./build.sh bench runs it; needs root and ./build.sh first).

  cluster-bench.py [--quick] [--reps R] [--no-doc] [--only peer|epochs]

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

Figure 1 also records the CPU seconds (user + system) of each process per GB read. `--only peer` (or `epochs`) runs one
figure and writes only WORK/cluster.json (`--report` renders a section from it).

Writes docs/benchmarks/cluster.json and the cluster-bench section of docs/benchmarks.md."""
import os, shutil, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import MiB, Cluster, die, drop_caches, http_json, read_all, say, summ, wait_until  # noqa: E402

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
        # CPU seconds of each process of the peer read (the owner's mount takes no part in it).
        pids = {"owner_silo": owner["proc"].pid, "requester_silo": requester["proc"].pid, "requester_mount": self.mount_pid(m_requester)}
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
                local_pids = [owner["proc"].pid, self.mount_pid(m_owner)]
                cpu0 = benchlib.cpu_seconds(local_pids)
                total, secs = read_all(m_owner, ks, cpus=cores["owner"])
                records.append({"fs": "warm_local", "mode": mode, "rep": rep, "bytes": total, "seconds": secs,
                                "cpu_seconds": {"silo_and_mount": benchlib.cpu_seconds(local_pids) - cpu0}})
                before = http_json(f"{requester['api']}/stats")
                drop_caches()
                cpu0 = {name: benchlib.cpu_seconds([pid]) for name, pid in pids.items()}
                total, secs = read_all(m_requester, ks, digests if rep == self.reps else None, cpus=cores["requester"])
                cpu = {name: benchlib.cpu_seconds([pid]) - cpu0[name] for name, pid in pids.items()}
                after = http_json(f"{requester['api']}/stats")
                records.append({"fs": "peer", "mode": mode, "rep": rep, "bytes": total, "seconds": secs,
                                "peer_bytes": after["peerBytes"] - before["peerBytes"],
                                "object_store_bytes": after["objectStoreBytes"] - before["objectStoreBytes"],
                                "cpu_seconds": cpu})
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


def cpu_lines(peer):
    """CPU seconds per GB read, per process, medians over the repetitions of each mode (runs that recorded them)."""
    rows = []
    for mode in ("shared", "pinned"):
        recs = [r for r in peer["records"] if r.get("mode", "shared") == mode and "cpu_seconds" in r]
        local = [r["cpu_seconds"]["silo_and_mount"] / (r["bytes"] / 1e9) for r in recs if r["fs"] == "warm_local"]
        remote = [r for r in recs if r["fs"] == "peer"]
        if not local or not remote:
            continue
        per = {k: statistics.median(r["cpu_seconds"][k] / (r["bytes"] / 1e9) for r in remote) for k in ("owner_silo", "requester_silo", "requester_mount")}
        rows.append(f"| {mode} | {statistics.median(local):.2f} | {per['owner_silo']:.2f} | {per['requester_silo']:.2f} | {per['requester_mount']:.2f} | {sum(per.values()):.2f} |")
    if not rows:
        return []
    return ["CPU seconds per GB read (user + system, `/proc/PID/stat`, medians): what each process spends on the figure above.", "",
            "| mode | warm local read: owner's silo + mount | peer read: owner's silo | requester's silo | requester's mount | peer read, total |",
            "|---|---|---|---|---|---|", *rows, ""]


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
    verdict1 = "PASS" if fig1["shared"][2]["median"] >= 0.5 else "MISS"
    ep = raw.get("epochs")
    if ep:
        ds = ep["dataset_bytes"]
        om, rc = ep["systems"]["orleansmount"], ep["systems"]["rclone"]
        verdict2 = "PASS" if abs(om[0]["store_bytes"] / ds - 1.0) <= 0.05 and rc[0]["store_bytes"] / ds >= 2.5 else "MISS"

    def x(b): return f"{b / ds:.2f}×"
    m = raw["machine"]
    lines = ["",
             f"## Cluster (issue 4): `tests/benchmarks/cluster-bench.py` ({m['mode']}, {m['reps']} repetitions, {m['date']}, commit {m['commit']})", "",
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}, .NET {m['dotnet']}" + (f", {m['rclone']}" if m['rclone'] else "") + ". "
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
             + (f"; pinned: {fig1['pinned'][2]['median']:.2f}×." if "pinned" in fig1 else "."), ""] + cpu_lines(peer) + [
             ]
    if "epochs" not in raw:
        lines += ["*Object-store bytes per epoch*: not run in this run (`--only peer`).", ""]
        benchlib.write_section(doc, BEGIN, END, lines)
        return
    lines += [
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
    args = benchlib.parse_args(__doc__, report, reps=3, only=(None, str))
    quick, reps, write_doc, only = args.quick, args.reps, args.write_doc, args.only
    if only is not None:
        if only not in ("peer", "epochs"): die(f"--only {only}: use peer or epochs")
        write_doc = False  # one figure never replaces the published section (--report renders it on purpose)
    benchlib.check_tools(*(("rclone",) if only != "peer" else ()))
    benchlib.fresh_work()
    bench = Bench(quick, reps)
    try:
        bench.start_services()
        raw = {"machine": benchlib.machine(quick, reps)}
        if only in (None, "peer"):
            raw["peer_read"] = bench.peer_read()
        if only in (None, "epochs"):
            raw["epochs"] = bench.epochs()
    finally:
        bench.procs.close()
    benchlib.save(raw, "cluster", report, write_doc)


if __name__ == "__main__":
    main()
