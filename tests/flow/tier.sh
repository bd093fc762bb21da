#!/usr/bin/env bash
# flow tier: `deflector observe` and `deflector audit` end to end on files:
# Hubble's compact lines, jq over the JSON, filters, errors with line and
# byte, rotation with gzip, tamper detection, and the help texts the docs
# quote. Prints "flow: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 2

bin=build/deflector
tool=build/tests/tools/flow_export
fx=tests/fixtures/flow
pass=0 fail=0
tmp=$(mktemp -d /tmp/dflt-flow-tier-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

check() { # name command...
	local name=$1
	shift
	if "$@" >"$tmp/out" 2>"$tmp/err"; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name"
		head -n 20 "$tmp/out" "$tmp/err" | sed 's/^/     /'
	fi
}

for f in "$bin" "$tool"; do
	[ -x "$f" ] || {
		echo "flow: $f is not built (run make)"
		echo "flow: 0 passed, 1 failed"
		exit 1
	}
done

# --- observe -----------------------------------------------------------------
check "compact output is Hubble's, byte for byte" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl) $fx/hubble-examples.compact
check "json output is the lines read" \
	diff <($bin observe --input-file - -o jsonpb <$fx/hubble-examples.jsonl) $fx/hubble-examples.jsonl
check "jq reads the records" diff \
	<(jq -r '.flow | select(.verdict == "DROPPED") | "\(.time) \(.source.pod_name) -> \(.destination.pod_name)"' $fx/hubble-examples.jsonl) \
	<(printf '%s\n' "2026-07-24T15:03:55.120112233Z xwing -> deathstar-8c4c77fb7-h59s2" \
		"2026-07-24T15:03:54.062417Z tiefighter -> deathstar-8c4c77fb7-h59s2")
check "--verdict DROPPED keeps the drops" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl --verdict DROPPED) <(sed -n 1,2p $fx/hubble-examples.compact)
check "--pod matches either side" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl --pod kube-system/coredns) <(sed -n 4,5p $fx/hubble-examples.compact)
check "--from-pod matches one side" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl --from-pod kube-system/coredns) <(sed -n 5p $fx/hubble-examples.compact)
check "--not excludes, -t l7 --http-status 4+ selects the 403" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl -t l7 --http-status 4+ --not --namespace kube-system) <(sed -n 3p $fx/hubble-examples.compact)
check "--since/--until use the line's time" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl --since 2026-07-24T15:03:54Z --until 2026-07-24T15:03:55Z) <(sed -n 2,3p $fx/hubble-examples.compact)
check "--last keeps the last matches" \
	diff <($bin observe --input-file $fx/hubble-examples.jsonl --last 2 --protocol dns) <(sed -n 4,5p $fx/hubble-examples.compact)

bad_input() {
	{ head -n 1 $fx/hubble-examples.jsonl; echo '{"flow":{"l4":{"TCP":{"source_port":70000}}}}'; } >"$tmp/bad.jsonl"
	$bin observe --input-file "$tmp/bad.jsonl" >"$tmp/bad.out" 2>"$tmp/bad.err"
	[ $? -eq 2 ] && grep -q 'bad.jsonl:2: byte [0-9]*: flow.l4.source_port: 70000 is out of range' "$tmp/bad.err" &&
		diff "$tmp/bad.out" <(sed -n 1p $fx/hubble-examples.compact)
}
check "a bad line is named by line and byte, skipped, exit 2" bad_input
check "bad flags exit 2" bash -c "! $bin observe --input-file $fx/hubble-examples.jsonl --ip 1.1.1.1 --from-ip 2.2.2.2 2>/dev/null; [ \$? -eq 0 ]"

# --- exporter, rotation, gzip, audit ------------------------------------------
export_logs() {
	mkdir -p "$tmp/logs" &&
		$tool --max-size 20000 --compress --repeat 60 "$tmp/logs/events.log" $fx/hubble-examples.jsonl 2>"$tmp/export.err" &&
		ls "$tmp"/logs/events-*.log.gz >/dev/null
}
check "the exporter rotates and compresses" export_logs
check "observe reads rotated .gz segments" bash -c \
	"[ \$(cat $tmp/logs/events-*.log.gz | $bin observe --input-file - --verdict DROPPED | wc -l) -gt 0 ]"
check "audit verify passes intact logs" $bin audit verify "$tmp"/logs/events*
check "audit report counts the drops" bash -c \
	"$bin audit report -o csv $tmp/logs/events* | grep -qx 'reason,\"POLICY_DENIED\",60'"
tamper() { # what sed-script expected-message
	rm -rf "$tmp/t" && cp -r "$tmp/logs" "$tmp/t" && sed -i "$1" "$tmp/t/events.log" || return 1
	$bin audit verify "$tmp"/t/events* >"$tmp/v.out"
	[ $? -eq 1 ] && grep -q "$2" "$tmp/v.out"
}
check "audit verify names a deleted record" tamper 2d 'events.log: record 2 was deleted'
check "audit verify names an edited record" tamper '3s/"uuid":"./"uuid":"X/' 'events.log: record 3 (line 3) was edited'
check "audit verify names reordered records" tamper '1{h;d};2{G}' 'events.log: record 1 (line 2) comes after record 2: reordered'
check "audit verify -o json" bash -c "$bin audit verify -o json $tmp/logs/events* | jq -e '.problems == [] and .records > 0'"

# --- the Grafana dashboard's queries parse and use our metric names ---------
dashboard_queries() {
	jq -r '.panels[].targets[]?.expr' deploy/grafana/deflector-dashboard.json |
		sed 's/\$__rate_interval/5m/g' >"$tmp/exprs" || return 1
	{
		echo "groups:"
		echo "- name: dashboard"
		echo "  rules:"
		n=0
		while IFS= read -r e; do
			n=$((n + 1))
			printf '  - record: dashboard:q%d\n    expr: %s\n' "$n" "$(jq -Rn --arg e "$e" '$e')"
		done <"$tmp/exprs"
	} >"$tmp/rules.yaml"
	promtool check rules "$tmp/rules.yaml" || return 1
	# every metric the dashboard reads is one flow/metrics.c writes
	grep -o '\(hubble\|cilium\)_[a-z_]*' "$tmp/exprs" | sed 's/_bucket$//' | sort -u |
		while read -r m; do grep -q "\"$m\"" flow/metrics.c || { echo "unknown metric $m"; exit 1; }; done
}
check "the Grafana dashboard's queries are valid PromQL on our metrics" dashboard_queries

# --- the help texts the docs quote --------------------------------------------
doc_has_help() { # doc command...
	local doc=$1
	shift
	"$@" --help | python3 -c 'import sys; doc=open(sys.argv[1]).read(); sys.exit(0 if sys.stdin.read() in doc else 1)' "$doc"
}
check "docs/cli-observe.md quotes observe --help" doc_has_help docs/cli-observe.md $bin observe
check "docs/cli-audit.md quotes audit --help" doc_has_help docs/cli-audit.md $bin audit
check "docs/cli-audit.md quotes audit verify --help" doc_has_help docs/cli-audit.md $bin audit verify
check "docs/cli-audit.md quotes audit report --help" doc_has_help docs/cli-audit.md $bin audit report

echo "flow: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
