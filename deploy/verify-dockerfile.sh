#!/usr/bin/env bash
# Performs deploy/Dockerfile's steps on this machine, which must be Debian 12 like the runtime stage,
# without a container engine:
#   - the runtime stage's base must be this machine's Debian release;
#   - its `apt-get install` packages are installed (the missing ones, with the same apt-get flags) and the
#     sonames the native bindings load are then present;
#   - the build stage's `dotnet publish` commands run from the repository root (the build's WORKDIR after
#     `COPY . .`), with every absolute path moved under a scratch root;
#   - the runtime stage's COPY and RUN steps (chmod, ln -s, mkdir -p) build the image's file layout under
#     the scratch root (the aspnet stage's /usr/share/dotnet is this machine's .NET, which must carry the
#     ASP.NET Core runtime of the same major version);
#   - ENTRYPOINT runs `orleansmount-silo --help` and `orleansmount --help` from that layout.
# Every step of the runtime stage is checked (known, sources present) before anything is published, and a step
# it does not know how to perform fails the run, so the Dockerfile and this script change together.
#
#   deploy/verify-dockerfile.sh [SCRATCH_DIR]     (default: a new temp dir, removed afterwards)
#   ORLEANSMOUNT_DOCKERFILE=PATH checks another Dockerfile (the tests use it to check that mistakes fail)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERFILE=${ORLEANSMOUNT_DOCKERFILE:-$ROOT/deploy/Dockerfile}
cd "$ROOT"

step() { printf '==> %s\n' "$*"; }
fail() { printf 'verify-dockerfile: %s\n' "$*" >&2; exit 1; }

if [ $# -gt 0 ]; then
  OUT=$1
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d /tmp/om-dockerfile-XXXXXX)
  trap 'rm -rf "$OUT"' EXIT
fi

# --- parse: instructions with continuation lines joined, tagged with their stage ---------------------
declare -a STAGE_OF=() INSTR=() ARGS=()
declare -A STAGE_BASE=() BUILD_ARG=()
stage=""
line=""
while IFS= read -r raw || [ -n "$raw" ]; do
  [[ $raw =~ ^[[:space:]]*# ]] && continue
  if [[ $raw =~ \\[[:space:]]*$ ]]; then
    line+="${raw%\\*} "
    continue
  fi
  line+=$raw
  read -r instr rest <<<"$line" || true
  line=""
  [ -z "${instr:-}" ] && continue
  instr=${instr^^}
  case "$instr" in
    ARG)
      BUILD_ARG[${rest%%=*}]=${rest#*=}
      ;;
    FROM)
      read -r image as name <<<"$rest"
      [ "${as^^}" = "AS" ] || fail "every FROM must name its stage (FROM IMAGE AS NAME): $rest"
      for key in "${!BUILD_ARG[@]}"; do image=${image//\$\{$key\}/${BUILD_ARG[$key]}}; done
      stage=$name
      STAGE_BASE[$stage]=$image
      ;;
    *)
      STAGE_OF+=("$stage"); INSTR+=("$instr"); ARGS+=("$rest")
      ;;
  esac
done <"$DOCKERFILE"

for s in build aspnet runtime; do
  [ -n "${STAGE_BASE[$s]:-}" ] || fail "the Dockerfile has no stage '$s'"
done

# Splits a RUN's shell text at '&&' into trimmed commands (the Dockerfile keeps them that simple).
split_run() {
  local text=$1 part
  COMMANDS=()
  while [ -n "$text" ]; do
    if [[ $text == *"&&"* ]]; then part=${text%%&&*}; text=${text#*&&}; else part=$text; text=""; fi
    read -r part <<<"$part" || true
    [ -n "$part" ] && COMMANDS+=("$part")
  done
}

under() { printf '%s%s' "$OUT" "$1"; }

# --- the runtime stage's base is this machine's Debian release ----------------------------------------
base=${STAGE_BASE[runtime]}
# shellcheck source=/dev/null
. /etc/os-release
step "runtime base $base; this machine: $ID ${VERSION_CODENAME:-?}"
[[ $base == "$ID:${VERSION_CODENAME:-none}"* ]] || fail "the runtime stage is based on $base but this machine is $ID ${VERSION_CODENAME:-}: its apt steps cannot be checked here"
[[ ${STAGE_BASE[aspnet]} == mcr.microsoft.com/dotnet/aspnet:* ]] || fail "the aspnet stage must be an official ASP.NET Core runtime image, not ${STAGE_BASE[aspnet]}"
[[ ${STAGE_BASE[build]} == mcr.microsoft.com/dotnet/sdk:* ]] || fail "the build stage must be an official .NET SDK image, not ${STAGE_BASE[build]}"

# --- runtime stage: packages, files, links ---------------------------------------------------------------
# Run twice: "check" before publishing (every step known, every source there: a mistake fails in a second),
# then "apply".
installed_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
apply() { if [ "$MODE" = apply ]; then "$@"; fi; }
runtime_stage() {
  MODE=$1
  ENTRYPOINT=""
  CMD_WORDS=()
  declare -g -A ENVIRONMENT=()
  for i in "${!INSTR[@]}"; do
    [ "${STAGE_OF[$i]}" = runtime ] || continue
    args=${ARGS[$i]}
    case "${INSTR[$i]}" in
      RUN)
        split_run "$args"
        for command in "${COMMANDS[@]}"; do
          read -r -a words <<<"$command"
          case "$command" in
            "apt-get update" | "rm -rf /var/lib/apt/lists/*") ;; # the host's package lists are left alone
            *"apt-get install "*)
              packages=()
              seen_install=0
              for w in "${words[@]}"; do
                if [ "$seen_install" = 1 ] && [[ $w != -* ]]; then packages+=("$w"); fi
                [ "$w" = install ] && seen_install=1
              done
              ((${#packages[@]})) || fail "runtime stage: an apt-get install without packages"
              [ "$MODE" = apply ] || continue
              missing=()
              for p in "${packages[@]}"; do installed_ok "$p" || missing+=("$p"); done
              step "apt packages: ${packages[*]} (missing here: ${missing[*]:-none})"
              if ((${#missing[@]})); then
                DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
                  || fail "apt-get install ${missing[*]} failed: the runtime stage's packages do not install on $ID ${VERSION_CODENAME:-}"
              fi
              for p in "${packages[@]}"; do installed_ok "$p" || fail "package $p is not installed after apt-get install"; done
              ;;
            "chmod "*) apply chmod "${words[1]}" "$(under "${words[2]}")" ;;
            "ln -s "*) apply ln -sfn "$(under "${words[2]}")" "$(under "${words[3]}")" ;;
            "mkdir -p "*) for p in "${words[@]:2}"; do apply mkdir -p "$(under "$p")"; done ;;
            *) fail "runtime stage: do not know how to perform '$command'" ;;
          esac
        done
        ;;
      COPY)
        read -r -a words <<<"$args"
        if [[ ${words[0]} == --from=* ]]; then
          from=${words[0]#--from=} source=${words[1]} target=${words[2]}
          apply mkdir -p "$(dirname "$(under "$target")")"
          case "$from" in
            build) apply cp -a "$(under "$source")" "$(under "$target")" ;;
            aspnet)
              [ "$source" = /usr/share/dotnet ] || fail "runtime stage: copies $source from aspnet; expected /usr/share/dotnet"
              major=${STAGE_BASE[aspnet]##*:}
              dotnet --list-runtimes | grep -q "^Microsoft.AspNetCore.App ${major%%.*}\." \
                || fail "this machine has no ASP.NET Core ${major} runtime to stand in for ${STAGE_BASE[aspnet]}"
              apply ln -sfn "$(dirname "$(readlink -f "$(command -v dotnet)")")" "$(under "$target")"
              ;;
            *) fail "runtime stage: COPY --from=$from is not a known stage" ;;
          esac
        else
          [ -e "$ROOT/${words[0]}" ] || fail "runtime stage: COPY source ${words[0]} is not in the build context"
          apply mkdir -p "$(dirname "$(under "${words[1]}")")"
          apply cp -a "$ROOT/${words[0]}" "$(under "${words[1]}")"
        fi
        ;;
      ENV)
        read -r -a words <<<"$args"
        for w in "${words[@]}"; do ENVIRONMENT[${w%%=*}]=${w#*=}; done
        ;;
      ENTRYPOINT) ENTRYPOINT=$(sed -E 's/^\["([^"]+)"\]$/\1/' <<<"$args") ;;
      CMD) read -r -a CMD_WORDS <<<"$(tr -d '[]",' <<<"$args")" ;;
      VOLUME | EXPOSE | HEALTHCHECK) ;;
      *) fail "runtime stage: do not know how to perform ${INSTR[$i]} $args" ;;
    esac
  done
  [ -n "$ENTRYPOINT" ] || fail "the runtime stage has no ENTRYPOINT"
  [ "${CMD_WORDS[0]:-}" = node ] || fail "CMD should be [\"node\"] (silo + mount), not ${CMD_WORDS[*]:-nothing}"
}

runtime_stage check

# --- build stage: dotnet publish -------------------------------------------------------------------------
published=0
for i in "${!INSTR[@]}"; do
  [ "${STAGE_OF[$i]}" = build ] || continue
  case "${INSTR[$i]}" in
    WORKDIR | COPY) ;; # WORKDIR /src + COPY . . = the repository root, where the commands run
    RUN)
      split_run "${ARGS[$i]}"
      for command in "${COMMANDS[@]}"; do
        read -r -a words <<<"$command"
        [ "${words[0]} ${words[1]}" = "dotnet publish" ] || fail "build stage: do not know how to perform '$command'"
        for j in "${!words[@]}"; do
          if [ "${words[$j]}" = "-o" ] || [ "${words[$j]}" = "--output" ]; then
            words[j + 1]=$(under "${words[j + 1]}")
          fi
        done
        step "${words[*]}"
        "${words[@]}" -v:quiet -clp:ErrorsOnly >"$OUT/publish.log" 2>&1 || { cat "$OUT/publish.log" >&2; fail "'$command' failed"; }
        published=$((published + 1))
      done
      ;;
    *) fail "build stage: do not know how to perform ${INSTR[$i]} ${ARGS[$i]}" ;;
  esac
done
[ "$published" -ge 2 ] || fail "the build stage publishes $published projects; the image needs the silo and the CLI"

runtime_stage apply

ldconfig -p | grep -q libfuse3.so.3 || fail "libfuse3.so.3 is not on this machine after installing the runtime packages"
command -v fusermount3 >/dev/null || fail "fusermount3 is missing after installing the runtime packages"
# RocksDB is not a system package any more: the RocksDB NuGet package's native library must be in the publish
# output, or the package would silently load a system librocksdb.so (or none).
[ -f "$(under /app)/runtimes/linux-x64/native/librocksdb.so" ] || fail "the publish output has no runtimes/linux-x64/native/librocksdb.so (RocksDB package)"
step "libfuse3.so.3 and fusermount3 present; the published librocksdb.so present"

# --- run: the entrypoint from the image layout -----------------------------------------------------------
entry=$(under "$ENTRYPOINT")
[ -x "$entry" ] || fail "ENTRYPOINT $ENTRYPOINT is not an executable file in the image layout"
bash -n "$entry" || fail "$ENTRYPOINT has a syntax error"
run_env=(env "PATH=$(under /usr/local/bin):$PATH")
for key in "${!ENVIRONMENT[@]}"; do
  value=${ENVIRONMENT[$key]}
  [ "$key" = DOTNET_ROOT ] && value=$(under "$value")
  run_env+=("$key=$value")
done
for program in orleansmount-silo orleansmount; do
  [ -L "$(under /usr/local/bin/$program)" ] || fail "/usr/local/bin/$program is not linked in the image layout"
  step "$ENTRYPOINT $program --help"
  output=$("${run_env[@]}" "$entry" "$program" --help 2>&1) || { printf '%s\n' "$output" >&2; fail "$program --help failed from the image layout"; }
  grep -q "^Usage:" <<<"$output" || { printf '%s\n' "$output" >&2; fail "$program --help printed no usage"; }
done
step "the Dockerfile's steps all ran on this machine"
