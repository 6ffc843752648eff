#!/usr/bin/env bash
# End-to-end PostgreSQL benchmark: backup4j (pg_dump engine) vs the usual runbook pipelines. Not a test.
# Usage: benchmarks/pg-e2e.sh [rows=1500000] [serverMajor=15] [rounds=3]
# The CLI is timed through bin/backup4j (with the class-data-sharing archive it keeps); B4J_BENCH_CLI=jar times
# `java -jar backup4j.jar` instead.
# Needs Debian's postgresql-client (pg_dump/pg_restore), gzip, openssl and zstd. Prints a Markdown table;
# docs/performance-postgres.md keeps the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1500000}"
major="${2:-15}"
# builds the modules (never installs) and writes each module's class path to its target/bench.classpath
mvn -q -pl backup-postgres,backup-compress,backup-crypto -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
# the packaged CLI, timed as cron runs it: a fresh JVM per backup and restore
mvn -q -pl backup-cli -am package -DskipTests
cp="backup-postgres/target/test-classes:backup-postgres/target/classes:$(cat backup-postgres/target/bench.classpath)"
# the transforms join the class path when their modules have providers, so the benchmark uses zstd and aes-gcm
for m in backup-compress backup-crypto; do
  if [ -d "$m/target/classes/META-INF/services" ]; then
    cp="$cp:$m/target/classes:$(cat "$m/target/bench.classpath")"
  fi
done
exec java -Xmx512m \
  -Dbackup4j.postgres.binaries.15="$PWD/backup-postgres/target/pg-binaries/postgres-15.jar" \
  -Dbackup4j.postgres.binaries.17="$PWD/backup-postgres/target/pg-binaries/postgres-17.jar" \
  -Dbackup4j.bench.cliJar="$PWD/backup-cli/target/backup4j.jar" \
  $([ "${B4J_BENCH_CLI:-launcher}" = jar ] || echo "-Dbackup4j.bench.cliLauncher=$PWD/bin/backup4j") \
  -cp "$cp" io.backup4j.postgres.bench.PgEndToEndBenchmark "$rows" "$major" "${3:-3}"
