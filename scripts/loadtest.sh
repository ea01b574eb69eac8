#!/usr/bin/env bash
# Load test of `mailadvisor serve` on loopback with wrk (Debian's wrk):
# each endpoint at 64 connections, kept alive and then with
# "Connection: close" on every request (as gunicorn's sync workers, which
# automx2 runs under, close every connection), then the server's memory.
#
#   scripts/loadtest.sh [SECONDS]   (default 60 per run)
#
# Each run of serve is followed by the same run against scripts/hello, a
# Go server that answers a fixed 1.5 KB and does nothing else: the floor
# of this machine and this load generator, measured alternately so that
# the machine's noise hits both alike.
#
# It prints requests/s, p50/p99 latency and errors per run, and the
# server's resident memory (VmRSS, and VmHWM: the peak) at the end. One
# wrk thread by default (THREADS=): on 2 cores, a second one only takes
# the server's core and lengthens the tail.
set -euo pipefail
secs=${1:-60}
threads=${THREADS:-1}
conns=${CONNS:-64}
command -v wrk >/dev/null || { echo "loadtest: wrk is missing (apt-get install wrk)" >&2; exit 2; }
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill "$pid" "$hpid" 2>/dev/null || true; wait "$pid" "$hpid" 2>/dev/null || true; rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/mailadvisor" ./cmd/mailadvisor
CGO_ENABLED=0 go build -trimpath -o "$work/hello" ./scripts/hello
cat >"$work/example.com.yaml" <<'YAML'
domains: [example.com]
display_name: Example Mail
hosts: {imap: imap.example.com, pop3: pop.example.com, smtp: smtp.example.com}
YAML
port=${PORT:-18181}
"$work/mailadvisor" serve --domain-file "$work/example.com.yaml" --listen "127.0.0.1:$port" --rate 0 --log-format json 2>"$work/access.log" &
pid=$!
hport=$((port + 1))
"$work/hello" "127.0.0.1:$hport" &
hpid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$hport/" >/dev/null 2>&1 && break; sleep 0.05; done

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>bob@example.com</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>'
LUA
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT %.0f req/s  p50 %.2f ms  p99 %.2f ms  errors %d  requests %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests))
end
LUA
cat "$work/report.lua" >>"$work/post.lua"

base="http://127.0.0.1:$port"
run() { # name, keepalive|close, url, [lua]
  local script=${4:-$work/report.lua} header=()
  [ "$2" = close ] && header=(-H "Connection: close")
  printf '%-14s %-9s ' "$1" "$2"
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "${header[@]}" -s "$script" "$3" | grep '^RESULT' | sed 's/^RESULT //'
}
rss() { grep -E '^(VmRSS|VmHWM)' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
echo "machine: $(nproc) cores; $conns connections, $threads wrk threads, ${secs}s per run"
echo "server memory before: $(rss)"
for mode in keepalive close; do
  run autoconfig "$mode" "$base/mail/config-v1.1.xml?emailaddress=alice@example.com"
  run hello "$mode" "http://127.0.0.1:$hport/"
  run autodiscover "$mode" "$base/autodiscover/autodiscover.xml" "$work/post.lua"
  run hello "$mode" "http://127.0.0.1:$hport/"
  run mobileconfig "$mode" "$base/mobileconfig?emailaddress=alice@example.com"
  run hello "$mode" "http://127.0.0.1:$hport/"
done
echo "server memory after: $(rss)"
errors=$(grep -c '"status":5' "$work/access.log" || true)
echo "5xx answers in the access log: $errors"
