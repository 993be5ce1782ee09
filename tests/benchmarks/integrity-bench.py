#!/usr/bin/env python3
"""Issue 17's cost figure: warm reads with per-block checksums verified on every read, against a baseline
revision, in the same run (loopback only; needs root and ./build.sh first).

  integrity-bench.py [--baseline REV] [--reps R] [--block-sizes 16KiB,64KiB,256KiB] [--quick] [--no-doc]

The baseline (default 14d2255, the last revision with chunk file format 1: one CRC32C per chunk, checked once
per process) is built into a git worktree under the work directory. Each variant (the baseline, and this tree
once per block size, set through ORLEANSMOUNT_CHUNK_BLOCK_SIZE) gets its own silo (single node), cache and
kernel mount over the same s3rver bucket, and reads everything once cold. Then, for R repetitions, in a new
shuffled order of variants each time, with the page cache dropped before each phase:
  small   every small file (2,000 x 128 KiB; --quick 500), 8 reader threads
  large   one large file (1 GiB; --quick 256 MiB) read sequentially, 1 MiB reads
  random  2,000 random 4 KiB-aligned 4 KiB reads of the large file, one thread
Reported per variant: median MB/s (ops/s for random) and the CPU seconds the mount and silo processes used per
GB read (steadier than wall time on a loaded 2-core machine), and the ratio to the baseline.

Writes docs/benchmarks/integrity.json and the integrity-bench section of docs/benchmarks.md."""
import os, random, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import MiB, ROOT, Cluster, cpu_seconds, drop_caches, read_all, say, seed, summ  # noqa: E402

BEGIN, END = "<!-- integrity-bench:begin -->", "<!-- integrity-bench:end -->"


class Bench(Cluster):
    def start_variant(self, name, tree, env_extra, snapshot):
        return benchlib.start_single_node(self.procs, {**self.env, **env_extra}, name, tree, "ibench", snapshot, "8GiB")

    def run(self, rev, block_sizes):
        n_small, large = (500, 256 * MiB) if self.quick else (2000, 1024 * MiB)
        files = {f"ds/small/f{i:05d}.bin": 128 * 1024 for i in range(n_small)}
        files["ds/large.bin"] = large
        os.makedirs(f"{benchlib.WORK}/s3/ibench")
        say(f"seeding {n_small} x 128 KiB and one {large // MiB} MiB file")
        digests = {k[3:]: v for k, v in seed(f"{benchlib.WORK}/s3/ibench", files).items()}
        self.import_snapshot("ibench", "ibench")
        small_keys = sorted(k for k in digests if k.startswith("small/"))
        baseline = benchlib.build_revision(rev)
        # The baseline reads only what its own importer wrote (older entry formats): a snapshot of its own, same objects.
        subprocess.run([f"{baseline}/{benchlib.CLIENT_EXE}", "import", "s3://ibench/ds", "--snapshot", "ibench-baseline"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        variants = [self.start_variant("before", baseline, {}, "ibench-baseline")]
        variants += [self.start_variant(f"after-{b}", ROOT, {"ORLEANSMOUNT_CHUNK_BLOCK_SIZE": b}, "ibench") for b in block_sizes]
        for v in variants:
            t = time.monotonic()
            read_all(v["mnt"], list(digests), digests, threads=4)  # cold, every byte checked against the data set
            say(f"  {v['name']}: cold read (filled the cache) in {time.monotonic() - t:.1f} s")
        records = []
        rng = random.Random(17)
        for rep in range(1, self.reps + 1):
            for v in rng.sample(variants, len(variants)):
                for phase in ("small", "large", "random"):
                    drop_caches()
                    cpu0, t = cpu_seconds(v["pids"]), time.monotonic()
                    if phase == "small":
                        nbytes, _ = read_all(v["mnt"], small_keys, threads=8)
                    elif phase == "large":
                        nbytes, _ = read_all(v["mnt"], ["large.bin"], threads=1)
                    else:
                        nbytes = self.random_reads(f"{v['mnt']}/large.bin", large, rng)
                    secs, cpu = time.monotonic() - t, cpu_seconds(v["pids"]) - cpu0
                    records.append({"variant": v["name"], "phase": phase, "rep": rep, "bytes": nbytes, "seconds": secs, "cpu_seconds": cpu})
            say(f"  rep {rep}: " + ", ".join(f"{r['variant']} {r['phase']} {r['bytes'] / r['seconds'] / 1e6:.0f} MB/s"
                                           for r in records if r["rep"] == rep))
        return {"small_files": n_small, "small_bytes": 128 * 1024, "large_bytes": large, "random_reads": 2000,
                "baseline": rev, "block_sizes": block_sizes, "records": records}

    @staticmethod
    def random_reads(path, size, rng):
        fd = os.open(path, os.O_RDONLY)
        try:
            for _ in range(2000):
                os.pread(fd, 4096, rng.randrange(size // 4096) * 4096)
        finally:
            os.close(fd)
        return 2000 * 4096


def figures(raw):
    out = {}
    for r in raw["run"]["records"]:
        out.setdefault((r["variant"], r["phase"]), []).append(r)
    table = {}
    for (variant, phase), rs in out.items():
        rate = summ([x["bytes"] / x["seconds"] / 1e6 for x in rs])
        cpu = summ([x["cpu_seconds"] / (x["bytes"] / 1e9) for x in rs])
        table[(variant, phase)] = (rate, cpu)
    return table


def report(raw, doc):
    m, run = raw["machine"], raw["run"]
    table = figures(raw)
    variants = ["before"] + [f"after-{b}" for b in run["block_sizes"]]
    lines = [
        "## Integrity: per-block checksums verified on every read (issue 17)", "",
        f"`tests/benchmarks/integrity-bench.py` ({m['mode']} run, {m['date']}, commit {m['commit']}, {m['nproc']} cores, "
        f"{m['reps']} repetitions, variants in a new shuffled order each repetition, page cache dropped before every phase). "
        f"`before` is revision {run['baseline']} (chunk file format 1: one CRC32C per chunk, checked once per process); `after-B` is "
        "this tree writing blocks of B (format 2, every block a read returns checked on every read). Each variant has its own "
        "silo, cache and kernel mount over the same s3rver bucket, and read everything once cold before the timed phases. "
        f"Phases: {run['small_files']:,} × {run['small_bytes'] // 1024} KiB files with 8 readers; one {run['large_bytes'] // MiB} MiB "
        f"file sequentially; {run['random_reads']:,} random 4 KiB reads of that file. Medians (min–max); CPU = seconds of the "
        "mount and silo processes per GB read.", "",
        "| variant | small files MB/s | vs before | CPU s/GB | large sequential MB/s | vs before | CPU s/GB | random 4 KiB MB/s | vs before |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for v in variants:
        cells = [f"`{v}`"]
        for phase in ("small", "large", "random"):
            rate, cpu = table[(v, phase)]
            base = table[("before", phase)][0]["median"]
            cells.append(f"{rate['median']:.0f} ({rate['min']:.0f}–{rate['max']:.0f})")
            cells.append(f"{rate['median'] / base:.3f}×")
            if phase != "random":
                cells.append(f"{cpu['median']:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Raw figures: [benchmarks/integrity.json](benchmarks/integrity.json)."]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("integrity-bench", os.environ.get("IBENCH_WORK", "/tmp/orleansmount-integrity-bench"))
    args = benchlib.parse_args(__doc__, report, reps=5, baseline=("14d2255", str),
                               block_sizes=(["16KiB", "64KiB", "256KiB"], lambda v: v.split(",")))
    quick, reps, write_doc, rev, blocks = args.quick, args.reps, args.write_doc, args.baseline, args.block_sizes
    benchlib.check_tools()
    benchlib.fresh_work()
    bench = Bench(quick, reps)
    try:
        bench.start_services()
        raw = {"machine": benchlib.machine(quick, reps), "run": bench.run(rev, blocks)}
    finally:
        bench.procs.close()
        benchlib.remove_revision()
    benchlib.save(raw, "integrity", report, write_doc)


if __name__ == "__main__":
    main()
