#!/usr/bin/env bash
# Runs the jcstress tests of the scope engine (jcstress/README.md) and fails on any forbidden outcome or error.
#
#   jcstress/run.sh --quick      # CI: jcstress -m quick on 2 CPUs, one JVM configuration (~3 min on 2 cores)
#   jcstress/run.sh --full       # jcstress -m default, every CPU and JVM configuration (1-2 h on 2 cores)
#
# Options: --no-build (use the existing jar; it is built anyway if missing), -t REGEX (only the tests whose
# name matches, e.g. -t ForkServiceVsClose), --out DIR (default jcstress/target/results-MODE). Extra
# arguments after `--` go to jcstress (java -jar jcstress.jar -h lists them).
# Exit status: 0 if every test passed; 1 if a test saw a forbidden outcome or errored, jcstress failed, or no
# test ran. The console log is DIR/jcstress.log, the HTML report DIR/index.html.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=""
out=""
build=1
filter=""
extra=()
while (($#)); do
    case "$1" in
        --quick | --full) mode=${1#--} ;;
        --no-build) build=0 ;;
        -t) filter=$2; shift ;;
        --out) out=$2; shift ;;
        --) shift; extra=("$@"); break ;;
        -h | --help) sed -n '2,13p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [[ -z $mode ]]; then
    echo "say which run: --quick or --full (see --help)" >&2
    exit 2
fi
out=${out:-jcstress/target/results-$mode}

source bin/jdk25.sh
jar=jcstress/target/jcstress.jar
if ((build)) || [[ ! -f $jar ]]; then
    echo "== build: ./mvnw -B -q -pl jcstress -am package -DskipTests"
    ./mvnw -B -q -pl jcstress -am package -DskipTests
fi

# The forked test VMs get $vm_flags: JNA (jcstress' CPU affinity) loads a native library, and slf4j-api has no
# provider here. Quick mode passes them as -jvmArgs, which also makes jcstress run each test in this one JVM
# configuration instead of the 7 it detects (-Xint, C1 only, C2 only, ...), and turns off split compilation
# (-sc false: the 9 interpreter/C1/C2 combinations of the two actor methods): one fork
# per test. That takes the run from 15 minutes to 1.5 on 2 busy cores; -time 1000 (5 iterations of 1 s
# instead of 200 ms) spends some of the time saved on 5 times more samples per test: about 3 minutes.
# Full mode: jcstress' default preset (5 iterations of 1 s, 1 normal + 5 stress forks) over every JVM
# configuration it detects: about 460 test VMs, one to two hours on 2 cores.
vm_flags="--enable-native-access=ALL-UNNAMED -Dslf4j.internal.verbosity=ERROR"
case $mode in
    quick) args=(-m quick -c 2 -sc false -time 1000 -jvmArgs "$vm_flags") ;;
    full) args=(-m default -jvmArgsPrepend "$vm_flags") ;;
esac
if [[ -n $filter ]]; then
    args+=(-t "$filter")
fi

# jcstress writes its binary results file into the working directory: run it in the output directory, from a
# private copy of the jar (a concurrent `mvn package` must not rewrite it under a running test VM).
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "${out:?}"/*
cp "$jar" "$out/jcstress.jar"
# -v: the summary lists every test, not only the interesting and failed ones.
cmd=(java --enable-native-access=ALL-UNNAMED -jar jcstress.jar "${args[@]}" -v -r . "${extra[@]}")
echo "== jcstress ($mode): ${cmd[*]}   (in $out)"
start=$SECONDS
set +e
(cd "$out" && "${cmd[@]}") >"$out/jcstress.log" 2>&1
rc=$?
set -e
echo "== jcstress finished in $((SECONDS - start)) s, exit code $rc; log: $out/jcstress.log"

# Per-test verdicts, then the summary. jcstress 0.16 exits 1 (an AssertionError "TEST FAILURES") when a test
# failed; the summary is checked too, so that an error or an empty run never passes.
log=$out/jcstress.log
# One verdict per test over all its runs (JVM configurations and forks): ERROR or FAILED if any run was.
awk '/^\.+ \[(OK|FAILED|ERROR)\] / {
        v = $2; gsub(/[][]/, "", v); rank = (v == "ERROR") ? 3 : (v == "FAILED") ? 2 : 1
        if (rank > best[$3]) { best[$3] = rank; verdict[$3] = v }
    }
    END { for (t in verdict) printf "   %-7s %s\n", verdict[t], t }' "$log" | sort -k2
failed_line=$(grep -E '^  Failed tests: ' "$log" || true)
error_line=$(grep -E '^  Error tests: ' "$log" || true)
ran=$({ grep -E '^\.+ \[(OK|FAILED|ERROR)\] ' "$log" || true; } | awk '{print $3}' | sort -u | wc -l)
status=0
if ((rc != 0)); then
    echo "FAIL: jcstress exited with $rc" >&2
    status=1
fi
if [[ $failed_line != *"No matches."* ]]; then
    echo "FAIL: forbidden outcomes: ${failed_line:-no summary in the log}" >&2
    grep -E 'Observed forbidden state' "$log" | sed -E 's/ \[[^]]*\]:/:/' | sort | uniq -c >&2 || true
    status=1
fi
if [[ $error_line != *"No matches."* ]]; then
    echo "FAIL: test errors: ${error_line:-no summary in the log} (see $log)" >&2
    status=1
fi
if ((ran == 0)); then
    echo "FAIL: no test ran (is the jcstress annotation processor configured? filter: ${filter:-none})" >&2
    status=1
fi
if ((status == 0)); then
    echo "== jcstress: $ran tests passed"
fi
exit $status
