#!/usr/bin/env python3
"""Issue 18 item 7's cost figure: the resident memory `--orleans-dashboard` adds to a silo (Microsoft.Orleans.Dashboard
10.4.2 at /orleans), one run, loopback only, real processes. Needs root (like every bench here) and ./build.sh first.

  orleans-dashboard-bench.py [--quick] [--reps R] [--idle SECONDS] [--no-doc]
  orleans-dashboard-bench.py --report docs/benchmarks/orleans-dashboard.json   (renders the section again)

Single-node silos of this tree on a file:// catalog (no object store, no Redis), with and without the flag,
interleaved in a new shuffled order each repetition (default 5; --quick 2). VmRSS of each after --idle seconds
(default 20) past its first answer on /api/v1/info; for the silo with the flag, again after its dashboard was
viewed: the page, then /orleans/DashboardCounters and /orleans/ClusterStats polled every second for that long, as
the page does. Reported as median (min–max)."""
import os, random, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import SILO, Procs, free_port, say, summ, vm_rss, wait_until  # noqa: E402

BEGIN, END = "<!-- orleans-dashboard-bench:begin -->", "<!-- orleans-dashboard-bench:end -->"
VARIANTS = ("without", "with")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def measure(procs, variant, rep, idle):
    port = free_port()
    name = f"{rep}-{variant}"
    os.makedirs(f"{benchlib.WORK}/catalog", exist_ok=True)
    args = [SILO, "--catalog", f"file://{benchlib.WORK}/catalog", "--cache-dir", f"{benchlib.WORK}/cache-{name}", "--cache-size", "1GiB",
            "--socket", f"{benchlib.WORK}/{name}.sock", "--listen", f"127.0.0.1:{port}", "--log-level", "Warning"]
    if variant == "with":
        args.append("--orleans-dashboard")
    p = procs.start(name, args)
    base = f"http://127.0.0.1:{port}"
    wait_until(f"silo {name}", lambda: get(f"{base}/api/v1/info") is not None, seconds=120)
    time.sleep(idle)
    record = {"rep": rep, "variant": variant, "idle_rss": vm_rss(p.pid)}
    if variant == "with":
        get(f"{base}/orleans/")
        get(f"{base}/orleans/index.min.js")
        for _ in range(idle):
            get(f"{base}/orleans/DashboardCounters")
            get(f"{base}/orleans/ClusterStats")
            time.sleep(1)
        record["viewed_rss"] = vm_rss(p.pid)
    Procs.stop(p)
    say(f"  rep {rep} {variant}: idle {record['idle_rss'] / 2**20:.0f} MiB"
        + (f", viewed {record['viewed_rss'] / 2**20:.0f} MiB" if "viewed_rss" in record else ""))
    return record


def report(raw, doc):
    m, recs = raw["machine"], raw["records"]

    def mib(variant, field):
        return summ([r[field] / 2**20 for r in recs if r["variant"] == variant and field in r])

    without, with_, viewed = mib("without", "idle_rss"), mib("with", "idle_rss"), mib("with", "viewed_rss")

    def cell(s):
        return f"{s['median']:.0f} ({s['min']:.0f}–{s['max']:.0f})"

    lines = [
        "## Orleans' dashboard: memory cost of `--orleans-dashboard` (issue 18, item 7)", "",
        f"`tests/benchmarks/orleans-dashboard-bench.py` ({m['mode']} run, {m['date']}, commit {m['commit']}, {m['nproc']} cores shared "
        f"with other work, {m['reps']} repetitions, variants in a new shuffled order each repetition). One single-node silo at a time "
        f"(file:// catalog, no Redis), VmRSS after {raw['idle']} s idle past its first answer; *viewed*: the same silo with the flag after "
        f"its page was loaded and its JSON polled every second for {raw['idle']} s more. Median (min–max) MiB.", "",
        "| silo | idle RSS MiB | after viewing MiB |",
        "|---|---|---|",
        f"| without the flag (default) | {cell(without)} | |",
        f"| `--orleans-dashboard` | {cell(with_)} | {cell(viewed)} |",
        f"| cost | **+{with_['median'] - without['median']:.0f}** | **+{viewed['median'] - without['median']:.0f}** |",
        "", "Raw figures: [benchmarks/orleans-dashboard.json](benchmarks/orleans-dashboard.json).",
    ]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    benchlib.configure("orleans-dashboard-bench", os.environ.get("DBENCH_WORK", "/tmp/orleansmount-orleans-dashboard-bench"))
    args = benchlib.parse_args(__doc__, report, reps=None, idle=(20, int))
    reps = args.reps or (2 if args.quick else 5)
    if not os.access(SILO, os.X_OK):
        benchlib.die(f"{SILO} is missing: run ./build.sh first")
    benchlib.fresh_work()
    procs = Procs()
    raw = {"machine": benchlib.machine(args.quick, reps), "idle": args.idle, "records": []}
    try:
        for rep in range(1, reps + 1):
            for variant in random.Random(rep).sample(VARIANTS, len(VARIANTS)):
                raw["records"].append(measure(procs, variant, rep, args.idle))
    finally:
        procs.close()
    benchlib.save(raw, "orleans-dashboard", report, args.write_doc)


if __name__ == "__main__":
    main()
