#!/usr/bin/env bash
# Builds the benchmarks and runs them with reference figures of the same primitives from the zstd and openssl
# tools. About 8 minutes on 2 cores. Results: benchmarks/target/results/ (summary.txt, jmh-*.json, tools.txt).
# Options (environment): QUICK=1 halves the JMH iterations; JMH_ARGS adds arguments to every JMH run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/benchmarks/target/results"
jar="$root/benchmarks/target/benchmarks.jar"

mvn_cmd=./mvnw
[[ -x $mvn_cmd ]] || mvn_cmd=mvn
echo "== building (mvn -pl benchmarks -am package, tests skipped; nothing is installed)"
"$mvn_cmd" -q -B -ntp -pl benchmarks -am package -DskipTests
mkdir -p "$out"
summary="$out/summary.txt"
: > "$summary"
log() { echo "$@" | tee -a "$summary"; }

log "== machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1)"
log "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

log "== data: generated table rows (benchmarks/src/main/java/io/backup4j/benchmarks/RealisticData.java)"
java -cp "$jar" io.backup4j.benchmarks.RealisticData | tee -a "$summary"

# JMH: every score is "ops/us" with one op = one input byte, i.e. MB/s (10^6 bytes/s) of input.
if [[ -n ${QUICK:-} ]]; then
  iters=(-f 1 -wi 1 -w 2s -i 2 -r 2s)
else
  iters=(-f 1 -wi 2 -w 2s -i 4 -r 2s)
fi
jmh() {
  local name=$1; shift
  log "== JMH $name (MB/s of input)"
  java -jar "$jar" "$@" "${iters[@]}" -rf json -rff "$out/jmh-$name.json" ${JMH_ARGS:-} > "$out/jmh-$name.log" 2>&1 \
    || { echo "JMH $name failed; see $out/jmh-$name.log" >&2; exit 1; }
  sed -n '/^Benchmark /,$p' "$out/jmh-$name.log" | tee -a "$summary"
}

jmh compress 'CompressBenchmark'
jmh decompress 'DecompressBenchmark'
# backup-crypto is a dependency of this module, so aes-gcm is always there; fail loudly if a build lost it
java -cp "$jar" io.backup4j.benchmarks.Codecs | grep -qx 'aes-gcm' || { echo 'aes-gcm missing from the benchmarks jar' >&2; exit 1; }
jmh encrypted 'EncryptedBenchmark'
jmh engine 'EngineBenchmark'
log "== paired: the cost of encryption, chains alternated in one warmed-up JVM (robust against load drift)"
java -cp "$jar" io.backup4j.benchmarks.PairedRatio zstd-1 zstd-1+aes-gcm 15 | tee -a "$summary"
java -cp "$jar" io.backup4j.benchmarks.PairedRatio lz4 lz4+aes-gcm 15 | tee -a "$summary"
log "== fresh JVM (no JMH warm-up), 1 GiB each"
for chain in zstd-1 aes-gcm zstd-1+aes-gcm; do
  java -cp "$jar" io.backup4j.benchmarks.ColdStart "$chain" 1024 128 | tee -a "$summary"
done

log "== reference: command-line tools on the same data ($out/sample.dat, 64 MiB)"
java -cp "$jar" io.backup4j.benchmarks.RealisticData --write "$out/sample.dat" 67108864
{
  if command -v zstd >/dev/null; then
    for args in "-b1" "-b3" "-b3 -T2"; do
      # zstd -b prints progress with carriage returns; keep the final line.
      # shellcheck disable=SC2086
      echo "zstd $args: $(zstd $args -i3 "$out/sample.dat" 2>&1 | tr '\r' '\n' | grep -E 'MB/s' | tail -1)"
    done
  else
    echo "zstd not installed: no zstd reference"
  fi
  if command -v openssl >/dev/null; then
    echo "openssl speed -evp aes-256-gcm (bytes per second by block size, in 1000s):"
    openssl speed -evp aes-256-gcm -seconds 2 2>/dev/null | tail -3
  else
    echo "openssl not installed: no AES-GCM reference"
  fi
} | tee "$out/tools.txt" | tee -a "$summary"
rm -f "$out/sample.dat"
log "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "summary: $summary"
