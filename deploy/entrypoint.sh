#!/usr/bin/env bash
# OrleansMount container entrypoint (installed as /usr/local/bin/orleansmount-entrypoint).
#
#   orleansmount-entrypoint node    silo in the background, then the snapshot's FUSE mount; SIGTERM unmounts,
#                                   then stops the silo (docker-compose: one silo+mount container per node)
#   orleansmount-entrypoint silo    only the silo, in the foreground (Kubernetes: the DaemonSet's silo container)
#   orleansmount-entrypoint mount   wait for the silo and the snapshot, then mount in the foreground (the DaemonSet's
#                                   mount container)
#   orleansmount-entrypoint CMD...  anything else is run as is, e.g. `orleansmount import s3://bucket/prefix --snapshot NAME`
#
# Settings (environment; every one maps to a real flag of orleansmount-silo or orleansmount mount):
#   ORLEANSMOUNT_CATALOG      catalog URI (--catalog; read by both programs)          required for silo
#   ORLEANSMOUNT_SNAPSHOT     snapshot to mount                                       required for mount
#   ORLEANSMOUNT_MOUNT_ROOT   the snapshot is mounted at $ORLEANSMOUNT_MOUNT_ROOT/$ORLEANSMOUNT_SNAPSHOT (/mnt/orleansmount)
#   ORLEANSMOUNT_SOCKET       silo socket (--socket / --silo)                         /run/orleansmount/silo.sock
#   ORLEANSMOUNT_CACHE_DIR    --cache-dir                                             /var/cache/orleansmount
#   ORLEANSMOUNT_CACHE_SIZE   --cache-size                                            10GiB
#   ORLEANSMOUNT_CHUNK_SIZE   --chunk-size                                            4MiB
#   ORLEANSMOUNT_LISTEN       --listen (HTTP API, peers, dashboard)                   0.0.0.0:7380
#   ORLEANSMOUNT_ADVERTISE    --advertise                                             http://<first address of `hostname -i`>:<port>
#   ORLEANSMOUNT_REDIS        --redis HOST:PORT (unset: a single-node cluster)
#   ORLEANSMOUNT_REDIS_PASSWORD  the Redis password (its requirepass); read by orleansmount-silo itself, no flag
#   ORLEANSMOUNT_TLS_CERTIFICATE --tls-certificate PATH: the cluster certificate with its key (PKCS#12, or PEM
#                             holding both); its password, if any, in ORLEANSMOUNT_TLS_CERTIFICATE_PASSWORD (read by
#                             orleansmount-silo itself). Unset: silo-to-silo traffic is plaintext (the silo warns)
#   ORLEANSMOUNT_CLUSTER      --cluster                                               default
#   ORLEANSMOUNT_SILO_ID      --silo-id                                               the host name
#   ORLEANSMOUNT_LOG_LEVEL    --log-level                                             Information
#   ORLEANSMOUNT_SILO_ARGS    more orleansmount-silo flags, split at spaces
#   ORLEANSMOUNT_MOUNT_ARGS   more `orleansmount mount` flags, split at spaces        --allow-other
#   ORLEANSMOUNT_WAIT_SECONDS how long `mount` waits for the silo and the snapshot    300
set -euo pipefail

log() { printf 'orleansmount-entrypoint: %s\n' "$*" >&2; }
fail() { log "$*"; exit 2; }

SOCKET=${ORLEANSMOUNT_SOCKET:-/run/orleansmount/silo.sock}
export ORLEANSMOUNT_SOCKET=$SOCKET
WAIT_SECONDS=${ORLEANSMOUNT_WAIT_SECONDS:-300}

silo_args() {
  local listen=${ORLEANSMOUNT_LISTEN:-0.0.0.0:7380}
  SILO_ARGS=(
    --cache-dir "${ORLEANSMOUNT_CACHE_DIR:-/var/cache/orleansmount}"
    --cache-size "${ORLEANSMOUNT_CACHE_SIZE:-10GiB}"
    --chunk-size "${ORLEANSMOUNT_CHUNK_SIZE:-4MiB}"
    --listen "$listen"
    --socket "$SOCKET"
    --log-level "${ORLEANSMOUNT_LOG_LEVEL:-Information}"
    --silo-id "${ORLEANSMOUNT_SILO_ID:-$(hostname)}"
    --cluster "${ORLEANSMOUNT_CLUSTER:-default}"
  )
  if [ -n "${ORLEANSMOUNT_REDIS:-}" ]; then
    SILO_ARGS+=(--redis "$ORLEANSMOUNT_REDIS")
    local advertise=${ORLEANSMOUNT_ADVERTISE:-}
    if [ -z "$advertise" ]; then
      # A wildcard listener is no address a peer can dial: advertise this container's own address.
      local host=${listen%:*} port=${listen##*:} addresses
      if [ "$host" = "0.0.0.0" ] || [ "$host" = "[::]" ]; then
        read -r -a addresses <<<"$(hostname -i)"
        host=${addresses[0]}
      fi
      advertise="http://$host:$port"
    fi
    SILO_ARGS+=(--advertise "$advertise")
  fi
  if [ -n "${ORLEANSMOUNT_TLS_CERTIFICATE:-}" ]; then
    SILO_ARGS+=(--tls-certificate "$ORLEANSMOUNT_TLS_CERTIFICATE")
  fi
  if [ -n "${ORLEANSMOUNT_SILO_ARGS:-}" ]; then
    local extra
    read -r -a extra <<<"$ORLEANSMOUNT_SILO_ARGS"
    SILO_ARGS+=("${extra[@]}")
  fi
}

mountpoint_path() {
  [ -n "${ORLEANSMOUNT_SNAPSHOT:-}" ] || fail "set ORLEANSMOUNT_SNAPSHOT to the snapshot to mount"
  MOUNTPOINT="${ORLEANSMOUNT_MOUNT_ROOT:-/mnt/orleansmount}/$ORLEANSMOUNT_SNAPSHOT"
}

is_mounted() {
  local target
  while read -r _ target _; do
    [ "$target" = "$1" ] && return 0
  done </proc/mounts
  return 1
}

# Waits until the silo answers on its socket and the snapshot exists in the catalog (the import may still run).
wait_for_silo_and_snapshot() {
  local deadline=$((SECONDS + WAIT_SECONDS)) status
  until orleansmount status --silo "$SOCKET" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "the silo did not answer on $SOCKET within $WAIT_SECONDS s"
    sleep 1
  done
  while true; do
    status=0
    orleansmount ls "$ORLEANSMOUNT_SNAPSHOT" >/dev/null 2>&1 || status=$?
    [ "$status" -ne 4 ] && break # 4: unknown snapshot; anything else is for `mount` to report
    ((SECONDS < deadline)) || fail "snapshot '$ORLEANSMOUNT_SNAPSHOT' did not appear in ${ORLEANSMOUNT_CATALOG:-the catalog} within $WAIT_SECONDS s: import it first"
    log "waiting for snapshot '$ORLEANSMOUNT_SNAPSHOT' to be imported"
    sleep 2
  done
}

# A mount left behind by a crashed mount process makes the mountpoint unusable: detach it.
prepare_mountpoint() {
  mountpoint_path
  mkdir -p "$MOUNTPOINT"
  if is_mounted "$MOUNTPOINT"; then
    log "clearing the stale mount at $MOUNTPOINT left by an earlier run"
    orleansmount umount --lazy "$MOUNTPOINT"
  fi
}

# The mount process lives as long as the mount: its code compiled optimised once, not again during the first
# epoch (docs/decisions/0008-runtime-settings.md), and a 4 MiB gen0 budget, so a walk of many files leaves its
# inode table, not GC headroom (docs/decisions/0023-mount-inode-table.md). Set DOTNET_TieredCompilation or
# DOTNET_GCgen0size yourself to override.
mount_args() {
  prepare_mountpoint
  MOUNT_ARGS=(mount "$ORLEANSMOUNT_SNAPSHOT" "$MOUNTPOINT" --silo "$SOCKET" --foreground)
  local extra
  read -r -a extra <<<"${ORLEANSMOUNT_MOUNT_ARGS---allow-other}"
  MOUNT_ARGS+=("${extra[@]}")
}

NODE_SILO=""
NODE_MOUNT=""

# SIGTERM/SIGINT in node mode: unmount first (the mount process unmounts itself on SIGTERM), then stop the silo.
stop_node() {
  log "stopping: unmounting ${MOUNTPOINT:-}, then the silo"
  if [ -n "$NODE_MOUNT" ] && kill -0 "$NODE_MOUNT" 2>/dev/null; then
    kill -TERM "$NODE_MOUNT" 2>/dev/null || true
    wait "$NODE_MOUNT" 2>/dev/null || true
  fi
  kill -TERM "$NODE_SILO" 2>/dev/null || true
  wait "$NODE_SILO" 2>/dev/null || true
  exit 0
}

# The silo, like the mount, runs with tiered compilation off: its read path compiled optimised once on first use,
# not compiled twice during the first epoch (docs/decisions/0025-silo-tiered-compilation.md), and with a 4 MiB gen0
# budget (docs/decisions/0024-silo-memory-and-first-walk.md). Set DOTNET_TieredCompilation or DOTNET_GCgen0size
# yourself to override.
run_node() {
  silo_args
  mountpoint_path
  DOTNET_TieredCompilation="${DOTNET_TieredCompilation:-0}" DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x400000}" orleansmount-silo "${SILO_ARGS[@]}" &
  NODE_SILO=$!
  trap stop_node TERM INT
  wait_for_silo_and_snapshot
  mount_args
  DOTNET_TieredCompilation="${DOTNET_TieredCompilation:-0}" DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x400000}" orleansmount "${MOUNT_ARGS[@]}" &
  NODE_MOUNT=$!
  # Whichever process ends first ends the node: a container restart is the recovery.
  local status=0
  wait -n "$NODE_SILO" "$NODE_MOUNT" || status=$?
  log "a process exited with status $status; stopping the other"
  trap - TERM INT
  kill -TERM "$NODE_MOUNT" "$NODE_SILO" 2>/dev/null || true
  wait || true
  exit $((status == 0 ? 1 : status))
}

mode=${1:-node}
case "$mode" in
  node)
    run_node
    ;;
  silo)
    shift
    silo_args
    DOTNET_TieredCompilation="${DOTNET_TieredCompilation:-0}" DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x400000}" exec orleansmount-silo "${SILO_ARGS[@]}" "$@"
    ;;
  mount)
    shift
    mountpoint_path
    wait_for_silo_and_snapshot
    mount_args
    DOTNET_TieredCompilation="${DOTNET_TieredCompilation:-0}" DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x400000}" exec orleansmount "${MOUNT_ARGS[@]}" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
