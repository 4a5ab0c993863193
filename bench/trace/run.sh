#!/usr/bin/env bash
# Runs bench/trace: undox's trace of a batch of distinct URLs against
# loopback DNS and RDAP servers, with a cold and a warm cache, and, in the
# same run, a baseline that makes the same lookups one after another in a
# plain loop. Prints each variant's traces per second, latencies, CPU and
# lookups per trace, and the ratios to the baseline.
#
#   bench/trace/run.sh [extra go test flags, e.g. -cpuprofile cpu.out]
#
# Environment:
#   BENCH_URLS          URLs per measurement, all distinct (default 1000)
#   BENCH_COUNT         measurements per variant, averaged (default 1)
#   BENCH_WORKERS       traces undox runs at once (default 16)
#   BENCH_RDAP_LATENCY  delay of every RDAP answer, e.g. 20ms (default 0:
#                       loopback speed; real RDAP servers take 50-500 ms)
#
# Nothing is enforced: the script fails only when the benchmark itself
# fails (a trace with an error or a wrong answer).
set -euo pipefail

cd "$(dirname "$0")/../.."

urls=${BENCH_URLS:-1000}
count=${BENCH_COUNT:-1}
export BENCH_WORKERS=${BENCH_WORKERS:-16}
export BENCH_RDAP_LATENCY=${BENCH_RDAP_LATENCY:-0s}

out=$(mktemp "${TMPDIR:-/tmp}/bench-trace.XXXXXX")
trap 'rm -f "$out"' EXIT

echo "bench/trace: $urls distinct URLs x $count per variant, $BENCH_WORKERS concurrent traces (undox), RDAP latency $BENCH_RDAP_LATENCY, $(nproc) CPUs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
go test ./bench/trace -run '^$' -bench '^BenchmarkTrace$' -benchtime "${urls}x" -count "$count" \
	-timeout 2h "$@" 2>&1 | tee "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo

awk '
/^BenchmarkTrace\// {
	name = $1
	sub(/-[0-9]+$/, "", name)          # the GOMAXPROCS suffix
	split(name, part, "/")
	v = part[2]
	if (!(v in runs)) order[++nv] = v
	runs[v]++
	for (i = 3; i < NF; i += 2) {
		sum[v, $(i + 1)] += $i
		if ($(i + 1) == "traces/s") {
			if (!(v in lo) || $i < lo[v]) lo[v] = $i
			if (!(v in hi) || $i > hi[v]) hi[v] = $i
		}
	}
}
function mean(v, u) { return runs[v] ? sum[v, u] / runs[v] : 0 }
END {
	if (!nv) { print "no results"; exit }
	printf "%-18s %9s %17s %8s %8s %10s %9s %8s\n", "variant", "traces/s", "(min-max)", "p50-ms", "p99-ms", "cpu-µs/op", "rdap-req", "dns-q"
	for (k = 1; k <= nv; k++) {
		v = order[k]
		printf "%-18s %9.0f %17s %8.2f %8.2f %10.0f %9.2f %8.2f\n", v, mean(v, "traces/s"),
			sprintf("(%.0f-%.0f)", lo[v], hi[v]), mean(v, "p50-ms"), mean(v, "p99-ms"), mean(v, "cpu-µs/op"),
			mean(v, "rdap-req/op"), mean(v, "dns-q/op")
	}
	b = mean("baseline", "traces/s")
	if (b > 0) {
		print ""
		for (k = 1; k <= nv; k++) {
			v = order[k]
			if (v != "baseline") printf "ratio %s / baseline = %.2f\n", v, mean(v, "traces/s") / b
		}
		if (mean("undox-cold", "traces/s") > 0)
			printf "ratio undox-warm / undox-cold = %.1f\n", mean("undox-warm", "traces/s") / mean("undox-cold", "traces/s")
	}
}' "$out"
