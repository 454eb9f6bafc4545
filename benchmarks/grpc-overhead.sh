#!/usr/bin/env bash
# The request-path cost of quiesce-grpc: throughput and p99 latency of a unary call under h2load, plain grpc-java
# against QuiesceGrpc, A/B interleaved in one run. Both servers are GrpcOverheadServer (benchmarks.jar) in JVMs
# started with the same flags, serving the same service (/bench.Echo/Echo: a fixed 3-byte answer) on grpc-java's
# Netty transport with NIO; both run during the whole run, one of them loaded at a time.
#
#   benchmarks/grpc-overhead.sh                  # 6 rounds of 10 s per server, after 10 s of warm-up each
#   benchmarks/grpc-overhead.sh --rounds 3 --seconds 5 --no-build
#
# The load: h2load (Debian: apt-get install nghttp2-client) POSTs a gRPC-framed message (the 5-byte prefix and the
# protobuf bytes of {name: "bench"}) with content-type application/grpc and te: trailers, over --clients HTTP/2
# connections with --streams calls in flight on each. h2load sees HTTP 200 only, not the grpc-status trailer: each
# server counts the status of every call it closes, and a run fails unless every call h2load completed was
# grpc-status 0 (the server's OK count grew by h2load's successes, at most the calls in flight at the end more) and
# no call had another status.
#
# Each round loads both servers, one after the other, the order alternating (the baseline first in odd rounds,
# quiesce first in even ones) so that a drift of the machine falls on both; the figures are the median, over the
# rounds, of the paired ratios quiesce / baseline (throughput and p99), each round's pair measured back to back,
# with their spread (lowest and highest). Target (issue 15): at most 5 % overhead, on throughput and on p99.
#
# Options: --rounds N (6), --seconds S per h2load run (10), --warmup S per server (10), --clients C (4),
# --streams M per connection (16), --threads T of h2load (1), --out DIR (benchmarks/target/grpc-overhead),
# --no-build (use benchmarks.jar as it is), --baseline plain-vt (plain grpc-java with a virtual thread per call as
# its executor, as the adapter runs handlers, instead of its default cached thread pool; the files are then named
# grpc-overhead-vt.*), --rps N (calls per second per connection, h2load --rps: a fixed offered load, the same for
# both servers, so that the p99s compare at the same throughput; the files then end in -rps).
# Writes DIR/NAME.tsv (one line per round and server), DIR/NAME.md (the table, machine, JDK, command, load,
# verdicts) and the h2load output of every run (DIR/NAME-h2load/). With --out docs/benchmarks the figures are
# published: benchmarks/report.py puts grpc-overhead.md into results.md.
# Needs h2load and python3. Exit status: non-zero if h2load is missing, a server does not start, or a run had a
# failed or errored request or a call that was not grpc-status 0.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v h2load > /dev/null; then
    echo "h2load is not installed: apt-get install nghttp2-client (Debian/Ubuntu), or brew install nghttp2" >&2
    exit 2
fi
source bin/jdk25.sh
exec python3 - "$@" << 'EOF'
import argparse, datetime, os, platform, re, shutil, signal, statistics, subprocess, sys, tempfile, time
import urllib.request

ap = argparse.ArgumentParser(prog="benchmarks/grpc-overhead.sh",
                             description="quiesce-grpc against plain grpc-java, A/B interleaved (see the script)")
ap.add_argument("--rounds", type=int, default=6)
ap.add_argument("--seconds", type=int, default=10)
ap.add_argument("--warmup", type=int, default=10)
ap.add_argument("--clients", type=int, default=4)
ap.add_argument("--streams", type=int, default=16)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--out", default="benchmarks/target/grpc-overhead")
ap.add_argument("--no-build", dest="build", action="store_false")
ap.add_argument("--baseline", choices=["plain", "plain-vt"], default="plain")
ap.add_argument("--rps", type=int, default=0)
a = ap.parse_args()
name = ("grpc-overhead" if a.baseline == "plain" else "grpc-overhead-vt") + ("-rps" if a.rps else "")
rate = ["--rps", str(a.rps)] if a.rps else []
jar = "benchmarks/target/benchmarks.jar"
if a.build or not os.path.exists(jar):
    print("== build: ./mvnw -B -q -pl benchmarks -am package -DskipTests", flush=True)
    subprocess.run(["./mvnw", "-B", "-q", "-pl", "benchmarks", "-am", "package", "-DskipTests"], check=True)
raw = os.path.join(a.out, name + "-h2load")
os.makedirs(raw, exist_ok=True)
tmp = tempfile.mkdtemp(prefix="run-", dir=a.out)  # next to the results: a shared machine's /tmp is not ours alone
shutil.copy(jar, os.path.join(tmp, "benchmarks.jar"))  # a concurrent build must not change the jar under a server
request = os.path.join(tmp, "request.bin")
message = b"\x0a\x05bench"  # protobuf: field 1, the string "bench"
with open(request, "wb") as f:
    f.write(b"\x00" + len(message).to_bytes(4, "big") + message)
jvm = ["java", "-Xms512m", "-Xmx512m", "-XX:+UseParallelGC", "-cp", os.path.join(tmp, "benchmarks.jar")]
load_start = open("/proc/loadavg").read().split()[:3]

servers, port, counter = {}, {}, {}


def stop_servers():
    for p in servers.values():
        p.send_signal(signal.SIGTERM)
    for p in servers.values():
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def start(kind):
    out = open(os.path.join(tmp, kind + ".out"), "w+")
    err = open(os.path.join(tmp, kind + ".err"), "w+")
    servers[kind] = subprocess.Popen(jvm + ["dev.quiesce.benchmarks.GrpcOverheadServer", kind], stdout=out,
                                     stderr=err)
    for _ in range(300):
        text = open(out.name).read()
        m, c = re.search(r"^listening on .*:(\d+)$", text, re.M), re.search(r"^counter on .*:(\d+)$", text, re.M)
        if m and c:
            port[kind], counter[kind] = m.group(1), c.group(1)
            print(f"== {kind} server on 127.0.0.1:{port[kind]}", flush=True)
            return
        if servers[kind].poll() is not None:
            break
        time.sleep(0.1)
    sys.stderr.write(f"the {kind} server did not start:\n" + open(err.name).read())
    sys.exit(1)


def counts(kind):
    text = urllib.request.urlopen(f"http://127.0.0.1:{counter[kind]}/", timeout=10).read().decode()
    ok, other = re.fullmatch(r"ok (\d+) other (\d+)\n", text).groups()
    return int(ok), int(other)


def h2load(kind, seconds, label):
    """One h2load run against KIND's server: (calls per s, p99 ms, problems)."""
    log = os.path.join(tmp, "requests.log")
    before = counts(kind)
    cmd = ["h2load", "-D", str(seconds), "-c", str(a.clients), "-m", str(a.streams), "-t", str(a.threads),
           *rate, "-d", request, "-H", "content-type: application/grpc", "-H", "te: trailers", "--log-file", log,
           f"http://127.0.0.1:{port[kind]}/bench.Echo/Echo"]
    text = subprocess.run(cmd, capture_output=True, text=True).stdout
    open(os.path.join(raw, label + ".txt"), "w").write(text)
    time.sleep(0.5)  # the calls in flight when h2load stopped are closed by now
    after = counts(kind)
    problems = []
    m = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, "
                  r"(\d+) timeout", text)
    if not m:
        return 0.0, 0.0, [f"no h2load summary (see {raw}/{label}.txt)"]
    done, succeeded, failed, errored, timeout = map(int, m.groups())
    if failed or errored or timeout or succeeded != done:
        problems.append(f"h2load: {done} done, {succeeded} succeeded, {failed} failed, {errored} errored, "
                        f"{timeout} timeout")
    ok, other = after[0] - before[0], after[1] - before[1]
    if other or not succeeded <= ok <= succeeded + a.clients * a.streams:
        problems.append(f"the server closed {ok} calls OK and {other} with another grpc-status; h2load completed "
                        f"{succeeded}")
    rps = float(re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text).group(1))
    micros = sorted(int(line.split("\t")[2]) for line in open(log) if line.strip())
    os.remove(log)
    p99 = micros[min(len(micros) - 1, int(len(micros) * 0.99))] / 1000.0 if micros else 0.0
    return rps, p99, problems


try:
    for kind in (a.baseline, "quiesce"):
        start(kind)
    print(f"== warm-up: {a.warmup} s per server", flush=True)
    for kind in (a.baseline, "quiesce"):
        h2load(kind, a.warmup, "warmup-" + kind)
    rows, failures = [], []
    for r in range(1, a.rounds + 1):
        for kind in ((a.baseline, "quiesce") if r % 2 else ("quiesce", a.baseline)):
            rps, p99, problems = h2load(kind, a.seconds, f"round-{r}-{kind}")
            rows.append((r, kind, rps, p99, len(problems)))
            print(f"round {r} {kind}: {rps:.0f} calls/s, p99 {p99:.2f} ms" + "".join("; " + p for p in problems),
                  flush=True)
            failures += [f"round {r} {kind}: {p}" for p in problems]
finally:
    stop_servers()

with open(os.path.join(a.out, name + ".tsv"), "w") as f:
    f.write("round\tserver\tcalls_per_s\tp99_ms\tproblems\n")
    for row in rows:
        f.write("%d\t%s\t%.1f\t%.3f\t%d\n" % row)
by = {}
for r, kind, rps, p99, _ in rows:
    by.setdefault(r, {})[kind] = (rps, p99)
tput, lat, lines = [], [], []
for r in sorted(by):
    (ba, bp), (qa, qp) = by[r][a.baseline], by[r]["quiesce"]
    t, p = qa / ba, qp / bp
    tput.append(t)
    lat.append(p)
    lines.append(f"| {r} | {ba:.0f} | {qa:.0f} | {t:.3f} | {bp:.2f} | {qp:.2f} | {p:.3f} |")
mt, mp = statistics.median(tput), statistics.median(lat)
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
load_end = open("/proc/loadavg").read().split()[:3]
ncpu = os.cpu_count() or 1
base = ("plain grpc-java, its default executor (a cached thread pool)" if a.baseline == "plain" else
        "plain grpc-java with a virtual thread per call as its executor, as the adapter runs handlers")
summary = f"""gRPC request-path overhead, {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}:
{ncpu} CPUs, {platform.platform()}, {java}; load average at the start {' '.join(load_start)}, at the end {' '.join(load_end)}.
`h2load -D {a.seconds} -c {a.clients} -m {a.streams} -t {a.threads}{" --rps " + str(a.rps) if a.rps else ""} -d request.bin -H 'content-type: application/grpc' -H 'te: trailers' http://127.0.0.1:PORT/bench.Echo/Echo`
(a unary call; `benchmarks/grpc-overhead.sh --rounds {a.rounds} --seconds {a.seconds} --warmup {a.warmup} --baseline {a.baseline}{" --rps " + str(a.rps) if a.rps else ""}`),
{a.rounds} rounds per server after {a.warmup} s of warm-up each, the order alternating; ratios are quiesce / {a.baseline}
within a round; p99 from h2load's per-request log. Every call was checked grpc-status 0 by the servers' counts.
Baseline: {base}.
{f"The offered load is fixed ({a.clients} x {a.rps} calls/s, below both servers' capacity): the p99 ratio compares latencies at the same load; the throughput ratio only shows that both kept up." if a.rps else "Saturating load: each server as fast as it answers, so the p99s are at different throughputs."}

| round | {a.baseline} calls/s | quiesce calls/s | throughput ratio | {a.baseline} p99 ms | quiesce p99 ms | p99 ratio |
|---|---|---|---|---|---|---|
""" + "\n".join(lines) + f"""

Median of the paired ratios: throughput {mt:.3f} (spread {min(tput):.3f} to {max(tput):.3f}; the adapter
{abs(1 - mt) * 100:.1f} % {"below" if mt < 1 else "above"} {a.baseline} grpc-java; target: at most 5 % below:
{"met" if mt >= 0.95 else "missed"}), p99 {mp:.3f} (spread {min(lat):.3f} to {max(lat):.3f}; {abs(mp - 1) * 100:.1f} %
{"above" if mp > 1 else "below"}; target: at most 5 % above: {"met" if mp <= 1.05 else "missed"}).
""" + (f"""
The machine was loaded (load average {load_end[0]} on {ncpu} CPUs, shared with other builds): the ratios move
from round to round by more than the target; repeat the run on a quiet machine before drawing conclusions.
""" if float(load_end[0]) > ncpu else "")
if failures:
    summary += "\nFailed checks:\n" + "".join(f"- {x}\n" for x in failures)
open(os.path.join(a.out, name + ".md"), "w").write(summary)
print(summary)
if failures:
    sys.stderr.write(f"a run had failed requests or calls that were not grpc-status 0: see {raw}/\n")
    sys.exit(1)
EOF
