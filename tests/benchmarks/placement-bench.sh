#!/usr/bin/env bash
# Placement benchmark (issue 4): owner lookups per second at 10, 100 and 1,000 silos, plain
# per-key weighted rendezvous against the slot table, plus the cost of building a view and of
# deriving one by a join or a leave. BenchmarkDotNet, in process, short run (3 warm-ups,
# 3 iterations); a few minutes on 2 cores. Rewrites the placement section of docs/benchmarks.md.
#
#   tests/benchmarks/placement-bench.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

PROJECT="$ROOT/tests/benchmarks/PlacementBench/PlacementBench.csproj"
DLL="$ROOT/tests/benchmarks/PlacementBench/bin/Release/net10.0/placementbench.dll"
DOC="$ROOT/docs/benchmarks.md"
BEGIN='<!-- placement-bench:begin -->'
END='<!-- placement-bench:end -->'

log() { printf '==> %s\n' "$*" >&2; }
version() { sed -n "s/.*Include=\"$1\" Version=\"\([^\"]*\)\".*/\1/p" "$ROOT/Directory.Packages.props"; }

log "building PlacementBench (Release)"
dotnet build "$PROJECT" -c Release -nologo -clp:ErrorsOnly -v:quiet >/dev/null

WORK=$(mktemp -d /tmp/orleansmount-placement-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
log "running (log: $WORK/bench.log)"
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
if ! dotnet "$DLL" "$WORK/table.md" >"$WORK/bench.log" 2>&1; then
  tail -40 "$WORK/bench.log" >&2
  exit 1
fi
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo "$BEGIN"
  echo "## Placement: owner lookups (issue 4)"
  echo
  echo "\`tests/benchmarks/placement-bench.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(git rev-parse --short HEAD)\`; $(nproc) cores ($CPU), Linux $(uname -r); .NET SDK $(dotnet --version), BenchmarkDotNet $(version BenchmarkDotNet) in process, short run (3 warm-ups, 3 iterations), median. Load average $LOAD_BEFORE before, $LOAD_AFTER after (other work shares this machine)."
  echo
  echo "Members: silos named like host names with weights 1–4 in steps of 0.5 (7 distinct capacities). Lookups: 4,096 uniform 64-bit keys per invocation, time divided per key. *Plain* is weighted rendezvous per key (\`RendezvousPlacement\`: N hash-and-compare steps plus one logarithm per distinct weight); *slot table* is \`PlacementView\` (one array read). *Build view*: a \`PlacementView\` from scratch (65,536 slots × N); *join one* / *leave one*: \`With\` / \`Without\` from a view of that size."
  echo
  cat "$WORK/table.md"
  echo
  echo "Decision and trade-offs: [docs/decisions/0004-placement.md](decisions/0004-placement.md)."
  echo "$END"
} >"$WORK/section.md"

if [ ! -f "$DOC" ]; then
  printf '# Benchmarks\n\n' >"$DOC"
fi
python3 - "$DOC" "$WORK/section.md" "$BEGIN" "$END" <<'PY'
import sys
doc, section, begin, end = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
text = open(doc, encoding="utf-8").read()
new = open(section, encoding="utf-8").read().rstrip("\n")
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = head + new + tail
else:
    text = text.rstrip("\n") + "\n\n" + new + "\n"
open(doc, "w", encoding="utf-8").write(text)
PY
log "wrote the placement section of docs/benchmarks.md"
cat "$WORK/table.md"
