#!/usr/bin/env python3
"""Issue 19 item 1's check: the metadata walk (`find -type f` and `ls -lR` over a 100,000-file snapshot) with
RocksDB through the RocksDB 11.12 NuGet package against a baseline revision that bound Debian's librocksdb 7.8 by
hand, in the same run (loopback only; needs root, ./build.sh first and librocksdb7.8 for the baseline).

  metadata-bench.py [--baseline REV] [--reps R] [--quick] [--no-doc]

The baseline (default 604e79f, the last revision with the hand-written binding) is built into a git worktree
under the work directory. The tree (100,000 files of 64 B-1 KiB, `tNN/sNN/fNNNNNN.bin`, 1,000 per leaf directory;
--quick 20,000) is seeded once and imported once by this tree (its range SSTs are table format 5, which 7.8
ingests). Each variant gets its own single-node silo and cache directory; a first walk fetches and ingests the
range files. Then, for R repetitions, in a new shuffled order of variants each time, for each walk:
  cold   silo and mount stopped, page cache dropped, silo and mount started again (same cache directory: the
         node's RocksDB is on disk, its block cache and the kernel's caches are empty), the walk timed
  warm   the same walk again at once on that mount
Reported: median wall seconds (min-max) and the CPU seconds of the silo and mount processes during the walk.

Writes docs/benchmarks/metadata.json and the metadata-bench section of docs/benchmarks.md."""
import os, random, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import ROOT, Cluster, cpu_seconds, die, drop_caches, say, seed_tree, summ  # noqa: E402

BEGIN, END = "<!-- metadata-bench:begin -->", "<!-- metadata-bench:end -->"
WALKS = {"find": "find {mnt} -type f | wc -l", "ls -lR": "ls -lR {mnt} | grep -c '^-'"}


class Bench(Cluster):
    def start_node(self, v):
        v.update(benchlib.start_single_node(self.procs, self.env, v["name"], v["tree"], "mbench", "mbench", "4GiB"))

    def stop_node(self, v):
        benchlib.Procs.umount(v["mnt"])
        benchlib.Procs.stop(v["silo"])

    def walk(self, v, walk, expected):
        cpu0, t = cpu_seconds(v["pids"]), time.monotonic()
        out = subprocess.run(WALKS[walk].format(mnt=v["mnt"]), shell=True, check=True, capture_output=True, text=True).stdout
        secs, cpu = time.monotonic() - t, cpu_seconds(v["pids"]) - cpu0
        if int(out.strip()) != expected:
            die(f"{v['name']} {walk}: saw {out.strip()} files, expected {expected}")
        return secs, cpu

    def run(self, rev):
        n = 20_000 if self.quick else 100_000
        files = {f"ds/t{i // 10_000:02d}/s{i // 1000 % 10:02d}/f{i:06d}.bin": 64 + (i * 7919) % 961 for i in range(n)}
        os.makedirs(f"{benchlib.WORK}/s3/mbench")
        say(f"seeding {n:,} files")
        seed_tree(f"{benchlib.WORK}/s3/mbench", files)
        t = time.monotonic()
        self.import_snapshot("mbench", "mbench")
        say(f"imported in {time.monotonic() - t:.1f} s")
        baseline = benchlib.build_revision(rev)
        variants = [{"name": "before", "tree": baseline}, {"name": "after", "tree": ROOT}]
        for v in variants:
            self.start_node(v)
            secs, _ = self.walk(v, "find", n)
            say(f"  {v['name']}: first walk (fetched and ingested the range files) {secs:.2f} s")
        records = []
        rng = random.Random(19)
        for rep in range(1, self.reps + 1):
            for v in rng.sample(variants, len(variants)):
                for walk in WALKS:
                    self.stop_node(v)
                    drop_caches()
                    self.start_node(v)
                    for phase in ("cold", "warm"):
                        secs, cpu = self.walk(v, walk, n)
                        records.append({"variant": v["name"], "walk": walk, "phase": phase, "rep": rep, "seconds": secs, "cpu_seconds": cpu})
            say(f"  rep {rep}: " + ", ".join(f"{r['variant']} {r['walk']} {r['phase']} {r['seconds']:.2f} s" for r in records if r["rep"] == rep))
        return {"files": n, "baseline": rev, "records": records}


def report(raw, doc):
    m, run = raw["machine"], raw["run"]
    cells = {}
    for r in run["records"]:
        cells.setdefault((r["walk"], r["phase"], r["variant"]), []).append(r)
    lines = [
        "## Metadata walk: RocksDB package 11.12 against the hand-written 7.8 binding (issue 19, item 1)", "",
        f"`tests/benchmarks/metadata-bench.py` ({m['mode']} run, {m['date']}, commit {m['commit']}, {m['nproc']} cores shared with "
        f"other work, {m['reps']} repetitions, variants in a new shuffled order each repetition). `before` is revision {run['baseline']} "
        "(Debian's librocksdb 7.8 through the hand-written P/Invoke binding); `after` is this tree (the `RocksDB` 11.12 NuGet package "
        f"through its managed layer, decision 0016). {run['files']:,} files, 1,000 per leaf directory, one snapshot imported once "
        "and served by one single-node silo per variant. Cold: silo and mount restarted on the same cache directory with the page "
        "cache dropped; warm: the same walk again at once. Median (min–max) wall seconds; CPU = seconds of the silo and mount "
        "processes during the walk (median).", "",
        "| walk | phase | before s | after s | after ÷ before | CPU before | CPU after |",
        "|---|---|---|---|---|---|---|",
    ]
    for walk in WALKS:
        for phase in ("cold", "warm"):
            b, a = (summ([x["seconds"] for x in cells[(walk, phase, v)]]) for v in ("before", "after"))
            cb, ca = (summ([x["cpu_seconds"] for x in cells[(walk, phase, v)]]) for v in ("before", "after"))
            lines.append(f"| `{walk}` | {phase} | {b['median']:.3f} ({b['min']:.3f}–{b['max']:.3f}) | {a['median']:.3f} "
                         f"({a['min']:.3f}–{a['max']:.3f}) | **{a['median'] / b['median']:.2f}×** | {cb['median']:.2f} | {ca['median']:.2f} |")
    lines += ["", "Raw figures: [benchmarks/metadata.json](benchmarks/metadata.json)."]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("metadata-bench", os.environ.get("MBENCH_WORK", "/tmp/orleansmount-metadata-bench"))
    args = benchlib.parse_args(__doc__, report, reps=3, baseline=("604e79f", str))
    quick, reps, write_doc, rev = args.quick, args.reps, args.write_doc, args.baseline
    benchlib.check_tools()
    benchlib.fresh_work()
    bench = Bench(quick, reps)
    try:
        bench.start_services()
        raw = {"machine": benchlib.machine(quick, reps), "run": bench.run(rev)}
    finally:
        bench.procs.close()
        benchlib.remove_revision()
    benchlib.save(raw, "metadata", report, write_doc)


if __name__ == "__main__":
    main()
