# Sourced by the benchmarks' run.sh scripts: uses PostgreSQL at
# UNDOX_TEST_POSTGRES_URL (default the local test database) when it is
# reachable; otherwise unsets it so that the PostgreSQL benchmarks skip
# (or keeps it, to fail, with UNDOX_TEST_POSTGRES_REQUIRED=1).
pg_default='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
pg_url=${UNDOX_TEST_POSTGRES_URL:-$pg_default}
# Is the server reachable? (host and port from the URL; 5432 by default)
hostport=${pg_url#*://}
hostport=${hostport#*@}
hostport=${hostport%%[/?]*}
pg_host=${hostport%:*}
pg_port=5432
[[ $hostport == *:* ]] && pg_port=${hostport##*:}
if timeout 3 bash -c ": >/dev/tcp/$pg_host/$pg_port" 2>/dev/null; then
	export UNDOX_TEST_POSTGRES_URL=$pg_url
else
	echo "run.sh: PostgreSQL at $pg_host:$pg_port is unreachable; its benchmarks will skip" >&2
	if [[ ${UNDOX_TEST_POSTGRES_REQUIRED:-} != 1 ]]; then
		unset UNDOX_TEST_POSTGRES_URL
	fi
fi
