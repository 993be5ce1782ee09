#!/usr/bin/env bash
# OrleansMount's one entry point.
#   ./build.sh              build Release, write launchers bin/orleansmount and bin/orleansmount-silo
#   ./build.sh deps         install the system packages and s3rver the tests and demo need
#   ./build.sh test [ARGS]  deps + build + every test (ARGS go to `dotnet test`, e.g. --filter X)
#   ./build.sh test --fast [ARGS]  build + the unit tests only (Category=Unit, about a minute; installs only
#                           libfuse3-3 if missing; a --filter X in ARGS narrows them)
#   ./build.sh demo [ARGS]  deps + build + the embedded-default demo (see tests/demo/demo.sh)
#   ./build.sh bench [ARGS] deps + build + benchmarks (tests/benchmarks/; ARGS: --quick, --suite)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*" >&2; }

APT_PACKAGES=(fuse3 libfuse3-3 libfuse3-dev redis-server
  # deployment checks (tests/OrleansMount.Tests/Deploy): compose parsing, unit verification, script linting,
  # and the runtime packages deploy/Dockerfile installs (deploy/verify-dockerfile.sh)
  docker-compose systemd shellcheck ca-certificates libssl3 zlib1g tzdata
  # the dashboard test opens the silo's page in a real headless browser (Dashboard/DashboardTests.cs)
  chromium
  # the default-listener test runs a silo in a network namespace of its own and brings its loopback up (Security/ExposureTests.cs)
  iproute2)
# The unit tests (./build.sh test --fast) start no process and no server; in process they load libfuse's
# directory-entry packing (fuse_add_direntry), no /dev/fuse. RocksDB needs no package: the RocksDB NuGet package
# bundles its native library (decision 0016).
UNIT_PACKAGES=(libfuse3-3)
S3RVER_VERSION=3.7.1
# Only ./build.sh bench needs these: the peers measured side by side (docs/benchmarks.md).
BENCH_PACKAGES=(rclone s3fs fio hyperfine gcc pkg-config)  # gcc, pkg-config: libfuse's passthrough_ll

deps() {
  apt_install "${APT_PACKAGES[@]}" "$@"
  if [ ! -x "$ROOT/.tools/s3rver/node_modules/.bin/s3rver" ]; then
    command -v npm >/dev/null || { echo "npm is required to install s3rver (apt-get install nodejs npm)" >&2; exit 1; }
    log "installing s3rver@$S3RVER_VERSION into .tools/s3rver"
    mkdir -p "$ROOT/.tools/s3rver"
    (cd "$ROOT/.tools/s3rver" && npm install --no-audit --no-fund --silent "s3rver@$S3RVER_VERSION" >/dev/null)
  fi
  [ -e /dev/fuse ] || log "warning: /dev/fuse is missing; FUSE tests will fail"
}

# Installs the Debian packages given that are not installed yet (nothing, not even apt-get update, if none).
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # Wait for a package manager another process is running instead of failing at once.
    $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build() {
  log "building Release"
  dotnet build OrleansMount.sln -c Release -nologo -clp:ErrorsOnly -v:quiet
  mkdir -p bin
  write_launcher orleansmount client/OrleansMount.Client
  write_launcher orleansmount-silo silo/OrleansMount.Silo
}

write_launcher() {
  local name=$1 project=$2
  cat > "bin/$name" <<LAUNCH
#!/usr/bin/env bash
exec "$ROOT/$project/bin/Release/net10.0/$name" "\$@"
LAUNCH
  chmod +x "bin/$name"
}

sum_field() { { grep -oE "$1: +[0-9]+" "$2" || true; } | awk '{s+=$2} END {print s+0}'; }

run_tests() {
  log "running tests"
  local out status=0
  out=$(mktemp)
  dotnet test tests/OrleansMount.Tests/OrleansMount.Tests.csproj -c Release --no-build -nologo \
    --logger "console;verbosity=normal" "$@" 2>&1 | tee "$out" || status=$?
  # One plain closing line, whatever the runner printed.
  local passed failed skipped
  passed=$(sum_field Passed "$out"); failed=$(sum_field Failed "$out"); skipped=$(sum_field Skipped "$out")
  rm -f "$out"
  echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
  return $status
}

# ./build.sh test --fast [ARGS]: the unit tests, with a --filter X among ARGS narrowed to (Category=Unit)&(X).
fast_tests() {
  local args=() filter="Category=Unit"
  while (($#)); do
    case "$1" in
      --fast) ;;
      --filter) [ $# -ge 2 ] || { echo "--filter needs an expression" >&2; exit 2; }; filter="($filter)&($2)"; shift ;;
      --filter=*) filter="($filter)&(${1#--filter=})" ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  run_tests --filter "$filter" "${args[@]}"
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build ;;
  deps) deps ;;
  test)
    if [[ " $* " == *" --fast "* ]]; then apt_install "${UNIT_PACKAGES[@]}"; build; fast_tests "$@"
    else deps; build; run_tests "$@"; fi ;;
  demo) deps; build; exec bash tests/demo/demo.sh "$@" ;;
  bench) deps "${BENCH_PACKAGES[@]}"; build; exec bash tests/benchmarks/run.sh "$@" ;;
  -h|--help|help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "unknown command '$cmd' (try ./build.sh help)" >&2; exit 2 ;;
esac
