#!/usr/bin/env bash
# Installs the Debian packages a make target needs, and only the missing ones.
# Usage: mk/deps.sh build|test|demo|bench|fuzz
# Called by the Makefile before anything is compiled, so that `make check` and
# `make demo` work on a fresh Debian 12 machine with no other step.
set -euo pipefail

profile=${1:-build}

# package:probe pairs. A probe is "pc:NAME" (pkg-config module), "cmd:NAME"
# (a command on PATH) or "file:PATH".
build_pkgs=(
	"pkg-config:cmd:pkg-config"
	"gcc:cmd:gcc"
	"make:cmd:make"
	"clang:cmd:clang"
	"llvm:cmd:llvm-strip"
	"bpftool:cmd:bpftool"
	"libbpf-dev:pc:libbpf"
	"libelf-dev:pc:libelf"
	"zlib1g-dev:pc:zlib"
	"libyaml-dev:pc:yaml-0.1"
	"libcyaml-dev:pc:libcyaml"
	"libjansson-dev:pc:jansson"
	"libpcre2-dev:pc:libpcre2-8"
	"libldns-dev:pc:ldns"
	"libcurl4-openssl-dev:pc:libcurl"
	"libssl-dev:pc:libcrypto"
	"check:pc:check"
	"node-llhttp:file:/usr/share/llhttp/llhttp.c"
	"linux-libc-dev:file:/usr/include/linux/bpf.h"
)
test_pkgs=(
	"iproute2:cmd:ip"
	"curl:cmd:curl"
	"dnsutils:cmd:dig"
	"nftables:cmd:nft"
	"jq:cmd:jq"
	"kubernetes-client:cmd:kubectl"
	"prometheus:cmd:promtool"
	"python3:cmd:python3"
	"python3-yaml:file:/usr/lib/python3/dist-packages/yaml/__init__.py"
	"libclang-rt-14-dev:file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.asan-x86_64.a"
)
bench_pkgs=(
	"wrk:cmd:wrk"
	"haproxy:cmd:haproxy"
	"dnsdist:cmd:dnsdist"
	"dnsperf:cmd:dnsperf"
	"time:file:/usr/bin/time"
)

want=("${build_pkgs[@]}")
case "$profile" in
build) ;;
test | demo | fuzz) want+=("${test_pkgs[@]}") ;;
bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
*)
	echo "mk/deps.sh: unknown profile '$profile' (build|test|demo|bench|fuzz)" >&2
	exit 2
	;;
esac

present() {
	local kind=${1%%:*} what=${1#*:}
	case "$kind" in
	pc) pkg-config --exists "$what" 2>/dev/null ;;
	cmd) command -v "$what" >/dev/null 2>&1 ;;
	file) [ -e "$what" ] ;;
	esac
}

missing=()
for entry in "${want[@]}"; do
	pkg=${entry%%:*}
	probe=${entry#*:}
	# pkg-config itself must exist before any pc: probe can answer.
	if [ "${probe%%:*}" = pc ] && ! command -v pkg-config >/dev/null 2>&1; then
		missing+=("$pkg")
		continue
	fi
	present "$probe" || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deflector: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "mk/deps.sh: need root to install ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
