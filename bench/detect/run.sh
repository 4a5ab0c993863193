#!/usr/bin/env bash
# Runs bench/detect: personal.Detect (the detectors of personal data) on a
# synthetic corpus, and in the same run ripgrep (rg -j1 -c) with the
# equivalent candidate regular expressions, one -e per finding type, on
# the same corpus. Both on one core. Prints each one's MB/s, their ratio and
# whether undox reaches the target of 0.5 of rg, and how many of the
# inserted findings undox found.
#
#   bench/detect/run.sh [extra go test flags, e.g. -cpuprofile cpu.out]
#
# Environment:
#   BENCH_MB     corpus size in MB (default 100)
#   BENCH_GAP    mean bytes between inserted findings (default 2048)
#   BENCH_ITERS  scans of the corpus by each, alternating, per measurement
#                (default 3)
#   BENCH_COUNT  measurements, averaged (default 1)
#   BENCH_DIR    folder for the corpus file (default: the system's
#                temporary folder); it is removed at the end
#   BENCH_RG     the rg binary (default: rg on PATH; apt-get install -y ripgrep)
#
# The target is reported, not enforced: the script fails only when the
# benchmark itself fails.
set -euo pipefail

cd "$(dirname "$0")/../.."

iters=${BENCH_ITERS:-3}
count=${BENCH_COUNT:-1}
export BENCH_MB=${BENCH_MB:-100}
target=0.5

rg=${BENCH_RG:-$(command -v rg || true)}
if [[ -z $rg ]]; then
	echo "rg not found: apt-get install -y ripgrep (or set BENCH_RG)" >&2
	exit 1
fi
export BENCH_RG=$rg

out=$(mktemp "${TMPDIR:-/tmp}/bench-detect.XXXXXX")
trap 'rm -f "$out"' EXIT

echo "bench/detect: ${BENCH_MB} MB corpus, a finding every ${BENCH_GAP:-2048} bytes on average, $iters scans by each x $count, one core ($(nproc) CPUs), $("$rg" --version | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
# -cpu 1: GOMAXPROCS=1, one core like rg -j1 (the garbage collector included).
go test ./bench/detect -run '^$' -bench '^BenchmarkDetect$' -benchtime "${iters}x" -count "$count" -cpu 1 \
	-timeout 1h "$@" 2>&1 | tee "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo

awk -v target="$target" '
/^BenchmarkDetect/ {
	runs++
	for (i = 3; i < NF; i++) {
		sum[$(i + 1)] += $i
		if ($(i + 1) == "ratio-cpu") {
			if (!seen || $i < lo) lo = $i
			if (!seen || $i > hi) hi = $i
			seen = 1
		}
	}
}
function mean(u) { return runs ? sum[u] / runs : 0 }
END {
	if (!runs) { print "no result"; exit 1 }
	printf "%-6s %10s %10s\n", "", "MB/s", "CPU-MB/s"
	printf "%-6s %10.1f %10.1f   personal.Detect, one goroutine, GOMAXPROCS=1\n", "undox", mean("undox-MB/s"), mean("undox-cpu-MB/s")
	if (!("rg-MB/s" in sum)) { print "rg     n/a"; exit 0 }
	printf "%-6s %10.1f %10.1f   rg -j1 -c, 14 patterns, its run on an empty file subtracted\n", "rg", mean("rg-MB/s"), mean("rg-cpu-MB/s")
	rc = mean("ratio-cpu")
	printf "ratio undox/rg = %.2f by wall time, %.2f by CPU time", mean("ratio"), rc
	if (runs > 1) printf " (%.2f-%.2f)", lo, hi
	printf "; target >= %.1f: %s\n", target, (rc >= target ? "MET" : "NOT MET")
	printf "inserted findings found by undox: %.2f%%\n", mean("recall-%")
}' "$out"
