#!/usr/bin/env python3
"""Issue 21's training-reader benchmark: what a PyTorch-style training job sees on OrleansMount, rclone
(--vfs-cache-mode full), s3fs, libfuse's passthrough_ll and local disk, side by side in one run on one generated
ImageFolder-shaped dataset, loopback only (./build.sh bench --suite runs it after suite-bench.py; needs root).

  train-bench.py [--quick] [--reps R] [--workers W] [--only SYSTEM,...] [--no-doc] [--report RAW.json]

The reader does what torchvision's ImageFolder and a DataLoader with W worker processes do, without torch: the
index (os.walk of the class directories, names sorted, no stat), then an epoch in a shuffled order, in batches of
16 indices handed to W worker processes (at most 2 batches per worker in flight, like prefetch_factor=2); each
worker opens, reads and closes its files and checks every file's SHA-256 against the dataset's (the CPU a decoder
would spend, the same on every system). Per system and repetition, on a fresh file system (OrleansMount: a fresh
silo on an empty cache directory; rclone and s3fs: a fresh cache directory) with the page cache dropped:
  index  the ImageFolder walk, cold;
  cold   the first epoch;
  warm   a second epoch in another order, the page cache dropped first (the file system's own cache is warm);
and for OrleansMount once more on a fresh silo and mount: `orleansmount prefetch NAME --wait --every-node`, the
page cache dropped, the index (timed apart, as index_after_prefetch), then one epoch (after_prefetch). The remote systems' cold epoch is measured once more behind
the 20 ms latency proxy. Sizes: 2,000 files (20 classes, 100-220 KiB, ~160 KiB mean), 3 repetitions, 4 workers;
--quick 500 files and 2 repetitions.
Writes docs/benchmarks/train.json and the train-bench section of docs/benchmarks.md."""
import hashlib, importlib.util, json, multiprocessing, os, random, shutil, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import MiB, die, drop_caches, say  # noqa: E402

_spec = importlib.util.spec_from_file_location("suite_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite-bench.py"))
suite_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite_bench)

BEGIN, END = "<!-- train-bench:begin -->", "<!-- train-bench:end -->"
SYSTEMS = ("local", "passthrough_ll", "orleansmount", "rclone", "s3fs")
REMOTE = ("orleansmount", "rclone", "s3fs")
LABEL = suite_bench.LABEL
SIZES = {"full": (2_000, 3), "quick": (500, 2)}
CLASSES = 20
BATCH = 16
EXTENSIONS = (".jpg", ".jpeg", ".png")

_digests = {}  # inherited by the forked workers


def index(root):
    """torchvision.datasets.ImageFolder's make_dataset: classes sorted, files found by os.walk, sorted, by extension."""
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    samples = []
    for ci, c in enumerate(classes):
        for d, _, names in sorted(os.walk(os.path.join(root, c), followlinks=True)):
            for n in sorted(names):
                if n.lower().endswith(EXTENSIONS):
                    samples.append((os.path.join(d, n), ci))
    return samples


def load_batch(batch):
    """One worker's batch: each sample opened, read whole and checked. Returns (files, bytes, wrong paths)."""
    n, wrong = 0, []
    for path, key in batch:
        with open(path, "rb", buffering=0) as f:
            data = f.read()
        n += len(data)
        if hashlib.sha256(data).hexdigest() != _digests[key]:
            wrong.append(path)
    return len(batch), n, wrong


def epoch(samples, root, seed, workers):
    """One shuffled epoch over samples by `workers` processes; returns (files, bytes, seconds)."""
    order = random.Random(seed).sample(samples, len(samples))
    batches = [[(p, os.path.relpath(p, root)) for p, _ in order[i:i + BATCH]] for i in range(0, len(order), BATCH)]
    files = total = 0
    t = time.monotonic()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for n, b, wrong in pool.imap_unordered(load_batch, batches, chunksize=1):
            if wrong:
                die(f"BUG: bytes of {wrong[0]} differ from the dataset")
            files += n; total += b
    return files, total, time.monotonic() - t


class Train(suite_bench.Suite):
    def __init__(self, mode, reps, workers):
        super().__init__(mode, reps)
        self.n_files, _ = SIZES[mode]
        self.workers = workers

    def seed(self):
        w = benchlib.WORK
        bucket, self.local = f"{w}/s3/{suite_bench.BUCKET}", f"{w}/local"
        files = {f"train/c{i % CLASSES:03d}/img_{i:06d}.jpg": 100 * 1024 + (i * 7919) % (120 * 1024) for i in range(self.n_files)}
        t = time.monotonic()
        global _digests
        _digests = {k[len("train/"):]: v for k, v in benchlib.seed_tree(bucket, files, self.local, digest_keys=set(files)).items()}
        self.dataset_bytes = sum(files.values())
        self.seed_seconds = time.monotonic() - t
        say(f"seeded {len(files):,} files ({self.dataset_bytes / MiB:.0f} MiB) in {self.seed_seconds:.1f} s")
        t = time.monotonic()
        with open(f"{w}/import-train.log", "wb") as log:
            if subprocess.run([benchlib.OM, "import", f"s3://{suite_bench.BUCKET}/train", "--snapshot", "train"], env=self.env,
                              stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                die(f"import of train failed (see {w}/import-train.log)")
        self.import_seconds = {"train": round(time.monotonic() - t, 2)}
        self.pll = benchlib.build_passthrough_ll(f"{w}/pll")

    def run_epoch(self, root, seed):
        files, total, secs = epoch(index(root), root, seed, self.workers)
        if files != self.n_files or total != self.dataset_bytes:
            die(f"an epoch over {root} read {files} files and {total} B, expected {self.n_files} and {self.dataset_bytes}")
        return secs

    def measure(self, systems):
        recs = []

        def add(system, variant, phase, rep, secs):
            recs.append({"system": system, "variant": variant, "phase": phase, "rep": rep, "files": self.n_files, "seconds": secs})
            say(f"  train {variant:<6} {system:<14} {phase:<14} rep {rep}: {secs:6.2f} s"
                + ("" if phase == "index" else f", {self.n_files / secs:7.1f} samples/s"))

        for rep in range(1, self.reps + 1):
            for system in systems:
                root, _, close = self.open_fs(system, "train")
                try:
                    drop_caches()
                    t = time.monotonic()
                    found = len(index(root))
                    add(system, "direct", "index", rep, time.monotonic() - t)
                    if found != self.n_files:
                        die(f"the index of {root} ({system}) found {found} files, expected {self.n_files}")
                    add(system, "direct", "cold", rep, self.run_epoch(root, rep * 10 + 1))
                    drop_caches()
                    add(system, "direct", "warm", rep, self.run_epoch(root, rep * 10 + 2))
                finally:
                    close()
                if system == "orleansmount":
                    root, _, close = self.open_fs(system, "train")
                    sock = f"{benchlib.WORK}/om-{self.serial}.sock"  # open_fs's silo of this serial
                    try:
                        t = time.monotonic()
                        subprocess.run([benchlib.OM, "prefetch", "train", "--wait", "--every-node", "--silo", sock], env=self.env,
                                       check=True, stdout=subprocess.DEVNULL)
                        say(f"  prefetch --every-node took {time.monotonic() - t:.1f} s")
                        drop_caches()
                        # The job's own index first, as before its cold epoch: a training job builds its ImageFolder
                        # index before any epoch (timed apart; the warm epoch it is compared with also follows one).
                        t = time.monotonic()
                        index(root)
                        add(system, "direct", "index_after_prefetch", rep, time.monotonic() - t)
                        add(system, "direct", "after_prefetch", rep, self.run_epoch(root, rep * 10 + 3))
                    finally:
                        close()
        for system in (s for s in systems if s in REMOTE):  # once, behind the 20 ms proxy: the cold epoch
            root, _, close = self.open_fs(system, "train", "proxy")
            try:
                drop_caches()
                add(system, "proxy", "cold", 1, self.run_epoch(root, 7))
            finally:
                close()
        return recs


# ---------------------------------------------------------------------- report
def med(recs, **match):
    v = [r["seconds"] for r in recs if all(r.get(k) == x for k, x in match.items())]
    return statistics.median(v) if v else None


def report(raw, doc):
    recs, n, m = raw["records"], raw["files"], raw["machine"]
    systems = [s for s in SYSTEMS if any(r["system"] == s for r in recs)]

    def rate(system, phase, variant="direct"):
        s = med(recs, system=system, phase=phase, variant=variant)
        return n / s if s else None

    def cell(v, f="{:,.0f}"):
        return "—" if v is None else f.format(v)

    lines = [f"### Training reader (issue 21): `tests/benchmarks/train-bench.py` ({m['mode']}, {raw['reps']} repetitions, "
             f"{m['date']}, commit {m['commit']})", "",
             f"An ImageFolder-shaped dataset of {n:,} files in {CLASSES} class directories ({raw['dataset_bytes'] / MiB:.0f} MiB, "
             f"100-220 KiB each) in s3rver, read like torchvision's ImageFolder and a DataLoader with {raw['workers']} worker "
             f"processes: the index (os.walk, names sorted), then shuffled epochs in batches of {BATCH}, every file's SHA-256 "
             "checked by its worker. Each repetition starts on a fresh file system with an empty cache and the page cache "
             "dropped; *warm* is a second epoch after dropping the page cache (the file system's own cache warm); "
             "*after prefetch* is OrleansMount on a fresh silo after `orleansmount prefetch train --wait --every-node`, page "
             "cache dropped, then the index (not timed in the epoch; runs before this column's method had none, so every "
             "first lookup of the epoch was a silo round trip), then the epoch. Medians; samples per second (higher is better), index in seconds.", "",
             "| system | index, cold (s) | cold epoch | warm epoch | after prefetch | cold epoch, 20 ms proxy |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in systems:
        lines.append(f"| {LABEL[s]} | {cell(med(recs, system=s, phase='index'), '{:.2f}')} | {cell(rate(s, 'cold'))} | "
                     f"{cell(rate(s, 'warm'))} | {cell(rate(s, 'after_prefetch'))} | {cell(rate(s, 'cold', 'proxy'))} |")
    lines.append("")

    def verdict(ok):
        return "PASS" if ok else "MISS"

    om_cold, om_warm, om_pf = rate("orleansmount", "cold"), rate("orleansmount", "warm"), rate("orleansmount", "after_prefetch")
    if om_cold and rate("rclone", "cold"):
        x = om_cold / rate("rclone", "cold")
        lines.append(f"- **{verdict(x >= 1.5)}** cold epoch ≥ 1.5× rclone's: **{x:.2f}×** ({om_cold:,.0f} against {rate('rclone', 'cold'):,.0f} samples/s)"
                     + (f"; behind the 20 ms proxy {rate('orleansmount', 'cold', 'proxy') / rate('rclone', 'cold', 'proxy'):.2f}×"
                        if rate("orleansmount", "cold", "proxy") and rate("rclone", "cold", "proxy") else "") + ".")
    if om_warm and rate("passthrough_ll", "warm"):
        x = om_warm / rate("passthrough_ll", "warm")
        lines.append(f"- **{verdict(x >= 0.8)}** warm epoch ≥ 0.8× passthrough_ll's: **{x:.2f}×** ({om_warm:,.0f} against "
                     f"{rate('passthrough_ll', 'warm'):,.0f} samples/s; local disk {cell(rate('local', 'warm'))}).")
    if om_warm and om_pf:
        x = om_warm / om_pf
        lines.append(f"- **{verdict(x <= 1.10)}** epoch after `prefetch --every-node` ≤ 1.10× the warm epoch's time: **{x:.2f}×**.")
    lines += ["", f"Setup: seeding {raw['seed_seconds']:.0f} s, import {raw['import_seconds']['train']:.1f} s; the whole run "
              f"{raw['seconds'] / 60:.1f} min. Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}. "
              "Raw figures: [docs/benchmarks/train.json](benchmarks/train.json)."]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("train-bench", os.environ.get("TBENCH_WORK", "/tmp/orleansmount-train-bench"))
    args = benchlib.parse_args(__doc__, report, reps=None, workers=(4, int),
                               only=(list(SYSTEMS), lambda v: v.split(",")))
    mode = "quick" if args.quick else "full"
    unknown = [s for s in args.only if s not in SYSTEMS]
    if unknown:
        die(f"unknown system {unknown[0]} (choose from {', '.join(SYSTEMS)})")
    reps = args.reps or SIZES[mode][1]
    benchlib.check_tools("rclone", "s3fs", "gcc", "pkg-config", "fusermount3")
    benchlib.fresh_work()
    t0 = time.monotonic()
    bench = Train(mode, reps, args.workers)
    raw = {"machine": benchlib.machine(mode != "full", reps), "reps": reps, "workers": args.workers}
    raw["machine"]["mode"] = mode
    try:
        bench.start_store()
        bench.seed()
        raw.update(files=bench.n_files, dataset_bytes=bench.dataset_bytes, seed_seconds=bench.seed_seconds,
                   import_seconds=bench.import_seconds)
        raw["records"] = bench.measure(args.only)
    finally:
        bench.close_all()
    shutil.rmtree(benchlib.WORK, ignore_errors=True)  # kept (with the logs) when the run failed
    raw["seconds"] = time.monotonic() - t0
    say(f"measured in {raw['seconds'] / 60:.1f} min")
    benchlib.save(raw, "train", report, args.write_doc)


if __name__ == "__main__":
    main()
