#!/usr/bin/env python3
"""A development tool for issue 21's cold paths: where the CPU of a cold read goes, per process, in one quick run.

  cold-cpu.py large [--mib N] [--rounds R] [--readahead N[,N...]] [--perf FILE]
  cold-cpu.py small [--files N] [--rounds R] [--variants "ARGS|ARGS..."] [--perf FILE]

large: one N MiB file (default 1024) read cold with fio (1 MiB reads) through a fresh silo and mount, after one SDK GET
of it (GetBench) in the same round; with several --readahead values, one mount for each in every round (a value may carry
more mount arguments: --readahead "16,16 --stream-memory 0").
small: N x 128 KiB (default 2000) read cold by 8 reader threads through a fresh silo and mount, after the parallel-GET
ceiling (GetBench --parallel 8) in the same round; with --variants, one fresh silo and mount for each set of extra mount
arguments in every round (e.g. --variants "--readahead-files 0|--readahead-files 32").

Prints MB/s and the CPU seconds (user + system, /proc/PID/stat) the silo, the mount and s3rver spent on the read, per
GiB or per file. --perf FILE records `perf record -a -g` over the last read (the silo and mount get
DOTNET_PerfMapEnabled=1 so their JIT frames resolve; group with `perf script --pid`). It uses suite-bench.py's datasets
and processes (the same silo options as the suite); it writes nothing under docs/ and asserts nothing: the published
figures are suite-bench.py's (docs/benchmarks.md). Needs root and ./build.sh first, like every benchmark here.
"""
import argparse, importlib.util, json, os, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

spec = importlib.util.spec_from_file_location("suite_bench", os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite-bench.py"))
suite_bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite_bench)


def measured(pids, action, perf_file):
    """Runs action(); returns (its result, {name: CPU seconds spent meanwhile})."""
    before = {name: benchlib.cpu_seconds([pid]) for name, pid in pids.items()}
    perf = subprocess.Popen(["perf", "record", "-F", "999", "-a", "-g", "-o", perf_file], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL) if perf_file else None
    try:
        result = action()
    finally:
        if perf:
            perf.send_signal(2)
            perf.wait()
    return result, {name: benchlib.cpu_seconds([pid]) - before[name] for name, pid in pids.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("part", choices=("large", "small"))
    p.add_argument("--mib", type=int, default=1024)
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--readahead", default="16", help="mount --readahead values, comma-separated (large only)")
    p.add_argument("--variants", default="", help="'|'-separated sets of extra mount arguments (small only)")
    p.add_argument("--perf", metavar="FILE")
    a = p.parse_args()
    if a.perf:
        os.environ.update(DOTNET_PerfMapEnabled="1", DOTNET_EnableWriteXorExecute="0")
    suite_bench.SIZES["quick"] = (10, a.files if a.part == "small" else 10, a.mib if a.part == "large" else 8, 1, 2, 10)
    benchlib.configure("cold-cpu", "/tmp/orleansmount-cold-cpu")
    benchlib.check_tools("fio", "fusermount3")
    subprocess.run(["dotnet", "build", f"{benchlib.GETBENCH_DIR}/GetBench.csproj", "-c", "Release", "-nologo", "-clp:ErrorsOnly",
                    "-v:quiet"], check=True, stdout=subprocess.DEVNULL)
    benchlib.fresh_work()
    s = suite_bench.Suite("quick", 1)
    mount = s.mount
    extra = []
    s.mount = lambda silo, snapshot, more=(): mount(silo, snapshot, tuple(more) + tuple(extra))
    try:
        s.start_store()
        s.seed()
        s3rver = subprocess.run(["pgrep", "-f", "s3rver"], capture_output=True, text=True).stdout.split()
        for rnd in range(1, a.rounds + 1):
            last_round = rnd == a.rounds
            if a.part == "large":
                r = s.one_get("direct", rnd)
                benchlib.say(f"round {rnd}: one SDK GET {r['bw_bytes'] / 1e6:7.1f} MB/s")
                values = a.readahead.split(",")
                for i, ra in enumerate(values):
                    extra[:] = ["--readahead", *ra.split()]  # "16 --stream-memory 0": more mount arguments
                    root, pids, close = s.open_fs("orleansmount", "large", "direct")
                    try:
                        benchlib.drop_caches()
                        procs = {"silo": pids[0], "mount": pids[1], **({"s3rver": s3rver[0]} if s3rver else {})}
                        perf = a.perf if last_round and i == len(values) - 1 else None
                        r, cpu = measured(procs, lambda: s.fio(f"{root}/big", "read", "1M"), perf)
                        gib = r["bytes"] / (1 << 30)
                        benchlib.say(f"round {rnd}: readahead {ra:>3} {r['bw_bytes'] / 1e6:7.1f} MB/s; CPU s per GiB: "
                                     + ", ".join(f"{k} {v / gib:.2f}" for k, v in cpu.items()))
                    finally:
                        close()
            else:
                keys = sorted(s.small_digests)
                names = [k[len("small/"):] for k in keys]
                r = s.get_ceiling("direct", rnd, keys)
                benchlib.say(f"round {rnd}: ceiling {r['bytes'] / r['seconds'] / 1e6:6.1f} MB/s")
                variants = a.variants.split("|")
                for i, variant in enumerate(variants):
                    extra[:] = variant.split()
                    root, pids, close = s.open_fs("orleansmount", "small", "direct")
                    try:
                        benchlib.drop_caches()
                        procs = {"silo": pids[0], "mount": pids[1], **({"s3rver": s3rver[0]} if s3rver else {})}
                        perf = a.perf if last_round and i == len(variants) - 1 else None
                        (total, secs), cpu = measured(procs, lambda: benchlib.read_all(root, names, threads=suite_bench.SMALL_READERS), perf)
                        benchlib.say(f"round {rnd}: [{variant or 'defaults'}] OrleansMount {total / secs / 1e6:6.1f} MB/s "
                                     f"({total / secs / (r['bytes'] / r['seconds']):.2f}x the ceiling); CPU ms per file: "
                                     + ", ".join(f"{k} {v * 1000 / len(names):.2f}" for k, v in cpu.items()))
                    finally:
                        close()
    finally:
        s.close_all()
    if a.perf:
        benchlib.say(f"perf data: {a.perf}")


if __name__ == "__main__":
    main()
