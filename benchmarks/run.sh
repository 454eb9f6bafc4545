#!/usr/bin/env bash
# Runs the JMH suite and the shutdown end-to-end probe and writes the results: JMH JSON and logs, footprint
# and shutdown JSON lines, a markdown table (machine, JDK, commands, score ± error, ratio to the floor) and
# SVG charts.
#
#   benchmarks/run.sh --quick      # CI smoke: n = 10 000, one fork, few iterations, 3 shutdown rounds, and
#                                  # the paired mode at n = 10 000 with few blocks (3-6 min on 2 cores)
#   benchmarks/run.sh --headline   # the published set: the paired mode (park/sleep at 10 000 and 100 000,
#                                  # fork cost; the headline table), then JMH: park/sleep at 10 000 and
#                                  # 100 000, cpu at 10 000, socket at 1 000, fork cost, footprint, 10
#                                  # shutdown rounds; 3 forks (~1.5 h on 2 cores)
#   benchmarks/run.sh --full       # the whole matrix, 3 forks (several hours on 2 cores)
#
# Options: --out DIR (default: docs/benchmarks for --headline/--full, benchmarks/target/results-quick for
# --quick), --no-build (use the existing jars), --parts a,b (run only these parts of the mode, e.g.
# cancel-cpu,fork,footprint,shutdown,paired, keeping the other results in DIR). Extra arguments after `--` go to
# every JMH run. The jars are copied to a private temporary directory first: a concurrent `mvn package`
# rewriting benchmarks/target/benchmarks.jar or samples/target/quiesce-demo.jar must not break a run that
# takes an hour.
# Exit status: non-zero if the jar holds no benchmarks, a benchmark errors (in --quick every failure is an
# error; in the other modes the expected "did not complete" cells are reported, not fatal), a shutdown
# round fails in --quick (an exit code other than expected, a request not answered 200; in the other modes
# it is reported in the results), an invocation of the paired mode fails in --quick (never on its verdicts)
# or a results file is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

mode=""
out=""
build=1
parts=""
extra=()
while (($#)); do
    case "$1" in
        --quick | --headline | --full) mode=${1#--} ;;
        --out) out=$2; shift ;;
        --no-build) build=0 ;;
        --parts) parts=",$2,"; shift ;;
        --) shift; extra=("$@"); break ;;
        -h | --help) sed -n '2,28p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [[ -z $mode ]]; then
    echo "say which run: --quick, --headline or --full (see --help)" >&2
    exit 2
fi
if [[ -z $out ]]; then
    if [[ $mode == quick ]]; then out=benchmarks/target/results-quick; else out=docs/benchmarks; fi
fi

source bin/jdk25.sh
jar=benchmarks/target/benchmarks.jar
demo_jar=samples/target/quiesce-demo.jar # the service the shutdown end-to-end probe stops
if ((build)) || [[ ! -f $jar || ! -f $demo_jar ]]; then
    echo "== build: ./mvnw -B -q -pl samples,benchmarks -am package -DskipTests"
    ./mvnw -B -q -pl samples,benchmarks -am package -DskipTests
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$jar" "$tmp/benchmarks.jar"
cp "$demo_jar" "$tmp/quiesce-demo.jar"
jar_src=$jar
jar=$tmp/benchmarks.jar

java_cmd=(java --enable-preview)
count=$("${java_cmd[@]}" -jar "$jar" -l | grep -c '^dev\.quiesce\.benchmarks\.' || true)
if ((count == 0)); then
    echo "FAIL: $jar holds no benchmarks (is the JMH annotation processor configured?)" >&2
    exit 1
fi
echo "== $jar_src (run from a private copy): $count benchmarks"

mkdir -p "$out"
# want PART: whether this run includes PART
want() { [[ -z $parts || $parts == *",$1,"* ]]; }
if [[ -z $parts ]]; then
    rm -f "$out"/jmh-*.json "$out"/jmh-*.log "$out"/footprint.jsonl "$out"/shutdown.jsonl "$out"/shutdown.log \
        "$out"/commands.txt "$out"/meta.json "$out"/load.txt "$out"/paired.json "$out"/paired.md "$out"/paired.log
    python3 benchmarks/report.py "$out" --mode "$mode" --meta-only   # machine, JDK, git commit, start time
fi
echo "benchmarks/run.sh --$mode${parts:+ --parts ${parts:1:-1}}${extra:+ -- ${extra[*]}}" >>"$out/commands.txt"

foe=()
if [[ $mode == quick ]]; then foe=(-foe true); fi

# jmh NAME ARGS...: one JMH run, JSON to $out/jmh-NAME.json, log to $out/jmh-NAME.log.
jmh() {
    local name=$1
    shift
    want "$name" || return 0
    rm -f "$out/jmh-$name.json" "$out/jmh-$name.log"
    local cmd=("${java_cmd[@]}" -jar "$jar" "$@" "${foe[@]}" -rf json -rff "$out/jmh-$name.json" "${extra[@]}")
    echo "${cmd[*]/$jar/benchmarks/target/benchmarks.jar}" >>"$out/commands.txt"
    echo "== jmh-$name: ${cmd[*]}"
    echo "$(date -u +%H:%M:%S) jmh-$name start, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
    "${cmd[@]}" 2>&1 | tee "$out/jmh-$name.log" | grep -E '^(# Parameters|CancelToJoin|ForkCost|.*Exception)' || true
    echo "$(date -u +%H:%M:%S) jmh-$name end, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
    if [[ ! -s $out/jmh-$name.json ]]; then
        echo "FAIL: jmh-$name wrote no results (see $out/jmh-$name.log)" >&2
        exit 1
    fi
}

# footprint IMPL N JVMS: JVMS fresh JVMs, each 5 measured rounds after 2 warm-up rounds.
footprint() {
    local impl=$1 n=$2 jvms=$3 rounds=$4
    want footprint || return 0
    local cmd=("${java_cmd[@]}" -Xms2g -Xmx2g -cp "$jar" dev.quiesce.benchmarks.Footprint "$impl" "$n" "$rounds" 2)
    echo "${cmd[*]/$jar/benchmarks/target/benchmarks.jar}   # x $jvms JVMs" >>"$out/commands.txt"
    for ((j = 0; j < jvms; j++)); do
        "${cmd[@]}" >>"$out/footprint.jsonl"
    done
}

# shutdown ROUNDS: the end-to-end probe, ROUNDS rounds of fresh JVMs: the baseline JVM (a main that waits), the
# naive server, the demo service idle and with 1 000 requests in flight; JSON lines to $out/shutdown.jsonl, the
# children's output with arrival times to $out/shutdown.log. See docs/benchmarks/README.md.
shutdown_e2e() {
    local rounds=$1
    want shutdown || return 0
    rm -f "$out/shutdown.jsonl" "$out/shutdown.log"
    local cmd=("${java_cmd[@]}" -cp "$jar" dev.quiesce.benchmarks.ShutdownEndToEnd --jar "$tmp/quiesce-demo.jar"
        --jar-label "$demo_jar" --rounds "$rounds" --log "$out/shutdown.log")
    echo "${java_cmd[*]} -cp benchmarks/target/benchmarks.jar dev.quiesce.benchmarks.ShutdownEndToEnd --jar $demo_jar" \
        "--rounds $rounds --log $out/shutdown.log" >>"$out/commands.txt"
    echo "== shutdown end-to-end: $rounds rounds"
    echo "$(date -u +%H:%M:%S) shutdown start, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
    local rc=0
    "${cmd[@]}" >"$out/shutdown.jsonl" || rc=$?
    echo "$(date -u +%H:%M:%S) shutdown end, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
    if ((rc != 0)); then
        shutdown_failed=$rc # in --quick the run fails, after the report is written
        echo "shutdown end-to-end: a round failed (exit code $rc; see \"problems\" in $out/shutdown.jsonl)" >&2
    fi
}
shutdown_failed=0

# paired ARGS...: the paired mode (dev.quiesce.benchmarks.Paired): every implementation of a cell in one JVM, in
# interleaved blocks, the median and IQR of the per-block ratio to the floor; $out/paired.json, $out/paired.md
# (the headline table), its progress in $out/paired.log. See docs/benchmarks/README.md.
paired() {
    want paired || return 0
    rm -f "$out/paired.json" "$out/paired.md" "$out/paired.log"
    local cmd=("${java_cmd[@]}" -Xms4g -Xmx4g -cp "$jar" dev.quiesce.benchmarks.Paired --out "$out" "$@")
    echo "${cmd[*]/$jar/benchmarks/target/benchmarks.jar}" >>"$out/commands.txt"
    echo "== paired: ${cmd[*]}"
    echo "$(date -u +%H:%M:%S) paired start, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
    local rc=0
    "${cmd[@]}" 2>&1 | tee "$out/paired.log" | grep -E '^paired ' || rc=${PIPESTATUS[0]}
    echo "$(date -u +%H:%M:%S) paired end, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/load.txt"
    if [[ ! -s $out/paired.json || ! -s $out/paired.md ]]; then
        echo "FAIL: the paired mode wrote no results (see $out/paired.log)" >&2
        exit 1
    fi
    if ((rc != 0)); then
        paired_failed=$rc # in --quick the run fails, after the report is written
        echo "paired: an invocation failed (exit code $rc; see \"Failed cells\" in $out/paired.md)" >&2
    fi
}
paired_failed=0

if want footprint; then rm -f "$out/footprint.jsonl"; fi
impls_all=floor,executor,jdkFlat,jdkNested,jdkTree,quiesceFlat,quiesceNested,quiesceTree
case $mode in
    quick)
        # few blocks: a smoke run of the paired mode (its verdicts are reported, never a failure)
        paired --n 10000 --kind park,sleep --issuer platform --blocks 8 --warmup 2 \
            --fork-n 10000 --starter platform,virtual --fork-blocks 12
        jmh cancel CancelToJoin -p n=10000 -p kind=park,sleep -p impl=$impls_all -p issuer=platform,virtual \
            -f 1 -wi 3 -i 3
        # CPU-busy tasks: only what must complete (the JDK's nested scopes do not; see the headline results)
        jmh cancel-cpu CancelToJoin -p n=10000 -p kind=cpu -p impl=floor,quiesceFlat,quiesceTree -p issuer=platform \
            -f 1 -wi 2 -i 3
        jmh fork ForkCost -p n=10000 -p starter=platform -f 1 -wi 3 -i 3
        for impl in bare executor jdk quiesce; do footprint $impl 10000 1 2; done
        shutdown_e2e 3
        ;;
    headline)
        paired --n 10000,100000 --kind park,sleep --issuer platform,virtual --blocks 21 --warmup 3 \
            --fork-n 10000,100000 --starter platform,virtual --fork-blocks 31
        jmh cancel-10k CancelToJoin -p n=10000 -p kind=park,sleep -p impl=$impls_all -p issuer=platform,virtual \
            -f 3 -wi 10 -i 10
        jmh cancel-100k CancelToJoin -p n=100000 -p kind=park,sleep -p impl=$impls_all -p issuer=platform,virtual \
            -f 3 -wi 4 -i 5
        jmh cancel-cpu CancelToJoin -p n=10000 -p kind=cpu -p impl=$impls_all -p issuer=platform -f 3 -wi 5 -i 5
        jmh cancel-cpu-vt CancelToJoin -p n=10000 -p kind=cpu -p impl=floor,quiesceFlat -p issuer=virtual \
            -f 3 -wi 5 -i 5
        jmh cancel-socket CancelToJoin -p n=1000 -p kind=socket -p impl=$impls_all -p issuer=platform,virtual \
            -f 3 -wi 10 -i 10
        jmh fork ForkCost -f 3 -wi 10 -i 10
        for n in 10000 100000; do
            for impl in bare executor jdk quiesce; do footprint $impl $n 3 5; done
        done
        shutdown_e2e 10
        ;;
    full)
        paired --n 10000,100000 --kind park,sleep --issuer platform,virtual --blocks 21 --warmup 3 \
            --fork-n 1000,10000,100000 --starter platform,virtual --fork-blocks 31
        jmh cancel-small CancelToJoin -p n=1000,10000 -p kind=park,sleep,cpu -p impl=$impls_all \
            -p issuer=platform,virtual -f 3 -wi 10 -i 10
        jmh cancel-100k CancelToJoin -p n=100000 -p kind=park,sleep,cpu -p impl=$impls_all \
            -p issuer=platform,virtual -f 3 -wi 5 -i 5
        # socket: 2 descriptors per task in this process; see docs/benchmarks/README.md for the limit
        jmh cancel-socket CancelToJoin -p n=1000 -p kind=socket -p impl=$impls_all -p issuer=platform,virtual \
            -f 3 -wi 10 -i 10
        jmh fork ForkCost -f 3 -wi 10 -i 10
        for n in 1000 10000 100000; do
            for impl in bare executor jdk quiesce; do footprint $impl $n 3 5; done
        done
        shutdown_e2e 10
        ;;
esac

echo "== report"
check=()
if [[ $mode == quick ]]; then check=(--check); fi
python3 benchmarks/report.py "$out" --mode "$mode" "${check[@]}"
echo "== results in $out/results.md"
if ((shutdown_failed)) && [[ $mode == quick ]]; then
    echo "FAIL: a shutdown end-to-end round failed (see $out/results.md)" >&2
    exit 1
fi
if ((paired_failed)) && [[ $mode == quick ]]; then
    echo "FAIL: an invocation of the paired mode failed (see $out/paired.md)" >&2
    exit 1
fi
