#!/usr/bin/env bash
# Builds everything and runs every test (unit tests, sample integration tests, benchmark jar) on JDK 25.
# Extra arguments go to Maven, e.g. ./test.sh -Pstress, ./test.sh -pl core -Dtest=ScopeTest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source bin/jdk25.sh
exec ./mvnw -B verify "$@"
