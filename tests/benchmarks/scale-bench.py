#!/usr/bin/env python3
"""Millions of files (issue 20): `tests/benchmarks/scale-bench.py`.

Part `import` (issue 20, item 3): `orleansmount import` of a file:// source of N real empty files (default
10,000,000) in an ImageNet-shaped tree (N/1000 directories of 1,000 files, names like
n00000042/n00000042_123.JPEG), created on local disk by this script, into a file:// catalog beside it.
Reports import wall time, peak RSS (GNU time), the sort's spilled runs and bytes, catalog bytes per entry,
and, for scale, `find -type f | wc -l` over the same tree in the same run. Target: peak RSS <= 1 GiB at
10M objects.

    tests/benchmarks/scale-bench.py [--objects N] [--keep-tree] [--no-doc]

The tree is kept in WORK/tree between runs of the same N (creating 10M files takes minutes; --keep-tree
keeps it after the run too) and deleted otherwise. Writes docs/benchmarks/scale-import.json and the
"Millions of files (issue 20)" import section of docs/benchmarks.md. Needs ./build.sh first.
"""
import argparse, json, os, re, shutil, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import ROOT, OM, say, die  # noqa: E402

WORK = "/var/tmp/orleansmount-scale-bench"
TARGET_RSS = 1 << 30
FILES_PER_DIR = 1000
BEGIN, END = "<!-- scale-bench-import:begin -->", "<!-- scale-bench-import:end -->"


def make_tree(tree, objects, links):
    """objects empty files, FILES_PER_DIR per directory; a marker file records a complete tree of that size.
    links: every directory after the first holds hard links to the first one's files (objects directory entries,
    FILES_PER_DIR inodes): several times faster to create and delete than as many inodes, and the same to list."""
    marker = os.path.join(os.path.dirname(tree), f"tree-{objects}{'-links' if links else ''}.done")
    if os.path.exists(marker):
        say(f"reusing the tree of {objects:,} files in {tree}")
        return None
    shutil.rmtree(tree, ignore_errors=True)
    for m in os.listdir(os.path.dirname(tree)):
        if m.startswith("tree-") and m.endswith(".done"):
            os.remove(os.path.join(os.path.dirname(tree), m))
    os.makedirs(tree)
    say(f"creating {objects:,} empty files in {tree}" + (" (hard links to the first directory's files)" if links else ""))
    started = time.monotonic()
    flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
    fd_root = os.open(tree, os.O_RDONLY | os.O_DIRECTORY)
    made = 0
    for d in range((objects + FILES_PER_DIR - 1) // FILES_PER_DIR):
        name = f"n{d:08d}"
        directory = os.path.join(tree, name)
        os.mkdir(directory)
        fd_dir = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for f in range(min(FILES_PER_DIR, objects - made)):
                if links and d > 0:
                    os.link(f"n00000000/n00000000_{f}.JPEG", f"{name}_{f}.JPEG", src_dir_fd=fd_root, dst_dir_fd=fd_dir)
                else:
                    os.close(os.open(f"{name}_{f}.JPEG", flags, 0o644, dir_fd=fd_dir))
        finally:
            os.close(fd_dir)
        made += min(FILES_PER_DIR, objects - made)
        if d % 1000 == 999:
            say(f"  {made:,} files, {made / (time.monotonic() - started):,.0f}/s")
    os.close(fd_root)
    open(marker, "w").close()
    return time.monotonic() - started


def timed(args, **kw):
    """Runs args under GNU time -v: (wall seconds, peak RSS bytes, stdout, stderr)."""
    started = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v", *args], capture_output=True, text=True, **kw)
    wall = time.monotonic() - started
    if p.returncode != 0:
        die(f"{args[0]} failed ({p.returncode}): {p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) * 1024
    return wall, rss, p.stdout, p.stderr


def run_import(args):
    tree, catalog, work = f"{WORK}/tree", f"{WORK}/catalog", f"{WORK}/import-work"
    os.makedirs(WORK, exist_ok=True)
    created = make_tree(tree, args.objects, args.links)
    if args.tree_only:
        return
    subprocess.run(["sync"], check=True)

    say("find -type f | wc -l (for scale: the same tree through the kernel, no sort, no catalog)")
    started = time.monotonic()
    found = int(subprocess.run(f"find '{tree}' -type f | wc -l", shell=True, capture_output=True, text=True, check=True).stdout)
    find_wall = time.monotonic() - started
    if found != args.objects:
        die(f"the tree holds {found} files, expected {args.objects}")

    shutil.rmtree(catalog, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(catalog)
    os.makedirs(work)
    say(f"orleansmount import of {args.objects:,} objects")
    wall, rss, out, err = timed([OM, "import", f"file://{tree}/", "--snapshot", "scale", "--catalog", f"file://{catalog}/", "--work-dir", work, "--verbose"])
    entries = int(re.search(r"entries\s+(\d+)", out).group(1))
    ranges = int(re.search(r"ranges\s+(\d+)", out).group(1))
    spilled = re.search(r"in (\d+) runs spilled to disk \((\d+) bytes\)", err)
    catalog_bytes = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(catalog) for f in fs if f.endswith(".sst"))
    left = os.listdir(work)
    if left:
        die(f"the import left {left} in its work directory")
    shutil.rmtree(catalog, ignore_errors=True)
    if not args.keep_tree:
        shutil.rmtree(WORK, ignore_errors=True)

    raw = {"machine": benchlib.machine(False, 1),
           "params": {"objects": args.objects, "files_per_dir": FILES_PER_DIR, "links": args.links,
                      "tree": "local ext4 (warm: just created or walked)" + (", hard links to 1,000 inodes" if args.links else "")},
           "tree_created_s": created, "find_s": find_wall,
           "import": {"wall_s": wall, "peak_rss_bytes": rss, "entries": entries, "ranges": ranges,
                      "runs_spilled": int(spilled.group(1)) if spilled else 0, "bytes_spilled": int(spilled.group(2)) if spilled else 0,
                      "catalog_bytes": catalog_bytes, "objects_per_s": entries / wall},
           "target_peak_rss_bytes": TARGET_RSS}
    benchlib.save(raw, f"scale-import-{args.objects}", report, not args.no_doc)
    print(json.dumps(raw["import"], indent=1))


def report(raw, doc):
    """Rewrites the import section, keeping one row per object count run so far (from the saved JSON files)."""
    rows = []
    for f in sorted(os.listdir(f"{ROOT}/docs/benchmarks")):
        if f.startswith("scale-import-") and f.endswith(".json"):
            rows.append(json.load(open(f"{ROOT}/docs/benchmarks/{f}")))
    rows.sort(key=lambda r: r["params"]["objects"])
    lines = ["", "### Import of millions of objects (item 3): `tests/benchmarks/scale-bench.py import`", "",
             "A file:// source of real empty files on local ext4 (1,000 per directory, ImageNet-style names), imported into a "
             "file:// catalog beside it; peak RSS by GNU time; `find -type f | wc -l` over the same tree in the same run for scale. "
             "One run per size; the 2 cores were shared with other work.", "",
             "| objects | commit, date | import | objects/s | peak RSS | sort runs spilled | catalog | catalog B/entry | `find` | target (peak RSS ≤ 1 GiB) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        i, m = r["import"], r["machine"]
        ok = "**PASS**" if i["peak_rss_bytes"] <= r["target_peak_rss_bytes"] else "**MISS**"
        lines.append(f"| {r['params']['objects']:,}{' (hard links)' if r['params'].get('links') else ''} | `{m['commit']}`, {m['date'][:10]} | {i['wall_s']:.0f} s | {i['objects_per_s']:,.0f} | "
                     f"{i['peak_rss_bytes'] / 2**20:,.0f} MiB | {i['runs_spilled']} ({i['bytes_spilled'] / 2**20:,.0f} MiB) | "
                     f"{i['catalog_bytes'] / 2**20:,.0f} MiB | {i['catalog_bytes'] / i['entries']:.1f} | {r['find_s']:.0f} s | {ok} |")
    m = raw["machine"]
    lines += ["", f"Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, kernel {m['kernel']}, .NET {m['dotnet']}. "
              f"Raw figures: `docs/benchmarks/scale-import-N.json`.", ""]
    benchlib.write_section(doc, BEGIN, END, lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["import"], help="which part to run")
    parser.add_argument("--objects", type=int, default=10_000_000)
    parser.add_argument("--keep-tree", action="store_true", help="keep the generated tree for the next run")
    parser.add_argument("--links", action="store_true", help="hard links to the first directory's 1,000 files instead of one inode per file")
    parser.add_argument("--tree-only", action="store_true", help="create (or check) the tree and stop, keeping it")
    parser.add_argument("--no-doc", action="store_true", help="write the figures to the work directory only")
    args = parser.parse_args()
    if not os.access(OM, os.X_OK):
        die(f"{OM} is missing: run ./build.sh first")
    if not os.path.exists("/usr/bin/time"):
        die("GNU time is missing: apt-get install time")
    benchlib.configure("scale-bench", WORK)
    run_import(args)


if __name__ == "__main__":
    main()
