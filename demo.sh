#!/usr/bin/env bash
# Runs the demo (samples/target/quiesce-demo.jar) on JDK 25, building it first if it is missing or out of
# date. Arguments go to the demo (./demo.sh help lists them), except:
#
#   ./demo.sh sample NAME [args]   runs the numbered sample NAME (Sample01_SignalHandling, or just 01)
#   ./demo.sh sample               lists the samples
#
# The JDK is found by bin/jdk25.sh (JAVA_HOME, java on PATH, then /usr/lib/jvm, /opt/java, ~/.sdkman),
# so this works where the default java is older. QUIESCE_DEMO_JAR=path runs that jar as it is (no build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source bin/jdk25.sh

jar=${QUIESCE_DEMO_JAR:-samples/target/quiesce-demo.jar}
stale() {
    [[ ! -f "$jar" ]] && return 0
    # Any source or build file newer than the jar (build output and the jar's own dir excluded).
    [[ -n "$(find pom.xml core opentelemetry grpc samples -name target -prune -o -type f -newer "$jar" -print -quit)" ]]
}
if [[ -z "${QUIESCE_DEMO_JAR:-}" ]] && stale; then
    echo "Building $jar ..." >&2
    ./mvnw -B -q -pl samples -am package -DskipTests
    # The shade plugin leaves an unchanged jar untouched (old mtime): mark it as fresh.
    touch "$jar"
fi

if [[ "${1:-}" != sample ]]; then
    exec java -jar "$jar" "$@"
fi

# ./demo.sh sample NAME [args]
shift
mapfile -t samples < <("$JAVA_HOME/bin/jar" tf "$jar" \
    | sed -n 's|^dev/quiesce/samples/\(Sample[0-9][0-9]*_[A-Za-z0-9]*\)\.class$|\1|p' | sort)
name=${1:-}
if [[ -z "$name" ]]; then
    echo "usage: ./demo.sh sample NAME [args]   (NAME, or its number: 01 for Sample01_SignalHandling)"
    echo "samples:"
    printf '  %s\n' "${samples[@]}"
    exit 0
fi
shift
if [[ "$name" =~ ^[0-9]+$ ]]; then
    prefix=$(printf 'Sample%02d_' "$((10#$name))")
    found=$(printf '%s\n' "${samples[@]}" | grep "^$prefix" || true)
else
    found=$(printf '%s\n' "${samples[@]}" | grep -x "$name" || true)
fi
if [[ -z "$found" ]]; then
    echo "./demo.sh: no sample '$name'; the samples are:" >&2
    printf '  %s\n' "${samples[@]}" >&2
    exit 2
fi
# --enable-preview: Sample10 uses the JDK's preview StructuredTaskScope; the others do not mind the flag.
exec java --enable-preview -cp "$jar" "dev.quiesce.samples.$found" "$@"
