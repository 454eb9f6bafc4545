#!/usr/bin/env bash
# Runs the demo (samples/target/quiesce-demo.jar), building it first if it is missing or out of date.
# Arguments go to the demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source bin/jdk25.sh

jar=samples/target/quiesce-demo.jar
stale() {
    [[ ! -f "$jar" ]] && return 0
    # Any source or build file newer than the jar (build output and the jar's own dir excluded).
    [[ -n "$(find pom.xml core samples -name target -prune -o -type f -newer "$jar" -print -quit)" ]]
}
if stale; then
    echo "Building $jar ..." >&2
    ./mvnw -B -q -pl samples -am package -DskipTests
    # The shade plugin leaves an unchanged jar untouched (old mtime): mark it as fresh.
    touch "$jar"
fi
exec java -jar "$jar" "$@"
