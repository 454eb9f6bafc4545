#!/usr/bin/env bash
# Start time and idle RSS of the Spring demo (samples-spring/target/quiesce-spring-demo.jar), with the Quiesce
# starter and without it (--naive: plain Boot graceful shutdown, the starter off), interleaved in one run.
#
#   benchmarks/spring-startup.sh                  # 7 rounds, 3 s settle
#   benchmarks/spring-startup.sh --rounds 3 --settle 2 --no-build
#
# Each round starts the jar once per variant, the order alternating (starter first in odd rounds, naive first in
# even ones) so that a drift of the machine falls on both. Start time: from the launch of `java -jar` to the
# `listening on http://127.0.0.1:PORT` line (the demo prints it once Boot's ApplicationReadyEvent has passed); idle
# RSS: VmRSS of /proc/PID/status after the settle, no request served. Each process is then stopped with SIGTERM
# (SIGKILL after 30 s). The figures are the medians over the rounds, and the median of the paired ratios
# starter / naive within a round.
#
# Options: --rounds N (7), --settle S seconds before reading VmRSS (3), --out FILE (benchmarks/target/spring-startup.md),
# --no-build (use the jar as it is). Needs Linux (/proc) and python3. Writes the table, machine, JDK, command and load
# average to FILE and to the output. Exit status: non-zero if the jar does not start or print its listening line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=7
settle=3
out=benchmarks/target/spring-startup.md
build=1
args=("$@")
while (($#)); do
    case "$1" in
        --rounds) rounds=$2; shift ;;
        --settle) settle=$2; shift ;;
        --out) out=$2; shift ;;
        --no-build) build=0 ;;
        -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

source bin/jdk25.sh
jar=samples-spring/target/quiesce-spring-demo.jar
if ((build)) || [[ ! -f $jar ]]; then
    ./mvnw -B -q -pl samples-spring -am package -DskipTests
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# one run: prints "start_ms rss_kb"
measure() {
    local variant=$1 log=$work/$1.log pid start now rss
    local extra=()
    [[ $variant == naive ]] && extra=(--naive)
    rm -f "$work/state.json"
    : > "$log" # emptied here: the background job's own redirection may come after the first grep
    start=$(date +%s%N)
    java -jar "$jar" serve --port 0 --state "$work/state.json" "${extra[@]}" > "$log" 2>&1 &
    pid=$!
    until grep -q '^listening on http://127.0.0.1:' "$log"; do
        if ! kill -0 "$pid" 2> /dev/null; then
            echo "the $variant demo exited before listening:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.005
    done
    now=$(date +%s%N)
    sleep "$settle"
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"
    for _ in $(seq 300); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    echo "$(((now - start) / 1000000)) $rss"
}

rows=()
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2)); then order=(starter naive); else order=(naive starter); fi
    declare -A m=()
    for v in "${order[@]}"; do
        m[$v]=$(measure "$v")
    done
    rows+=("$r ${m[starter]} ${m[naive]}")
    echo "round $r: starter ${m[starter]}, naive ${m[naive]} (start ms, RSS kB)" >&2
done

printf '%s\n' "${rows[@]}" > "$work/rows"
python3 - "$work/rows" "$out" "$rounds" "$settle" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(nproc)" "$(java -version 2>&1 | head -1)" "benchmarks/spring-startup.sh ${args[*]}" << 'PY'
import statistics, sys, datetime
rows_file, out, rounds, settle, load_before, load_after, cpus, jdk, command = sys.argv[1:]
rows = [list(map(int, l.split())) for l in open(rows_file) if l.strip()]
med = lambda xs: statistics.median(xs)
lines = [f"Spring demo start time and idle RSS, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC: {cpus} CPUs,"
         f" {jdk}; load average {load_before} before, {load_after} after.",
         f"`{command.strip()}`: {rounds} rounds, the order alternating; RSS read {settle} s after the listening line.", "",
         "| round | starter start ms | naive start ms | start ratio | starter RSS MiB | naive RSS MiB | RSS ratio |",
         "|---|---|---|---|---|---|---|"]
for r, ss, sr, ns, nr in rows:
    lines.append(f"| {r} | {ss} | {ns} | {ss / ns:.3f} | {sr / 1024:.1f} | {nr / 1024:.1f} | {sr / nr:.3f} |")
lines += ["", f"Medians: start {med([x[1] for x in rows]):.0f} ms with the starter, {med([x[3] for x in rows]):.0f} ms"
          f" without (paired ratio {med([x[1] / x[3] for x in rows]):.3f}); idle RSS"
          f" {med([x[2] for x in rows]) / 1024:.1f} MiB with the starter, {med([x[4] for x in rows]) / 1024:.1f} MiB"
          f" without (paired ratio {med([x[2] / x[4] for x in rows]):.3f})."]
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
