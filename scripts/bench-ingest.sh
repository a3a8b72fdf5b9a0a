#!/usr/bin/env bash
# Measures ingest throughput on this machine: the in-process ceiling
# (gunzip + zstd on every core) before and after a real server on a fresh
# data folder loaded by `playhead loadgen`, and prints the ratio of the
# server to the mean of the two ceilings (on a shared machine the load of
# others changes during a run; bracketing the server evens it out). Then it
# waits for the processor to fold every batch into the index and prints the
# server's CPU time per batch, ingest and processing together, and the
# load generator's: figures that another process's load changes less than
# a rate.
# Run from the repository root after `make build` (the web assets it embeds).
set -euo pipefail

ADDR=${ADDR:-127.0.0.1:18080}
CONCURRENCY=${CONCURRENCY:-64}
DURATION=${DURATION:-20s}
BARE_DURATION=${BARE_DURATION:-10s}
BIN=${BIN:-bin/playhead}

cd "$(dirname "$0")/.."
[[ -n ${NOBUILD:-} ]] || go build -o "$BIN" ./cmd/playhead

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
PLAYHEAD_INGEST_RATE_IP=0 "$BIN" serve --addr "$ADDR" --data "$tmp/data" \
	--metrics-allow 127.0.0.1 2>"$tmp/server.log" &
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

# CPU seconds the server has used (utime + stime, in clock ticks).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server/stat"; }
metric() { curl -fsS "http://$ADDR/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
cpu0=$(cpu)

echo
echo "== server: $CONCURRENCY workers over HTTP, $DURATION"
# The load generator's CPU seconds (user and system), from bash's time.
TIMEFORMAT='%3U %3S'
{ time http=$(timeout 180 "$BIN" loadgen --url "http://$ADDR" --key "$key" \
	--concurrency "$CONCURRENCY" --duration "$DURATION" --server-pid "$server"); } 2>"$tmp/loadgen.time"
echo "$http"

lag=$(metric playhead_process_lag_batches)
waited=0
while [[ $(metric playhead_process_lag_batches) != 0 && $waited -lt 600 ]]; do
	sleep 1
	waited=$((waited + 1))
done
cpu1=$(cpu)
batches=$(metric 'playhead_ingest_batches_total{result="accepted"}')

echo
echo "== bare again, $BARE_DURATION"
bare2=$(timeout 60 "$BIN" loadgen --bare --duration "$BARE_DURATION")
echo "$bare2"

rate() { grep -o '[0-9.]* batches/s' <<<"$1" | head -n 1 | cut -d' ' -f1; }
echo
echo "processor: $lag batches behind when the load stopped, caught up in ${waited} s"
awk -v c="$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }')" -v n="$batches" \
	'BEGIN { printf "server CPU: %.0f µs a batch, ingest and processing (%.1f s for %d batches)\n", c / n * 1e6, c, n }'
awk -v n="$batches" '{ c = $1 + $2; printf "loadgen CPU: %.0f µs a batch (%.1f s)\n", c / n * 1e6, c }' "$tmp/loadgen.time"
awk -v s="$(rate "$http")" -v b="$(rate "$bare")" -v b2="$(rate "$bare2")" \
	'BEGIN { printf "server/bare: %.2f (%s / mean of %s and %s batches/s)\n", s / ((b + b2) / 2), s, b, b2 }'
