#!/usr/bin/env bash
# Runs bench/intake on SQLite and PostgreSQL in one run and prints, per
# backend, undox's and the baseline's reports per second and latencies,
# their ratio and whether undox reaches the target of 0.5 of the baseline.
#
#   bench/intake/run.sh [extra go test flags, e.g. -cpuprofile cpu.out]
#
# Environment:
#   BENCH_REQUESTS   reports per measurement (default 3000)
#   BENCH_COUNT      measurements per benchmark, averaged (default 1)
#   BENCH_CLIENTS    concurrent clients (default 64)
#   UNDOX_TEST_POSTGRES_URL   PostgreSQL server; a fresh database is created
#       on it and dropped (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable,
#       used when reachable; set UNDOX_TEST_POSTGRES_REQUIRED=1 to insist)
#
# The target is reported, not enforced: the script fails only when the
# benchmark itself fails (a report not accepted, a database error).
set -euo pipefail

cd "$(dirname "$0")/../.."

requests=${BENCH_REQUESTS:-3000}
count=${BENCH_COUNT:-1}
export BENCH_CLIENTS=${BENCH_CLIENTS:-64}
target=0.5

source bench/postgres.sh

out=$(mktemp "${TMPDIR:-/tmp}/bench-intake.XXXXXX")
trap 'rm -f "$out"' EXIT

echo "bench/intake: $requests reports x $count per benchmark, $BENCH_CLIENTS concurrent clients, $(nproc) CPUs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
go test ./bench/intake -run '^$' -bench '^BenchmarkIntake$' -benchtime "${requests}x" -count "$count" \
	-timeout 2h "$@" 2>&1 | tee "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo

awk -v target="$target" '
/^BenchmarkIntake\// {
	name = $1
	sub(/-[0-9]+$/, "", name)          # the GOMAXPROCS suffix
	split(name, part, "/")
	b = part[2]; v = part[3]
	if (!(b in seen)) { seen[b] = 1; order[++nb] = b }
	runs[b, v]++
	for (i = 3; i < NF; i += 2) {
		sum[b, v, $(i + 1)] += $i
		if ($(i + 1) == "reports/s") {
			if (!((b, v) in lo) || $i < lo[b, v]) lo[b, v] = $i
			if (!((b, v) in hi) || $i > hi[b, v]) hi[b, v] = $i
		}
	}
}
/^--- SKIP: BenchmarkIntake\// { split($3, part, "/"); skipped[part[2]] = 1 }
function mean(b, v, u) { return runs[b, v] ? sum[b, v, u] / runs[b, v] : 0 }
END {
	printf "%-9s %-9s %11s %15s %9s %9s %10s\n", "backend", "variant", "reports/s", "(min-max)", "p50-ms", "p99-ms", "cpu-µs/op"
	for (k = 1; k <= nb; k++) {
		b = order[k]
		for (j = 1; j <= 2; j++) {
			v = (j == 1) ? "undox" : "baseline"
			if (!runs[b, v]) { printf "%-9s %-9s %11s\n", b, v, "n/a"; continue }
			printf "%-9s %-9s %11.0f %15s %9.2f %9.2f %10.0f\n", b, v, mean(b, v, "reports/s"),
				sprintf("(%.0f-%.0f)", lo[b, v], hi[b, v]), mean(b, v, "p50-ms"), mean(b, v, "p99-ms"), mean(b, v, "cpu-µs/op")
		}
		if (runs[b, "undox"] && runs[b, "baseline"] && mean(b, "baseline", "reports/s") > 0) {
			r = mean(b, "undox", "reports/s") / mean(b, "baseline", "reports/s")
			printf "%-9s ratio undox/baseline = %.2f (target >= %.1f: %s); undox triage backlog drained %.1f s after the last report\n",
				b, r, target, (r >= target ? "MET" : "NOT MET"), mean(b, "undox", "drain-ms") / 1000
		}
		print ""
	}
	for (b in skipped) if (!(b in seen)) printf "%-9s skipped (no PostgreSQL: set UNDOX_TEST_POSTGRES_URL)\n", b
	if (nb == 0) print "no results"
}' "$out"
