#!/usr/bin/env bash
# Finds a JDK 25+ and exports JAVA_HOME to it, with $JAVA_HOME/bin first on PATH.
#
#   source bin/jdk25.sh     # in a script or shell: sets JAVA_HOME and PATH there
#   bin/jdk25.sh            # prints the JDK it would pick
#
# Order: the current JAVA_HOME, then `java` on PATH, then installed JDKs (/usr/lib/jvm/*, /opt/java/*,
# ~/.sdkman/candidates/java/*), lowest qualifying version first: the build compiles preview code for
# release 25, which only a JDK 25 javac accepts, so an installed 25 wins over a newer one.
# Strict mode only when executed: sourced, it must not turn on `set -e` in the caller's interactive shell.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
fi

quiesce_min_jdk=25

# Prints the full version ("25.0.3", "17.0.15", "1.8.0_412") of the java launcher $1, or nothing.
quiesce_java_version() {
    local line
    [[ -x "$1" ]] || return 0
    line=$("$1" -version 2>&1 | grep -m1 -E 'version "[^"]+"' || true)
    line=${line#*version \"}
    printf '%s\n' "${line%%\"*}"
}

# Prints the feature release (major) of a version string: 25.0.3 -> 25, 25-ea -> 25, 1.8.0_412 -> 8.
quiesce_java_major() {
    local v=$1
    [[ $v == 1.* ]] && v=${v#1.}
    v=${v%%[.+_-]*}
    [[ $v =~ ^[0-9]+$ ]] && printf '%s\n' "$v"
}

# Succeeds when the JDK at $1 has java and javac of release >= $quiesce_min_jdk.
quiesce_jdk_ok() {
    local major
    [[ -n "$1" && -x "$1/bin/javac" ]] || return 1
    major=$(quiesce_java_major "$(quiesce_java_version "$1/bin/java")")
    [[ -n "$major" ]] && ((major >= quiesce_min_jdk))
}

quiesce_find_jdk() {
    local java_on_path home candidate version
    if quiesce_jdk_ok "${JAVA_HOME:-}"; then
        printf '%s\n' "$JAVA_HOME"
        return 0
    fi
    java_on_path=$(command -v java || true)
    if [[ -n "$java_on_path" ]]; then
        home=$(dirname "$(dirname "$(readlink -f "$java_on_path")")")
        if quiesce_jdk_ok "$home"; then
            printf '%s\n' "$home"
            return 0
        fi
    fi
    for candidate in /usr/lib/jvm/* /opt/java/* "$HOME"/.sdkman/candidates/java/*; do
        [[ -d "$candidate" ]] || continue
        quiesce_jdk_ok "$candidate" || continue
        version=$(quiesce_java_version "$candidate/bin/java")
        printf '%s\t%s\n' "$version" "$candidate"
    done | sort -t $'\t' -k1,1V | sed -n 1p | cut -f 2
}

quiesce_jdk_home=$(quiesce_find_jdk)
if [[ -z "$quiesce_jdk_home" ]]; then
    echo "Quiesce needs JDK ${quiesce_min_jdk} to build: install one (e.g. Temurin ${quiesce_min_jdk}) and set JAVA_HOME" \
        "(searched JAVA_HOME, java on PATH, /usr/lib/jvm, /opt/java, ~/.sdkman/candidates/java)." >&2
    unset -f quiesce_java_version quiesce_java_major quiesce_jdk_ok quiesce_find_jdk
    unset quiesce_min_jdk quiesce_jdk_home
    # `return` when sourced, `exit` when executed.
    # shellcheck disable=SC2317  # exit is reached when the file is executed, not sourced
    return 1 2>/dev/null || exit 1
fi

export JAVA_HOME="$quiesce_jdk_home"
case ":$PATH:" in
    "$JAVA_HOME/bin:"*) ;;
    *) export PATH="$JAVA_HOME/bin:$PATH" ;;
esac
unset -f quiesce_java_version quiesce_java_major quiesce_jdk_ok quiesce_find_jdk
unset quiesce_min_jdk quiesce_jdk_home

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "$JAVA_HOME"
fi
