#!/usr/bin/env bash
# Runs bench/watch: undox's watch index against grep -F, in the same run,
# each on one core (taskset -c 0; undox with GOMAXPROCS=1):
#   - build: undox from 1,000,000 plain identifiers to a ready index, against
#     grep's pattern compile (LC_ALL=C grep -F -c -f patterns.txt on an empty
#     file);
#   - scan: a 300 MB synthetic corpus, twice (plain filler text, and filler
#     in which a third of the words are the identifiers' name parts), undox
#     against grep's run on the corpus minus its run on the empty file;
#   - peak memory of each (the kernel's max RSS of the process);
#   - how many of the identifiers inserted in the corpus each finds (about
#     40 % of them obfuscated: leetspeak, letter-spaced, look-alikes, other
#     phone and number separators, "at"/"dot" e-mail addresses).
# It prints the comparison and whether each target is met (scan >= 2x grep,
# build <= 1/10 of grep's compile, peak memory <= 1/4 of grep's, every
# inserted identifier found). Targets are reported, not enforced.
#
#   bench/watch/run.sh [extra go test flags]
#
# Environment:
#   BENCH_IDENTIFIERS  protected identifiers (default 1000000)
#   BENCH_CORPUS_MB    corpus size per variant in MiB (default 300)
#   BENCH_COUNT        timed runs of each side; the fastest counts (default 1)
#   BENCH_DIR          folder for the generated files (default: the system's
#                      temporary folder); about 450 MB at most, deleted after
set -euo pipefail

cd "$(dirname "$0")/../.."

command -v taskset >/dev/null || echo "warning: taskset not found, processes are not pinned to one core" >&2
echo "bench/watch: ${BENCH_IDENTIFIERS:-1000000} identifiers, ${BENCH_CORPUS_MB:-300} MiB corpus per variant, $(nproc) CPUs, $(grep --version | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
go test ./bench/watch -run '^$' -bench '^BenchmarkWatch$' -benchtime 1x -count 1 -timeout 2h "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
