#!/usr/bin/env bash
# Proxy scenario tier: real clients (curl, dig, bash /dev/tcp) through
# dfl-proxyd (the L7 proxy on loopback, no BPF) to real upstream servers
# (dfl-http-echo, dfl-dns-echo). Prints "proxy: N passed, N failed".
# Everything it starts is killed on exit, by PID.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$BUILD/tests/tools
for tool in dfl-proxyd dfl-http-echo dfl-dns-echo; do
	if [ ! -x "$T/$tool" ]; then
		echo "missing $T/$tool (make tools)"
		echo "proxy: 0 passed, 1 failed"
		exit 1
	fi
done
for cmd in curl dig; do
	if ! command -v $cmd >/dev/null; then
		echo "missing $cmd"
		echo "proxy: 0 passed, 1 failed"
		exit 1
	fi
done

WORK=$(mktemp -d /tmp/dflt-proxy.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
ko() { fail=$((fail + 1)); echo "  FAIL $1${2:+: $2}"; }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "expected [$2], got [$3]"; fi; }
# check_has NAME NEEDLE HAYSTACK
check_has() { if grep -qF -- "$2" <<<"$3"; then ok "$1"; else ko "$1" "no [$2] in [$3]"; fi; }

# start NAME CMD...: runs CMD in the background, waits for its "ready"
# line, leaves that line in $READY.
start() {
	local name=$1 out=$WORK/$1.out
	shift
	"$@" >"$out" 2>"$WORK/$name.err" &
	PIDS+=($!)
	eval "PID_$name=$!"
	for _ in $(seq 50); do
		READY=$(grep -m1 '^ready' "$out" 2>/dev/null) && [ -n "$READY" ] && return 0
		sleep 0.1
	done
	echo "$name did not start: $(cat "$WORK/$name.err")"
	return 1
}
field() { sed -E "s/.*$1=([0-9]+).*/\\1/" <<<"$READY"; }

start httpd "$T/dfl-http-echo" 127.0.0.1:0 || exit 1
HP=$(field port)
start dnsd "$T/dfl-dns-echo" 127.0.0.1:0 || exit 1
DP=$(field port)

start proxy "$T/dfl-proxyd" --http 127.0.0.1:0 --dns 127.0.0.1:0 \
	--upstream 127.0.0.1:$HP --dns-upstream 127.0.0.1:$DP \
	--http-rule 'method=POST path=/v1/request-landing' \
	--http-rule 'method=GET path=/public.*' \
	--http-rule 'method=HEAD' \
	--http-rule 'host=foo\.bar\.com' \
	--http-rule 'path=/token header=X-Token:abc' \
	--dns-pattern '*.cilium.io' --dns-name api.github.com \
	--events "$WORK/events.json" --learned "$WORK/learned.json" \
	--state "$WORK/fqdn.json" || exit 1
PP=$(field http)
PD=$(field dns)
URL=http://127.0.0.1:$PP

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

echo "== HTTP"
check "starwars: POST /v1/request-landing allowed" 200 \
	"$(code -XPOST -H 'Host: deathstar' $URL/v1/request-landing)"
body=$(curl -s -XPUT -H 'Host: deathstar' $URL/v1/exhaust-port)
check "starwars: PUT /v1/exhaust-port gets 403 Access denied" "Access denied" "$(tr -d '\r' <<<"$body")"
curl -sf -XPUT $URL/v1/exhaust-port -o /dev/null
check "starwars: curl -f exits 22 on the 403" 22 $?
hdrs=$(curl -s -D - -o /dev/null -XPUT $URL/v1/exhaust-port | tr -d '\r')
check_has "403 has content-length 15" "content-length: 15" "$hdrs"
check_has "403 has content-type text/plain" "content-type: text/plain" "$hdrs"

check "path regex sees the query: /public?x=1" 200 "$(code "$URL/public?x=1")"
check "path regex is anchored: /xpublic" 403 "$(code "$URL/xpublic")"
check "method: HEAD allowed by its own rule" 200 "$(code -I $URL/anything)"
check "method: DELETE denied" 403 "$(code -XDELETE $URL/public)"
check "host: foo.bar.com allowed" 200 "$(code -XDELETE -H 'Host: foo.bar.com' $URL/x)"
check "host: the port is part of the authority" 403 \
	"$(code -XDELETE -H 'Host: foo.bar.com:8080' $URL/x)"
check "header: X-Token: abc allowed" 200 "$(code -XPUT -H 'X-Token: abc' $URL/token)"
check "header: wrong value denied" 403 "$(code -XPUT -H 'X-Token: abd' $URL/token)"
check "header: missing denied" 403 "$(code -XPUT $URL/token)"

out=$(curl -s -w '%{http_code}/%{num_connects} ' -o /dev/null $URL/public/a \
	-o /dev/null $URL/private -o /dev/null $URL/public/b)
check "keep-alive: allowed, denied, allowed on one connection" \
	"200/1 403/0 200/0 " "$out"

# Pipelining: three requests in one write, answers in order.
pipeline() {
	exec 3<>/dev/tcp/127.0.0.1/$PP
	printf '%s' "$1" >&3
	timeout 3 cat <&3 | tr -d '\r'
	exec 3<&-
}
out=$(pipeline $'GET /public/1 HTTP/1.1\r\nHost: d\r\n\r\nPUT /v1/exhaust-port HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\nGET /public/3 HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n')
check "pipelining: three answers in request order" "200 403 200" \
	"$(grep -oE '^HTTP/1.1 [0-9]+' <<<"$out" | awk '{printf "%s%s", sep, $2; sep=" "}')"
check_has "pipelining: third reached the server" "ok GET /public/3" "$out"

head -c 100000 /dev/urandom >"$WORK/body"
out=$(curl -s -XPOST -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/body" \
	$URL/v1/request-landing)
check "chunked upload of 100000 bytes streamed" "ok POST /v1/request-landing 100000 127.0.0.1" "$out"
out=$(curl -s -w ' %{time_total}' -XPOST -H 'Expect: 100-continue' \
	--data-binary @"$WORK/body" $URL/v1/request-landing)
check_has "100-continue: body sent and answered" "ok POST /v1/request-landing 100000" "$out"
if awk -v t="${out##* }" 'BEGIN { exit !(t < 0.9) }'; then
	ok "100-continue: relayed at once (no 1 s client wait)"
else
	ko "100-continue: relayed at once" "took ${out##* } s"
fi

out=$(pipeline $'POST /v1/request-landing HTTP/1.1\r\nHost: d\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: d\r\n\r\n')
check "smuggling (CL+TE) gets 400 and nothing else" "400" \
	"$(grep -oE '^HTTP/1.1 [0-9]+' <<<"$out" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
out=$(pipeline $'GET /public HTTP/1.1\r\nHost: d\r\nX: a\r\n b\r\n\r\n')
check_has "obs-fold gets 400" "HTTP/1.1 400 Bad Request" "$out"

if [ "$(id -u)" -eq 0 ]; then
	out=$(curl -s --interface 127.0.0.2 $URL/public/src)
	check "upstream sees the client's address (IP_TRANSPARENT)" \
		"ok GET /public/src 0 127.0.0.2" "$out"
fi

ev=$(cat "$WORK/events.json")
check_has "event: the denied request is DROPPED" \
	'"type":"REQUEST","verdict":"DROPPED","rule":-1' "$ev"
check_has "event: its URL as Hubble prints it" \
	'"url":"http://deathstar/v1/exhaust-port"' "$ev"
check_has "event: its 403 response is FORWARDED" \
	'"type":"RESPONSE","verdict":"FORWARDED","rule":-1' "$ev"

echo "== DNS"
check "dns: allowed pattern answered" 192.0.2.1 "$(dig +short +tries=1 @127.0.0.1 -p $PD www.cilium.io)"
check "dns: matchName, any case" 2001:db8::1 "$(dig +short +tries=1 @127.0.0.1 -p $PD API.GitHub.com AAAA)"
out=$(dig +tries=1 @127.0.0.1 -p $PD cilium.io)
check_has "dns: denied name REFUSED" "status: REFUSED" "$out"
check_has "dns: REFUSED keeps the question" $';cilium.io.\t\t\tIN\tA' "$out"
check "dns: over TCP" 192.0.2.1 "$(dig +tcp +short +tries=1 @127.0.0.1 -p $PD x.cilium.io)"
check_has "dns: denied over TCP" "status: REFUSED" \
	"$(dig +tcp +tries=1 @127.0.0.1 -p $PD evil.example)"
check_has "dns: upstream NXDOMAIN relayed" "status: NXDOMAIN" \
	"$(dig +tries=1 @127.0.0.1 -p $PD nx.cilium.io)"
dig +short +tries=1 @127.0.0.1 -p $PD cname.cilium.io >/dev/null
learned=$(cat "$WORK/learned.json")
check_has "dns: learned IPs with TTL" \
	'{"name":"www.cilium.io.","ttl":60,"endpoint":1,"ips":["192.0.2.1"]}' "$learned"
check_has "dns: CNAME chain learned with the lowest TTL" \
	'{"name":"cname.cilium.io.","ttl":10' "$learned"
if grep -q 'evil.example\|"cilium.io."' "$WORK/learned.json"; then
	ko "dns: nothing learned for denied names"
else
	ok "dns: nothing learned for denied names"
fi

# Learned state survives a restart.
kill "$PID_proxy"
wait "$PID_proxy" 2>/dev/null
check_has "state: saved on stop" '"name":"www.cilium.io."' "$(cat "$WORK/fqdn.json" 2>/dev/null)"
start proxy2 "$T/dfl-proxyd" --dns 127.0.0.1:0 --upstream 127.0.0.1:$HP \
	--dns-upstream 127.0.0.1:$DP --dns-pattern '*' --state "$WORK/fqdn.json"
# www.cilium.io, api.github.com, x.cilium.io, cname.cilium.io
check "state: restored on start" 4 "$(field restored)"

echo "== failures"
start down "$T/dfl-proxyd" --http 127.0.0.1:0 --upstream 127.0.0.1:1 \
	--http-rule 'path=/.*'
check "upstream down gets 503" 503 "$(code http://127.0.0.1:$(field http)/x)"
start none "$T/dfl-proxyd" --http 127.0.0.1:0 --dns 127.0.0.1:0 \
	--upstream 127.0.0.1:$HP --dns-upstream 127.0.0.1:$DP --no-rules
check "no rules known: HTTP denied" 403 "$(code http://127.0.0.1:$(field http)/x)"
check_has "no rules known: DNS refused" "status: REFUSED" \
	"$(dig +tries=1 @127.0.0.1 -p $(field dns) www.cilium.io)"
start nx "$T/dfl-proxyd" --dns 127.0.0.1:0 --dns-upstream 127.0.0.1:$DP \
	--upstream 127.0.0.1:$DP --dns-name ok.io --nxdomain
check_has "deny with NXDOMAIN when configured" "status: NXDOMAIN" \
	"$(dig +tries=1 @127.0.0.1 -p $(field dns) no.io)"

echo "proxy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
