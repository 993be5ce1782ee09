# Shared by demo.sh and cluster-demo.sh (sourced): paths, checks and helpers.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK="$ROOT/.demo"
OM="$ROOT/bin/orleansmount" SILO="$ROOT/bin/orleansmount-silo"
S3RVER="$ROOT/.tools/s3rver/node_modules/.bin/s3rver"
[ -x "$OM" ] && [ -x "$SILO" ] || { echo "demo: run ./build.sh first" >&2; exit 1; }
[ -x "$S3RVER" ] || { echo "demo: s3rver missing: run ./build.sh deps" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { printf '\n== %s\n' "$*"; }
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "demo: $1 did not answer" >&2; return 1; }

# start_s3rver PORT: s3rver on loopback with its data under $WORK/s3; sets S3_PID and the AWS environment.
start_s3rver() {
  export AWS_ENDPOINT_URL="http://127.0.0.1:$1" AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$WORK/s3" -a 127.0.0.1 -p "$1" --no-vhost-buckets --silent >"$WORK/s3rver.log" 2>&1 &
  S3_PID=$!
  wait_http "http://127.0.0.1:$1/"
}
