#!/usr/bin/env python3
"""Where a walk's memory goes (issue 20): one single-node silo and mount of scale-bench's ImageNet-shaped tree of
hard links (create it first: `scale-bench.py walk --links --flat 0 --tree-only`), the walks scale-bench times (two
`find`s, two `os.scandir` + `stat`), then, 12 s after mounting and 12 s after the walks: VmRSS of both processes,
the mount's RSS by mapping group (`/proc/PID/smaps`: `[heap]` is glibc's main arena, `[anon]` the GC heap, the other
malloc arenas and large mallocs), glibc's own account of the mount's malloc heaps (`malloc_info` through gdb, when gdb
is installed) and, when `dotnet-gcdump` is installed, the live managed heap. Not published: a tool for finding what
to cut, whose figures scale-bench then measures.

    tests/benchmarks/walk-memory-probe.py [FILES]     (default 1,280,000: the tree scale-bench made)
    PROBE_HOLD=S keeps both processes up S seconds after the report (for perf, gdb or dotnet-gcdump by hand);
    PROBE_ENV='{"NAME": "VALUE"}' adds to both processes' environment (the 4 MiB gen0 budget is always set).
Needs root (drop_caches, FUSE) and ./build.sh first.
"""
import collections, importlib.util, json, os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

_spec = importlib.util.spec_from_file_location("scale_bench", os.path.join(HERE, "scale-bench.py"))
sb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sb)


def smaps(pid):
    """KiB of RSS per mapping group: a file's base name, or the kernel's name for anonymous mappings."""
    groups, current = collections.Counter(), None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if parts and re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", parts[0]):
                name = parts[5] if len(parts) > 5 else "[anon]"
                current = "file:" + os.path.basename(name) if name.startswith("/") else name
            elif parts and parts[0] == "Rss:":
                groups[current] += int(parts[1])
    return groups


def malloc_heaps(pid):
    """(arena sizes in bytes, mmapped bytes) from glibc's malloc_info, or None without gdb."""
    if not shutil.which("gdb"):
        return None
    out = tempfile.mktemp(prefix="malloc-info-", suffix=".xml")
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", f'set $f = (void*)fopen("{out}", "w")',
                    "-ex", "call (int)malloc_info(0, $f)", "-ex", "call (int)fclose($f)"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    try:
        text = open(out).read()
    except OSError:
        return None
    finally:
        if os.path.exists(out):
            os.remove(out)
    arenas = [int(m) for m in re.findall(r'<heap nr="\d+">.*?<system type="current" size="(\d+)"/>', text, re.S)]
    mmapped = re.search(r'<total type="mmap" count="\d+" size="(\d+)"/>\s*<system type="current"', text)
    return arenas, int(mmapped.group(1)) if mmapped else 0


def gc_heap(pid):
    """The live managed heap's first lines from dotnet-gcdump, or None without it."""
    tool = shutil.which("dotnet-gcdump") or os.path.expanduser("~/.dotnet/tools/dotnet-gcdump")
    if not os.path.exists(tool):
        return None
    dump = tempfile.mktemp(prefix="mount-", suffix=".gcdump")
    try:
        subprocess.run([tool, "collect", "-p", str(pid), "-o", dump], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        report = subprocess.run([tool, "report", dump], capture_output=True, text=True, timeout=300).stdout
        return "\n".join(report.splitlines()[:12])
    finally:
        if os.path.exists(dump):
            os.remove(dump)


def main():
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 1_280_000
    base = f"{sb.WORK}/walk/imagenet-{files}-links"
    tree, catalog = f"{base}/tree", f"{base}/probe-catalog"
    if not os.path.isdir(tree):
        benchlib.die(f"no tree at {tree}: run tests/benchmarks/scale-bench.py walk --links --flat 0 --objects {files} --tree-only first")
    benchlib.configure("walk-memory-probe", "/tmp/orleansmount-walk-memory-probe")
    os.makedirs(benchlib.WORK, exist_ok=True)
    os.makedirs(f"{sb.WORK}/walk", exist_ok=True)
    if not os.path.exists(f"{catalog}/.complete"):
        shutil.rmtree(catalog, ignore_errors=True)
        shutil.rmtree(f"{catalog}-work", ignore_errors=True)
        os.makedirs(catalog)
        os.makedirs(f"{catalog}-work")
        benchlib.say(f"importing {files:,} files")
        subprocess.run([sb.OM, "import", f"file://{tree}/", "--snapshot", "imagenet", "--catalog", f"file://{catalog}/",
                        "--work-dir", f"{catalog}-work"], check=True, stdout=subprocess.DEVNULL)
        open(f"{catalog}/.complete", "w").close()
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_CA_BUNDLE", "DOTNET_GCgen0size")}
    env["DOTNET_GCgen0size"] = sb.GEN0
    env.update(json.loads(os.environ.get("PROBE_ENV", "{}")))
    procs, node = benchlib.Procs(), None
    try:
        benchlib.drop_caches()
        node = sb.WalkNode(procs, env, "probe", catalog, "imagenet")
        time.sleep(sb.SETTLE_S)
        before, groups_before = node.rss(), smaps(node.mount_pid)
        for name, walk in (("find", lambda: sb.find_files(node.mnt, files, True)), ("find again", lambda: sb.find_files(node.mnt, files, False)),
                           ("scandir + stat", lambda: sb.scandir_walk(node.mnt, files)), ("scandir + stat again", lambda: sb.scandir_walk(node.mnt, files))):
            benchlib.say(f"{name}: {walk():.2f} s")
        time.sleep(sb.SETTLE_S)
        after, groups_after = node.rss(), smaps(node.mount_pid)
        for process in ("mount", "silo"):
            benchlib.say(f"{process}: {before[process] / 2**20:.0f} -> {after[process] / 2**20:.0f} MiB, "
                         f"+{(after[process] - before[process]) / files:.1f} B/file")
        benchlib.say("mount RSS by mapping, KiB (groups that moved by more than 512 KiB):")
        for group in sorted(set(groups_before) | set(groups_after), key=lambda g: groups_before[g] - groups_after[g]):
            moved = groups_after[group] - groups_before[group]
            if abs(moved) > 512:
                benchlib.say(f"  {group:40s} {groups_before[group]:>9,} -> {groups_after[group]:>9,} ({moved:+,})")
        heaps = malloc_heaps(node.mount_pid)
        if heaps:
            benchlib.say(f"mount malloc: arenas {', '.join(f'{a / 2**20:.1f}' for a in heaps[0])} MiB, mmapped {heaps[1] / 2**20:.1f} MiB")
        managed = gc_heap(node.mount_pid)
        if managed:
            benchlib.say("mount managed heap (dotnet-gcdump):\n" + managed)
        hold = float(os.environ.get("PROBE_HOLD", "0"))
        if hold:
            benchlib.say(f"holding {hold:.0f} s: mount pid {node.mount_pid}, silo pid {node.silo.pid}")
            time.sleep(hold)
    finally:
        if node:
            node.stop()
        procs.close()


if __name__ == "__main__":
    main()
