#!/usr/bin/env bash
# Measures ingest throughput on this machine: first the in-process ceiling
# (gunzip + zstd on every core), then a real server on a fresh data folder
# loaded by `playhead loadgen`, and prints the ratio of the two.
# Run from the repository root after `make build` (the web assets it embeds).
set -euo pipefail

ADDR=127.0.0.1:18080
CONCURRENCY=${CONCURRENCY:-64}
DURATION=${DURATION:-20s}
BARE_DURATION=${BARE_DURATION:-10s}
BIN=bin/playhead

cd "$(dirname "$0")/.."
go build -o "$BIN" ./cmd/playhead

tmp=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server"
		# The server finishes in-flight requests within 30 s; then give up.
		for _ in $(seq 350); do
			kill -0 "$server" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR#*:}") 2>/dev/null; then
	echo "bench-ingest: something already listens on $ADDR" >&2
	exit 1
fi

# Every simulated visitor comes from 127.0.0.1: the per-address rate limit
# would only measure itself.
PLAYHEAD_INGEST_RATE_IP=0 "$BIN" serve --addr "$ADDR" --data "$tmp/data" 2>"$tmp/server.log" &
server=$!
for _ in $(seq 100); do
	if curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1; then break; fi
	kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
	sleep 0.1
done
key=$("$BIN" project create bench --data "$tmp/data" | tail -n 1)

echo "== bare: gunzip + zstd in process, $BARE_DURATION"
bare=$(timeout 60 "$BIN" loadgen --bare --duration "$BARE_DURATION")
echo "$bare"

echo
echo "== server: $CONCURRENCY workers over HTTP, $DURATION"
http=$(timeout 180 "$BIN" loadgen --url "http://$ADDR" --key "$key" \
	--concurrency "$CONCURRENCY" --duration "$DURATION" --server-pid "$server")
echo "$http"

rate() { grep -o '[0-9.]* batches/s' <<<"$1" | head -n 1 | cut -d' ' -f1; }
echo
awk -v s="$(rate "$http")" -v b="$(rate "$bare")" \
	'BEGIN { printf "server/bare: %.2f (%s / %s batches/s)\n", s / b, s, b }'
