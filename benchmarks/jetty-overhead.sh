#!/usr/bin/env bash
# The request-path cost of quiesce-jetty: throughput and p99 latency of GET /work?ms=0 under wrk, plain Jetty
# against QuiesceJetty, A/B interleaved in one run. Both servers are JettyOverheadServer (benchmarks.jar) in
# JVMs started with the same flags, serving the same handler on the same connector configuration (HTTP/1.1 and
# h2c); both run during the whole run, one of them loaded at a time.
#
#   benchmarks/jetty-overhead.sh                 # 6 rounds of 10 s per server, after 10 s of warm-up each
#   benchmarks/jetty-overhead.sh --rounds 3 --seconds 5 --no-build
#
# Each round runs wrk against both servers, one after the other, the order alternating (plain first in odd
# rounds, quiesce first in even ones) so that a drift of the machine falls on both; the figures are the median,
# over the rounds, of the paired ratios quiesce / plain (throughput and p99), each round's pair measured
# back to back. Targets (issue 13): throughput loss <= 5 %, p99 <= +10 %.
#
# Options: --rounds N (6), --seconds S per wrk run (10), --warmup S per server (10), --connections C (50),
# --threads T (2), --out DIR (benchmarks/target/jetty-overhead), --no-build (use benchmarks.jar as it is),
# --baseline plain-vt (plain Jetty with its blocking handlers on virtual threads, as the adapter runs them,
# instead of its default thread pool: isolates the adapter's own request path; the files are then named
# jetty-overhead-vt.*).
# Writes DIR/jetty-overhead.tsv (one line per round and server), DIR/jetty-overhead.md (the table, machine, JDK,
# command, load, verdicts) and the raw wrk output of every run (DIR/jetty-overhead-wrk/). With --out
# docs/benchmarks the figures are published: benchmarks/report.py puts jetty-overhead.md into results.md.
# Needs wrk (Debian: apt-get install wrk) and python3.
# Exit status: non-zero if wrk is missing, a server does not start, or a wrk run had socket errors or non-2xx
# responses.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=6
seconds=10
warmup=10
connections=50
threads=2
out=benchmarks/target/jetty-overhead
build=1
baseline=plain
while (($#)); do
    case "$1" in
        --rounds) rounds=$2; shift ;;
        --seconds) seconds=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --connections) connections=$2; shift ;;
        --threads) threads=$2; shift ;;
        --out) out=$2; shift ;;
        --no-build) build=0 ;;
        --baseline) baseline=$2; shift ;;
        -h | --help) sed -n '2,25p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
case $baseline in
    plain) name=jetty-overhead ;;
    plain-vt) name=jetty-overhead-vt ;;
    *) echo "--baseline is plain or plain-vt, was: $baseline" >&2; exit 2 ;;
esac
if ! command -v wrk > /dev/null; then
    echo "wrk is not installed: apt-get install wrk (Debian/Ubuntu), or brew install wrk" >&2
    exit 2
fi

source bin/jdk25.sh
jar=benchmarks/target/benchmarks.jar
if ((build)) || [[ ! -f $jar ]]; then
    echo "== build: ./mvnw -B -q -pl benchmarks -am package -DskipTests"
    ./mvnw -B -q -pl benchmarks -am package -DskipTests
fi
mkdir -p "$out/$name-wrk"
raw=$out/$name-wrk
tmp=$(mktemp -d)
cp "$jar" "$tmp/benchmarks.jar" # a concurrent build must not change the jar under a running server
jvm=(java -Xms512m -Xmx512m -XX:+UseParallelGC -cp "$tmp/benchmarks.jar")

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

declare -A port
for kind in "$baseline" quiesce; do
    "${jvm[@]}" dev.quiesce.benchmarks.JettyOverheadServer "$kind" > "$tmp/$kind.out" 2> "$tmp/$kind.err" &
    pids+=($!)
    for _ in $(seq 1 300); do
        if grep -q '^listening on ' "$tmp/$kind.out"; then break; fi
        sleep 0.1
    done
    line=$(grep '^listening on ' "$tmp/$kind.out" || true)
    if [[ -z $line ]]; then
        echo "the $kind server did not start:" >&2
        cat "$tmp/$kind.err" >&2
        exit 1
    fi
    port[$kind]=${line##*:}
    echo "== $kind server on 127.0.0.1:${port[$kind]}"
done

# wrk_run KIND SECONDS FILE: one wrk run against KIND's server; prints "requests_per_s p99_ms errors"
wrk_run() {
    wrk -t"$threads" -c"$connections" -d"$2"s --latency "http://127.0.0.1:${port[$1]}/work?ms=0" > "$3"
    python3 - "$3" << 'EOF'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
errors = 0
for pattern in (r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                r"Non-2xx or 3xx responses: (\d+)"):
    e = re.search(pattern, text)
    if e:
        errors += sum(int(g) for g in e.groups())
print(f"{rps:.1f} {p99:.3f} {errors}")
EOF
}

echo "== warm-up: ${warmup} s per server"
for kind in "$baseline" quiesce; do
    wrk_run "$kind" "$warmup" "$raw/warmup-$kind.txt" > /dev/null
done

printf 'round\tserver\trequests_per_s\tp99_ms\terrors\n' > "$out/$name.tsv"
failed=0
for r in $(seq 1 "$rounds"); do
    if ((r % 2)); then order=("$baseline" quiesce); else order=(quiesce "$baseline"); fi
    for kind in "${order[@]}"; do
        read -r rps p99 errors < <(wrk_run "$kind" "$seconds" "$raw/round-$r-$kind.txt")
        printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$kind" "$rps" "$p99" "$errors" >> "$out/$name.tsv"
        echo "round $r $kind: $rps req/s, p99 $p99 ms, errors $errors"
        if ((errors > 0)); then failed=1; fi
    done
done

python3 - "$out" "$rounds" "$seconds" "$warmup" "$connections" "$threads" "$baseline" "$name" << 'EOF'
import csv, os, platform, statistics, subprocess, sys, datetime
out, rounds, seconds, warmup, connections, threads, baseline, name = sys.argv[1:]
rows = list(csv.DictReader(open(os.path.join(out, name + ".tsv")), delimiter="\t"))
by = {}
for row in rows:
    by.setdefault(row["round"], {})[row["server"]] = row
tput, p99 = [], []
lines = []
for r in sorted(by, key=int):
    a, b = by[r][baseline], by[r]["quiesce"]
    t = float(b["requests_per_s"]) / float(a["requests_per_s"])
    p = float(b["p99_ms"]) / float(a["p99_ms"])
    tput.append(t)
    p99.append(p)
    lines.append(f"| {r} | {float(a['requests_per_s']):.0f} | {float(b['requests_per_s']):.0f} | {t:.3f} | "
                 f"{float(a['p99_ms']):.2f} | {float(b['p99_ms']):.2f} | {p:.3f} |")
mt, mp = statistics.median(tput), statistics.median(p99)
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
try:
    load = open("/proc/loadavg").read().split()[:3]
except OSError:
    load = ["?"]
summary = f"""Jetty request-path overhead, {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}:
{os.cpu_count()} CPUs, {platform.platform()}, {java}; load average at the end {' '.join(load)}.
`wrk -t{threads} -c{connections} -d{seconds}s --latency http://127.0.0.1:PORT/work?ms=0`, {rounds} rounds per
server after {warmup} s of warm-up each, the order alternating; ratios are quiesce / {baseline} within a round.
{"Baseline: plain Jetty, its default thread pool." if baseline == "plain" else "Baseline: plain Jetty with its blocking handlers on virtual threads (QueuedThreadPool.setVirtualThreadsExecutor), as the adapter runs them."}

| round | {baseline} req/s | quiesce req/s | throughput ratio | {baseline} p99 ms | quiesce p99 ms | p99 ratio |
|---|---|---|---|---|---|---|
""" + "\n".join(lines) + f"""

Median of the paired ratios: throughput {mt:.3f} (the adapter {abs(1 - mt) * 100:.1f} % {"below" if mt < 1 else "above"}
{baseline} Jetty; target: at most 5 % below: {"met" if mt >= 0.95 else "missed"}), p99 {mp:.3f}
({abs(mp - 1) * 100:.1f} % {"above" if mp > 1 else "below"}; target: at most 10 % above: {"met" if mp <= 1.10 else "missed"}).
""" + ("""
The machine was loaded (load average {} on {} CPUs): a p99 of tens of ms for a request that does nothing is
scheduling stalls, not the request path, and the ratios move by tens of percent from round to round. Repeat the
run on a quiet machine before drawing conclusions from these figures.
""".format(load[0], os.cpu_count()) if load[0] != "?" and float(load[0]) > (os.cpu_count() or 1) else "")
open(os.path.join(out, name + ".md"), "w").write(summary)
print(summary)
EOF
if ((failed)); then
    echo "a wrk run had socket errors or non-2xx responses: see $raw/" >&2
    exit 1
fi
