#!/usr/bin/env bash
# Runs bench/capture: undox's capture of distinct ~20 KB pages from a
# loopback server (safe fetch, decode, extract text, hash, encrypted store of
# the body and the text) and, in the same run, a plain net/http client that
# GETs the same pages. Prints each one's pages per second and latencies,
# their ratio and whether undox reaches the target of 0.3 of the plain
# client.
#
#   bench/capture/run.sh [extra go test flags, e.g. -cpuprofile cpu.out]
#
# Environment:
#   BENCH_PAGES    pages per measurement (default 3000)
#   BENCH_COUNT    measurements per variant, averaged (default 1)
#   BENCH_WORKERS  concurrent workers (default 16)
#   BENCH_DIR      folder in which the evidence stores are made (default: the
#                  system's temporary folder); its file system matters, see
#                  bench/README.md
#   BENCH_STAGES=1 also measure each step of a capture alone
#                  (BenchmarkCaptureStages), to see where the time goes
#
# The target is reported, not enforced: the script fails only when the
# benchmark itself fails (a page not fetched or not stored).
set -euo pipefail

cd "$(dirname "$0")/../.."

pages=${BENCH_PAGES:-3000}
count=${BENCH_COUNT:-1}
export BENCH_WORKERS=${BENCH_WORKERS:-16}
target=0.3
bench='^BenchmarkCapture$'
if [[ ${BENCH_STAGES:-} == 1 ]]; then
	bench='^BenchmarkCapture(Stages)?$'
fi

store_dir=${BENCH_DIR:-${TMPDIR:-/tmp}}
fs=$(df -PT "$store_dir" 2>/dev/null | awk 'NR == 2 { print $2 " on " $1 }' || true)

out=$(mktemp "${TMPDIR:-/tmp}/bench-capture.XXXXXX")
trap 'rm -f "$out"' EXIT

echo "bench/capture: $pages pages x $count per variant, $BENCH_WORKERS concurrent workers, $(nproc) CPUs"
echo "evidence stores in $store_dir (${fs:-file system unknown})"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
go test ./bench/capture -run '^$' -bench "$bench" -benchtime "${pages}x" -count "$count" \
	-timeout 2h "$@" 2>&1 | tee "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo

awk -v target="$target" '
/^BenchmarkCapture\// {
	name = $1
	sub(/-[0-9]+$/, "", name)          # the GOMAXPROCS suffix
	split(name, part, "/")
	v = part[2]
	runs[v]++
	for (i = 3; i < NF; i += 2) {
		sum[v, $(i + 1)] += $i
		if ($(i + 1) == "pages/s") {
			if (!(v in lo) || $i < lo[v]) lo[v] = $i
			if (!(v in hi) || $i > hi[v]) hi[v] = $i
		}
	}
}
/^BenchmarkCaptureStages\// {
	name = $1
	sub(/-[0-9]+$/, "", name)
	split(name, part, "/")
	s = part[2]
	if (!(s in sruns)) order[++ns] = s
	sruns[s]++
	sns[s] += $3
	for (i = 5; i < NF; i += 2) if ($(i + 1) == "cpu-µs/op") scpu[s] += $i
}
function mean(v, u) { return runs[v] ? sum[v, u] / runs[v] : 0 }
END {
	printf "%-9s %9s %15s %9s %9s %10s\n", "variant", "pages/s", "(min-max)", "p50-ms", "p99-ms", "cpu-µs/op"
	for (j = 1; j <= 2; j++) {
		v = (j == 1) ? "undox" : "baseline"
		if (!runs[v]) { printf "%-9s %9s\n", v, "n/a"; continue }
		printf "%-9s %9.0f %15s %9.2f %9.2f %10.0f\n", v, mean(v, "pages/s"),
			sprintf("(%.0f-%.0f)", lo[v], hi[v]), mean(v, "p50-ms"), mean(v, "p99-ms"), mean(v, "cpu-µs/op")
	}
	if (runs["undox"] && runs["baseline"] && mean("baseline", "pages/s") > 0) {
		r = mean("undox", "pages/s") / mean("baseline", "pages/s")
		printf "ratio undox/baseline = %.3f (target >= %.1f: %s)\n", r, target, (r >= target ? "MET" : "NOT MET")
		printf "undox per page, mean wall time: %.2f ms fetch+decode+extract, %.2f ms hash+store\n",
			mean("undox", "capture-ms"), mean("undox", "store-ms")
	} else {
		print "no results"
	}
	if (ns) {
		print ""
		print "steps of a capture, one at a time (BenchmarkCaptureStages):"
		printf "%-14s %10s %10s\n", "step", "µs/page", "cpu-µs"
		for (k = 1; k <= ns; k++) {
			s = order[k]
			printf "%-14s %10.1f %10.1f\n", s, sns[s] / sruns[s] / 1000, scpu[s] / sruns[s]
		}
	}
}' "$out"
