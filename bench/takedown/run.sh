#!/usr/bin/env bash
# Runs bench/takedown on SQLite and PostgreSQL in one run: the time from
# POST /api/v1/reports to the notice being accepted by the SMTP server on
# the automatic path (a re-upload of a confirmed case's content, reported
# by anyone), through the real `undox serve`, and in the same run the
# baseline: the same URLs fetched with the safe fetcher and one e-mail each
# sent through the mail package, in a straight loop. Prints, per backend,
# p50/p95/max, the notices lost, the ratio p95(undox)/p95(baseline) and
# whether it meets the target (within 3x), and where undox's time goes.
#
#   bench/takedown/run.sh [extra go test flags, e.g. -cpuprofile cpu.out]
#
# Environment:
#   BENCH_ITEMS     re-uploads per measurement (default 1000)
#   BENCH_RATE      reports per second of the steady run (default 20); the
#                   burst run sends all at once
#   BENCH_CLIENTS   concurrent clients of the steady run (default 4; the
#                   burst run uses at least 32)
#   BENCH_TIMEOUT   how long to wait for missing notices after the last
#                   report (default 10m); the ones still missing count as lost
#   BENCH_COUNT     measurements per benchmark, averaged (default 1)
#   BENCH_UNDOX_BIN an undox binary to run instead of building ./cmd/undox
#   UNDOX_TEST_POSTGRES_URL   PostgreSQL server; a fresh database is created
#       on it and dropped (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable,
#       used when reachable; set UNDOX_TEST_POSTGRES_REQUIRED=1 to insist)
#
# The target is reported, not enforced: the script fails only when the
# benchmark itself fails (a report refused, a setup step that never ends).
set -euo pipefail

cd "$(dirname "$0")/../.."

items=${BENCH_ITEMS:-1000}
count=${BENCH_COUNT:-1}
export BENCH_RATE=${BENCH_RATE:-20}
export BENCH_CLIENTS=${BENCH_CLIENTS:-4}
export BENCH_TIMEOUT=${BENCH_TIMEOUT:-10m}
target=3

source bench/postgres.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-takedown.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out

# The real program, built once (unless BENCH_UNDOX_BIN names one); the
# benchmark starts it as `undox serve`.
if [[ -z ${BENCH_UNDOX_BIN:-} ]]; then
	go build -o "$tmp/undox" ./cmd/undox
	export BENCH_UNDOX_BIN=$tmp/undox
fi

echo "bench/takedown: $items re-uploads x $count per benchmark; steady: $BENCH_RATE reports/s from $BENCH_CLIENTS clients; burst: all at once; $(nproc) CPUs"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
go test ./bench/takedown -run '^$' -bench '^BenchmarkTakedown$' -benchtime "${items}x" -count "$count" \
	-timeout 4h "$@" 2>&1 | tee "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo

awk -v target="$target" '
/^BenchmarkTakedown\// {
	name = $1
	sub(/-[0-9]+$/, "", name)          # the GOMAXPROCS suffix
	split(name, part, "/")
	b = part[2]; v = part[3]
	if (!(b in seen)) { seen[b] = 1; order[++nb] = b }
	runs[b, v]++
	for (i = 3; i < NF; i += 2) {
		sum[b, v, $(i + 1)] += $i
		if ($(i + 1) == "p95-ms") {
			if (!((b, v) in lo) || $i < lo[b, v]) lo[b, v] = $i
			if (!((b, v) in hi) || $i > hi[b, v]) hi[b, v] = $i
		}
	}
}
/^--- SKIP: BenchmarkTakedown\// { split($3, part, "/"); skipped[part[2]] = 1 }
function mean(b, v, u) { return runs[b, v] ? sum[b, v, u] / runs[b, v] : 0 }
END {
	printf "%-9s %-12s %9s %9s %17s %9s %5s %10s %8s %10s %12s %10s %11s\n", "backend", "variant", "p50-ms", "p95-ms", "(min-max)", "max-ms", "lost",
		"notices/s", "tail-ms", "cpu-ms/op", "dispatch-ms", "queued-ms", "running-ms"
	for (k = 1; k <= nb; k++) {
		b = order[k]
		split("undox undox-burst baseline", vs, " ")
		for (j = 1; j <= 3; j++) {
			v = vs[j]
			if (!runs[b, v]) { printf "%-9s %-12s %10s\n", b, v, "n/a"; continue }
			if (v == "baseline")
				printf "%-9s %-12s %9.2f %9.2f %17s %9.2f %5s\n", b, v, mean(b, v, "p50-ms"), mean(b, v, "p95-ms"),
					sprintf("(%.2f-%.2f)", lo[b, v], hi[b, v]), mean(b, v, "max-ms"), "-"
			else
				printf "%-9s %-12s %9.0f %9.0f %17s %9.0f %5.0f %10.1f %8.0f %10.0f %12.0f %10.0f %11.0f\n", b, v, mean(b, v, "p50-ms"), mean(b, v, "p95-ms"),
					sprintf("(%.0f-%.0f)", lo[b, v], hi[b, v]), mean(b, v, "max-ms"), sum[b, v, "lost"],
					mean(b, v, "notices/s"), mean(b, v, "tail-ms"), mean(b, v, "cpu-ms/op"),
					mean(b, v, "dispatch-ms"), mean(b, v, "queued-ms"), mean(b, v, "running-ms")
		}
		base = mean(b, "baseline", "p95-ms")
		if (base > 0) {
			for (j = 1; j <= 2; j++) {
				v = vs[j]
				if (!runs[b, v]) continue
				r = mean(b, v, "p95-ms") / base
				printf "%-9s ratio p95(%s)/p95(baseline) = %.1f (target <= %d: %s)%s\n", b, v, r, target,
					(r <= target && sum[b, v, "lost"] == 0 ? "MET" : "NOT MET"),
					(sum[b, v, "lost"] > 0 ? sprintf("; %d notices never arrived", sum[b, v, "lost"]) : "")
			}
		}
		print ""
	}
	for (b in skipped) if (!(b in seen)) printf "%-9s skipped (no PostgreSQL: set UNDOX_TEST_POSTGRES_URL)\n", b
	if (nb == 0) print "no results"
	print "notices/s: notices from the first report to the last notice; tail-ms: the last notice after the last report;"
	print "cpu-ms/op: CPU per re-upload of undox serve (and of PostgreSQL for its database) during the run;"
	print "dispatch-ms: mean wait from the report to its capture job (new items wake the capture dispatch);"
	print "queued-ms: mean of the other waits for a job to start; running-ms: mean time the jobs ran."
	print "Where the time goes per hop is printed above, after each backend'"'"'s results."
}' "$out"
