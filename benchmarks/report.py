#!/usr/bin/env python3
"""Turns a results directory written by benchmarks/run.sh into results.md, summary.json and SVG charts.

    python3 benchmarks/report.py DIR [--mode MODE] [--meta-only] [--check]

Reads DIR/paired.md and DIR/paired.json (the paired mode's headline table, put first), DIR/jmh-*.json (JMH
results), DIR/jmh-*.log (to find benchmarks that failed or did not complete),
DIR/footprint.jsonl, DIR/shutdown.jsonl (the shutdown end-to-end probe), DIR/commands.txt and DIR/meta.json
(machine and JDK, written by --meta-only at the start of a run). --check exits 1 if a benchmark or a
shutdown round failed or no results were written (the CI gate); it never looks at the timings themselves.
Standard library only.
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys

IMPL_ORDER = ["floor", "executor", "jdkFlat", "jdkNested", "jdkTree", "quiesceFlat", "quiesceNested", "quiesceTree"]
IMPL_LABEL = {
    "floor": "floor: bare VTs, interrupt + join each",
    "executor": "newVirtualThreadPerTaskExecutor, shutdownNow",
    "jdkFlat": "JDK StructuredTaskScope, flat",
    "jdkNested": "JDK StructuredTaskScope, 10 × n/10",
    "jdkTree": "JDK StructuredTaskScope, 10 × 10 × n/100",
    "quiesceFlat": "Quiesce, flat",
    "quiesceNested": "Quiesce, 10 × n/10",
    "quiesceTree": "Quiesce, 10 × 10 × n/100",
}
COLORS = {
    "floor": "#000000", "executor": "#8c564b", "jdkFlat": "#1f77b4", "jdkNested": "#5fa2d9", "jdkTree": "#a6cbe9",
    "quiesceFlat": "#d62728", "quiesceNested": "#ff7f0e", "quiesceTree": "#e6a800",
    "bare": "#000000", "jdk": "#1f77b4", "quiesce": "#d62728",
}
DASH = {"jdkNested": "6,3", "jdkTree": "2,3", "quiesceNested": "6,3", "quiesceTree": "2,3"}
KIND_ORDER = ["park", "sleep", "socket", "cpu"]
FORK_ORDER = ["bare", "executor", "jdk", "quiesce"]
FORK_LABEL = {"bare": "Thread.ofVirtual().start", "executor": "newVirtualThreadPerTaskExecutor().submit",
              "jdk": "JDK StructuredTaskScope.fork", "quiesce": "Quiesce Scope.fork"}


# ---------------------------------------------------------------------------------------------- meta

def sh(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout + r.stderr).strip()
    except Exception as e:  # noqa: BLE001 - best effort description of the machine
        return "unknown (%s)" % e


def collect_meta(mode):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
                    break
    except OSError:
        pass
    java = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    jdk = sh([java, "-version"]).splitlines()
    commit = sh(["git", "rev-parse", "--short", "HEAD"])
    dirty = sh(["git", "status", "--porcelain", "--", "core", "benchmarks"])
    return {
        "mode": mode,
        "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "kernel": os.uname().sysname + " " + os.uname().release,
        "fdLimit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "jdk": jdk,
        "commit": commit + (" (with uncommitted changes in core/ or benchmarks/)" if dirty else ""),
    }


# ---------------------------------------------------------------------------------------------- input

def load_jmh(d):
    results = []
    for path in sorted(glob.glob(os.path.join(d, "jmh-*.json"))):
        with open(path) as f:
            text = f.read().strip()
        if not text:
            continue
        for r in json.loads(text):
            r["_file"] = os.path.basename(path)
            results.append(r)
    return results


def load_failures(d):
    """(benchmark short name, params dict, message) for every benchmark that failed, from the JMH logs."""
    failures = []
    for path in sorted(glob.glob(os.path.join(d, "jmh-*.log"))):
        bench, params, pending = None, {}, False
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
        for line in lines:
            if line.startswith("# Benchmark: "):
                bench = line.split(": ", 1)[1].rsplit(".", 2)[-2:]
                bench = ".".join(bench)
                params = {}
            elif line.startswith("# Parameters: "):
                params = dict(kv.split(" = ", 1) for kv in line[len("# Parameters: ("):-1].split(", "))
            elif "<failure>" in line:
                pending = True
            elif pending and re.search(r"(Exception|Error)\b", line):
                msg = line.strip()
                failures.append({"benchmark": bench, "params": params, "message": msg,
                                 "didNotComplete": "DID-NOT-COMPLETE" in msg, "log": os.path.basename(path)})
                pending = False
        if pending:
            failures.append({"benchmark": bench, "params": params, "message": "failure (see log)",
                             "didNotComplete": False, "log": os.path.basename(path)})
    unique, seen = [], set()
    for f in failures:  # JMH prints a failure once per fork that hit it
        key = (f["benchmark"], tuple(sorted(f["params"].items())))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def load_jsonl(d, name):
    """The JSON objects of d/name, one per line; other lines (a child's stray output) are skipped."""
    rows = []
    path = os.path.join(d, name)
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    return rows


def load_shutdown(d):
    return load_jsonl(d, "shutdown.jsonl")


def load_footprint(d):
    return load_jsonl(d, "footprint.jsonl")


# ---------------------------------------------------------------------------------------------- helpers

def short(bench):
    return ".".join(bench.split(".")[-2:])


def raw(r):
    return [x for fork in r["primaryMetric"]["rawData"] for x in fork]


def fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "?"
    a = abs(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3f" % v


def ratio(v, base):
    if v is None or not base:
        return ""
    return "%.2f×" % (v / base)


def n_label(n):
    return "{:,}".format(int(n)).replace(",", " ")


# ---------------------------------------------------------------------------------------------- model

def build_model(results, failures, foot):
    cancel = {}   # (kind, n, impl, issuer) -> dict
    fork = {}     # (n, impl, starter) -> dict
    for r in results:
        p = r["params"]
        s = r["primaryMetric"]
        samples = raw(r)
        err = s["scoreError"] if not (isinstance(s["scoreError"], float) and math.isnan(s["scoreError"])) else None
        entry = {"score": s["score"], "error": err, "unit": s["scoreUnit"], "median": statistics.median(samples),
                 "samples": len(samples), "forks": r.get("forks"), "iterations": r.get("measurementIterations")}
        if short(r["benchmark"]) == "CancelToJoin.cancelToJoin":
            cancel[(p["kind"], int(p["n"]), p["impl"], p["issuer"])] = entry
        elif short(r["benchmark"]) == "ForkCost.startAll":
            n = int(p["n"])
            entry["nsPerTask"] = s["score"] * 1e6 / n
            entry["nsPerTaskError"] = err * 1e6 / n if err is not None else None
            fork[(n, p["impl"], p["starter"])] = entry
    dnc = {}
    for f in failures:
        p = f["params"]
        if f["benchmark"] == "CancelToJoin.cancelToJoin" and p:
            dnc[(p["kind"], int(p["n"]), p["impl"], p["issuer"])] = f
        elif f["benchmark"] == "ForkCost.startAll" and p:
            dnc[("fork", int(p["n"]), p["impl"], p["starter"])] = f
    floors = {}
    for (kind, n, impl, issuer), e in cancel.items():
        if impl == "floor" and ((kind, n) not in floors or e["score"] < floors[(kind, n)]["score"]):
            floors[(kind, n)] = dict(e, issuer=issuer)
    best = {}  # (kind, n, impl) -> best issuer entry
    for (kind, n, impl, issuer), e in cancel.items():
        k = (kind, n, impl)
        if k not in best or e["score"] < best[k]["score"]:
            best[k] = dict(e, issuer=issuer)
    fp = {}
    for row in foot:
        fp.setdefault((row["impl"], int(row["n"])), []).extend(row["bytesPerTask"])
    return cancel, fork, dnc, floors, best, fp


# ---------------------------------------------------------------------------------------------- targets

def overlaps(a, b):
    ea, eb = a.get("error") or 0, b.get("error") or 0
    return abs(a["score"] - b["score"]) <= ea + eb


def targets(cancel, fork, dnc, floors, best, fp):
    out = []

    def verdict(ok, close):
        return ("met" if ok else "**missed**") + (" (the gap to the floor is within error)" if close else "")

    for kind in ["park", "sleep"]:
        for n in [10000, 100000]:
            q, fl = best.get((kind, n, "quiesceFlat")), floors.get((kind, n))
            if not q or not fl:
                continue
            jdk, ex = best.get((kind, n, "jdkFlat")), best.get((kind, n, "executor"))
            r = q["score"] / fl["score"]
            parts = ["%.2f × floor" % r]
            ok = r <= 1.0
            close = overlaps(q, fl) if not ok else False
            for name, o in [("JDK STS flat", jdk), ("executor", ex)]:
                if o:
                    parts.append("%s %s %s" % ("<" if q["score"] < o["score"] else "≥", name, fmt(o["score"])))
                    ok = ok and q["score"] < o["score"]
            out.append(("Flat cancel-to-join, %s, n = %s: ≤ 1.0 × floor, below JDK STS and executor" % (kind, n_label(n)),
                        "Quiesce %s ms (%s issuer): %s" % (fmt(q["score"]), q["issuer"], "; ".join(parts)),
                        verdict(ok, close)))
    for kind in ["park", "sleep"]:
        n = 100000
        q, fl = best.get((kind, n, "quiesceTree")), floors.get((kind, n))
        if not q or not fl:
            continue
        r = q["score"] / fl["score"]
        ok = r <= 0.5
        parts = ["%.2f × flat floor" % r]
        for name in ["jdkNested", "jdkTree"]:
            o = best.get((kind, n, name))
            if o:
                parts.append("%s %s %s" % ("<" if q["score"] < o["score"] else "≥", name, fmt(o["score"])))
                ok = ok and q["score"] < o["score"]
        out.append(("Tree cancel-to-join, %s, n = 100 000: ≤ 0.5 × flat floor, below the JDK's nested scopes" % kind,
                    "Quiesce tree %s ms (%s issuer): %s" % (fmt(q["score"]), q["issuer"], "; ".join(parts)),
                    verdict(ok, False)))
    ns = sorted({n for (n, _, _) in fork})
    for starter in ["platform", "virtual"]:
        rows, ok, any_ = [], True, False
        for n in ns:
            q, b, e = fork.get((n, "quiesce", starter)), fork.get((n, "bare", starter)), fork.get((n, "executor", starter))
            if not q or not b:
                continue
            any_ = True
            r = q["score"] / b["score"]
            this = r <= 1.2 and (e is None or q["score"] <= e["score"])
            ok = ok and this
            rows.append("n=%s: %.2f × bare%s" % (n_label(n), r, (", %.2f × executor" % (q["score"] / e["score"])) if e else ""))
        if any_:
            out.append(("Fork cost (%s starter): ≤ 1.2 × bare Thread.ofVirtual().start and ≤ executor at every n" % starter,
                        "; ".join(rows), verdict(ok, False)))
    for n in sorted({n for (_, n) in fp}):
        q, b = fp.get(("quiesce", n)), fp.get(("bare", n))
        if q and b:
            d = statistics.median(q) - statistics.median(b)
            out.append(("Footprint, n = %s: ≤ bare virtual thread + 128 B per idle task" % n_label(n),
                        "Quiesce %.0f B, bare %.0f B (medians): +%.0f B" % (statistics.median(q), statistics.median(b), d),
                        verdict(d <= 128, False)))
    return out


# ---------------------------------------------------------------------------------------------- shutdown

SHUTDOWN_CASES = ["baseline", "naive", "idle", "loaded"]
SHUTDOWN_LABEL = {
    "baseline": "baseline: a JVM from the same jar whose main only waits (no Quiesce), default SIGTERM",
    "naive": "naive: the same endpoints on a plain JDK HttpServer (no Quiesce), default SIGTERM",
    "idle": "Quiesce demo service, idle",
    "loaded": "Quiesce demo service, 1 000 requests in flight",
}
SHUTDOWN_TARGET_MS = 50


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    return "%s [%s–%s]" % (fmt(statistics.median(xs)), fmt(min(xs)), fmt(max(xs)))


def shutdown_model(rows):
    """case -> {rows, ok rows, medians}; every round counts, failed ones are listed separately."""
    model = {}
    for c in SHUTDOWN_CASES:
        rs = [r for r in rows if r.get("case") == c]
        if not rs:
            continue
        ok = [r for r in rs if r.get("ok")]
        model[c] = {
            "rounds": len(rs),
            "okRounds": len(ok),
            "total": [r.get("sigtermToExitMs") for r in ok],
            "beyond": [r.get("beyondDelaysMs") for r in ok],
            "delays": sorted({r.get("configuredDelaysMs") for r in rs}),
            "exitCodes": sorted({str(r.get("exitCode")) for r in rs}),
            "expectedExit": sorted({r.get("expectedExitCode") for r in rs}),
            "failedRequests": sum(r.get("failedRequests") or 0 for r in rs),
            "requests": sum(r.get("requests") or 0 for r in rs),
            "ready": [r.get("startToReadyMs") for r in rs],
            "load": [r.get("loadAverage") for r in rs],
            "lastResponse": [r.get("sigtermToLastResponseMs") for r in ok],
            "afterLastResponse": [r.get("exitMinusLastResponseMs") for r in ok],
            "failed": [r for r in rs if not r.get("ok")],
            "rows": rs,
        }
    return model


def shutdown_stages(rs):
    """Where the time goes, per round: (stage label, ms) from the child's report and its lines' arrival times."""
    out = {}

    def add(k, v):
        if v is not None:
            out.setdefault(k, []).append(v)

    for r in rs:
        marks, rep_ = r.get("childLinesMs") or {}, r.get("report") or {}
        total = r.get("sigtermToExitMs")
        add("SIGTERM → first phase line (signal delivery, hand-off to the coordinator)", marks.get("triggerLine"))
        hooks = {(h["phase"], h["name"]): h["durationMillis"] for h in rep_.get("hooks", [])}
        for ph in rep_.get("phases", []):
            label = "phase %s" % ph["phase"]
            add(label, ph["durationMillis"])
            for (hp, hn), hd in hooks.items():
                if hp == ph["phase"]:
                    add("↳ hook %s (inside the phase)" % hn, hd)
        if marks.get("reportLine") is not None and marks.get("exitLine") is not None:
            add("report printed → \"EXIT\" line (report text and JSON written by the listener)",
                marks["exitLine"] - marks["reportLine"])
        if marks.get("exitLine") is not None and total is not None:
            add("\"EXIT\" line → process gone (System.exit: JVM shutdown hooks, VM exit, process teardown)",
                total - marks["exitLine"])
    return out


def shutdown_targets(model):
    out = []
    idle, base = model.get("idle"), model.get("baseline")
    if idle:
        b = med(idle["beyond"])
        if b is None:
            out.append(("Shutdown end-to-end of the idle demo: under %d ms beyond its configured delays" % SHUTDOWN_TARGET_MS,
                        "no successful round (%d failed)" % len(idle["failed"]), "**missed**"))
        else:
            parts = ["median %s ms [%s–%s] over %d rounds, SIGTERM to exit measured from outside, configured delays %s ms"
                     % (fmt(b), fmt(min(x for x in idle["beyond"] if x is not None)),
                        fmt(max(x for x in idle["beyond"] if x is not None)), idle["okRounds"],
                        "/".join(str(x) for x in idle["delays"]))]
            bb = med(base["total"]) if base else None
            if bb:
                parts.append("JVM baseline %s ms (idle − baseline %+.1f ms, %.2f ×)" % (fmt(bb), med(idle["total"]) - bb,
                                                                                     med(idle["total"]) / bb))
            ok = b < SHUTDOWN_TARGET_MS and not idle["failed"]
            out.append(("Shutdown end-to-end of the idle demo: under %d ms beyond its configured delays" % SHUTDOWN_TARGET_MS,
                        "; ".join(parts) + ("; %d failed rounds" % len(idle["failed"]) if idle["failed"] else ""),
                        "met" if ok else "**missed**"))
    return out


def shutdown_section(model):
    L = []
    if not model:
        return L
    L.append("## Shutdown end-to-end: SIGTERM to process exit (ms, lower is better)")
    L.append("")
    L.append("Measured from outside the process (`ShutdownEndToEnd`, a fresh JVM per case and round, the cases interleaved "
             "round by round): `System.nanoTime()` just before `kill(pid, SIGTERM)` to the launcher's `waitFor()` returning. "
             "Median [min–max] over the successful rounds. *Beyond delays* subtracts the configured pre-drain delay; "
             "*− baseline* is the difference of the medians to the JVM baseline of the same run. Idle cases are signalled "
             "once the child uses under 5 % of a CPU over 500 ms; the loaded case once the service's own `/state` counts "
             "every request inside its handler. Start → ready (JVM start to the ready line) is context, not part of the "
             "metric. Load average: the machine's 1-minute load average at the signal. The loaded case's total includes "
             "its drain, so it is not compared with the baseline; its own table follows.")
    L.append("")
    L.append("| case | rounds | SIGTERM → exit | beyond delays | − baseline | ratio to baseline | exit codes "
             "| failed requests (all rounds) | start → ready | load average |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    bb = med(model["baseline"]["total"]) if "baseline" in model else None
    for c in SHUTDOWN_CASES:
        m = model.get(c)
        if not m:
            continue
        t = med(m["total"])
        rounds = "%d" % m["rounds"] + (" (%d failed)" % len(m["failed"]) if m["failed"] else "")
        codes = ", ".join(m["exitCodes"]) + " (expected %s)" % "/".join(str(x) for x in m["expectedExit"])
        freq = ("%d of %d" % (m["failedRequests"], m["requests"])) if m["requests"] else "—"
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            SHUTDOWN_LABEL[c], rounds, spread(m["total"]), fmt(med(m["beyond"])) if m["beyond"] else "—",
            ("%+.1f" % (t - bb)) if (t is not None and bb and c in ("naive", "idle")) else "—",
            ratio(t, bb) if (t is not None and c in ("naive", "idle")) else "—", codes, freq, spread(m["ready"]),
            spread(m["load"])))
    L.append("")
    lo = model.get("loaded")
    if lo:
        s = lo["rows"][0].get("settings", {})
        L.append("Loaded case: %s requests `GET /work?ms=%s`, each on its own connection, all inside the handler at the "
                 "signal; grace period %s ms. *SIGTERM → last response*: until the launcher has read the last response "
                 "(the drain); *exit − last response*: what the shutdown adds after the drain (stop, persist, cleanup, "
                 "report, JVM exit)." % (n_label(s.get("requests", 0)), s.get("workMs"), s.get("graceMs")))
        L.append("")
        L.append("| case | SIGTERM → last response | exit − last response | requests answered 200 |")
        L.append("|---|---|---|---|")
        L.append("| %s | %s | %s | %d of %d |" % (SHUTDOWN_LABEL["loaded"], spread(lo["lastResponse"]),
                                                  spread(lo["afterLastResponse"]), lo["requests"] - lo["failedRequests"],
                                                  lo["requests"]))
        L.append("")
    cols = [c for c in ["idle", "loaded"] if c in model]
    if cols:
        stages = {c: shutdown_stages([r for r in model[c]["rows"] if r.get("ok")]) for c in cols}
        order = []
        for c in cols:
            for k in stages[c]:
                if k not in order:
                    order.append(k)
        L.append("Where the time goes (medians over the rounds, ms; phases as the service's own report times them, "
                 "the rest from when its output lines reached the launcher; medians do not add up to the median total):")
        L.append("")
        L.append("| stage | " + " | ".join(c for c in cols) + " |")
        L.append("|---|" + "---|" * len(cols))
        for k in order:
            L.append("| %s | %s |" % (k, " | ".join("%.1f" % med(stages[c][k]) if stages[c].get(k) else "—"
                                                   for c in cols)))
        L.append("")
    failed = [r for c in SHUTDOWN_CASES if c in model for r in model[c]["failed"]]
    if failed:
        L.append("Failed shutdown rounds (not in the timings above):")
        L.append("")
        L.append("| case | round | problems |")
        L.append("|---|---|---|")
        for r in failed:
            L.append("| %s | %s | %s |" % (r.get("case"), r.get("round"),
                                           esc("; ".join(r.get("problems", []))).replace("|", "\\|")))
        L.append("")
    return L


# ---------------------------------------------------------------------------------------------- SVG

def svg_chart(path, title, panels, ylabel, series_order, labels):
    """panels: list of (panel title, {series: [(x, y or None, err)]}); log-log axes; None = did not complete."""
    pw, ph, ml, mr, mt, mb = 430, 300, 62, 14, 34, 44
    cols = 2 if len(panels) > 1 else 1
    rows = (len(panels) + cols - 1) // cols
    legend_h = 22 * ((len(series_order) + 1) // 2) + 16
    W, H = cols * pw + 20, rows * ph + 50 + legend_h
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="Helvetica, Arial, sans-serif" font-size="11">' % (W, H, W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>' % (12, esc(title))]
    for i, (ptitle, series) in enumerate(panels):
        ox, oy = 10 + (i % cols) * pw, 36 + (i // cols) * ph
        xs = [x for pts in series.values() for (x, _, _) in pts]
        ys = [y for pts in series.values() for (_, y, e) in pts if y] + \
             [y + (e or 0) for pts in series.values() for (_, y, e) in pts if y]
        ys += [max(y - (e or 0), y / 3) for pts in series.values() for (_, y, e) in pts if y]
        if not xs or not ys:
            continue
        x0, x1 = math.log10(min(xs)) - 0.25, math.log10(max(xs)) + 0.25
        y0, y1 = math.log10(min(ys)) - 0.1, math.log10(max(ys)) + 0.35
        if y1 - y0 < 1:
            y0, y1 = (y0 + y1) / 2 - 0.5, (y0 + y1) / 2 + 0.5
        px0, px1, py0, py1 = ox + ml, ox + pw - mr, oy + ph - mb, oy + mt

        def X(x):
            return px0 + (math.log10(x) - x0) / (x1 - x0) * (px1 - px0)

        def Y(y):
            return py0 - (math.log10(y) - y0) / (y1 - y0) * (py0 - py1)

        o.append('<text x="%.1f" y="%d" font-size="13" font-weight="bold">%s</text>' % (px0, oy + 18, esc(ptitle)))
        o.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>'
                 % (px0, py1, px1 - px0, py0 - py1))
        for d in range(math.floor(y0), math.ceil(y1) + 1):
            for m in (1, 2, 5):
                v = m * 10 ** d
                if y0 <= math.log10(v) <= y1:
                    yy = Y(v)
                    o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>'
                             % (px0, px1, yy, yy, "#ddd" if m == 1 else "#f0f0f0"))
                    o.append('<text x="%.1f" y="%.1f" text-anchor="end">%s</text>' % (px0 - 4, yy + 4, fmt(v)))
        for x in sorted(set(xs)):
            o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (X(x), X(x), py0, py1))
            o.append('<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>' % (X(x), py0 + 14, n_label(x)))
        o.append('<text x="%.1f" y="%.1f" text-anchor="middle">tasks (n)</text>' % ((px0 + px1) / 2, py0 + 30))
        o.append('<text transform="translate(%.1f,%.1f) rotate(-90)" text-anchor="middle">%s</text>'
                 % (ox + 14, (py0 + py1) / 2, esc(ylabel)))
        for s in series_order:
            pts = sorted(series.get(s, []))
            if not pts:
                continue
            c = COLORS.get(s, "#666")
            done = [(x, y, e) for (x, y, e) in pts if y]
            if len(done) > 1:
                o.append('<polyline fill="none" stroke="%s" stroke-width="2" %s points="%s"/>' % (
                    c, ('stroke-dasharray="%s"' % DASH[s]) if s in DASH else "",
                    " ".join("%.1f,%.1f" % (X(x), Y(y)) for (x, y, _) in done)))
            for (x, y, e) in pts:
                if y:
                    if e:
                        lo = max(y - e, 10 ** y0)
                        o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>'
                                 % (X(x), X(x), Y(lo), Y(min(y + e, 10 ** y1)), c))
                    o.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(x), Y(y), c))
                else:
                    yy = py1 + 10
                    o.append('<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s" font-weight="bold">✕</text>'
                             % (X(x), yy + 4, c))
        if any(y is None for pts in series.values() for (_, y, _) in pts):
            o.append('<text x="%.1f" y="%.1f" text-anchor="end" fill="#555">✕ = did not complete</text>'
                     % (px1 - 4, py1 + 26))
    ly = 36 + rows * ph + 8
    for i, s in enumerate(series_order):
        lx, yy = 20 + (i % 2) * 420, ly + (i // 2) * 22
        c = COLORS.get(s, "#666")
        o.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2" %s/>' % (
            lx, lx + 28, yy, yy, c, ('stroke-dasharray="%s"' % DASH[s]) if s in DASH else ""))
        o.append('<text x="%d" y="%d">%s</text>' % (lx + 34, yy + 4, esc(labels.get(s, s))))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------- markdown

def paired_section(d):
    """The headline: the paired mode's tables (DIR/paired.md, written by Paired), with the command that ran it."""
    path = os.path.join(d, "paired.md")
    if not os.path.exists(path):
        return []
    L = ["## Headline: paired ratios in one JVM (issue 16)", ""]
    try:
        with open(os.path.join(d, "commands.txt")) as f:
            cmds = [c for c in f.read().splitlines() if "dev.quiesce.benchmarks.Paired" in c]
    except OSError:
        cmds = []
    if cmds:
        L += ["```", cmds[-1], "```", ""]
    with open(path) as f:
        L.extend(f.read().rstrip("\n").split("\n"))
    L += ["", "The JMH scores of every implementation (separate forks: absolute times, not paired) follow.", ""]
    return L


def paired_problems(d, required):
    """Why the paired results are not usable (missing, unreadable, a failed cell); [] if they are."""
    path = os.path.join(d, "paired.json")
    if not os.path.exists(path):
        return ["no paired results (paired.json)"] if required else []
    try:
        with open(path) as f:
            cells = json.load(f)["cells"]
    except (OSError, ValueError, KeyError) as e:
        return ["paired.json unreadable: %s" % e]
    out = []
    if not cells:
        out.append("paired.json holds no cells")
    for c in cells:
        if c.get("error") or not c.get("blocks"):
            out.append("paired %s n=%s %s: %s" % (c.get("kind") or c.get("type"), c.get("n"),
                                                   c.get("issuer") or c.get("starter"), c.get("error") or "no blocks"))
    return out


def write_report(d, meta, results, failures, foot, shut):
    cancel, fork, dnc, floors, best, fp = build_model(results, failures, foot)
    sd = shutdown_model(shut)
    L = []
    L.append("# Quiesce benchmark results (%s run)" % meta.get("mode", "?"))
    L.append("")
    L.append("Generated by `benchmarks/run.sh`; method and caveats in [README.md](README.md). Charts: "
             "[cancel-to-join.svg](cancel-to-join.svg), [fork-cost.svg](fork-cost.svg).")
    L.append("")
    L.extend(paired_section(d))
    L.append("## Machine and JDK")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append("| started | %s |" % meta.get("started"))
    L.append("| CPU | %s, %s logical CPUs (nproc) |" % (meta.get("cpu"), meta.get("nproc")))
    L.append("| memory | %s |" % meta.get("memory"))
    L.append("| OS | %s, open-file limit %s |" % (meta.get("kernel"), meta.get("fdLimit")))
    L.append("| JDK | %s |" % " / ".join(meta.get("jdk", [])))
    jvm_args = sorted({" ".join(r.get("jvmArgs", [])) for r in results})
    L.append("| JVM flags (JMH forks) | %s |" % "; ".join("`%s`" % a for a in jvm_args))
    L.append("| commit | %s |" % meta.get("commit"))
    L.append("")
    L.append("Commands (in order):")
    L.append("")
    L.append("```")
    try:
        with open(os.path.join(d, "commands.txt")) as f:
            L.append(f.read().rstrip())
    except OSError:
        L.append("(commands.txt missing)")
    L.append("```")
    L.append("")
    L.append("Scores are JMH's: the mean of all measured single-shot invocations (forks × iterations) ± the "
             "half-width of its 99.9 % confidence interval. The ratio is to the **floor of the same kind and n in "
             "the same run**: the better of the bare-thread baseline with a platform and with a virtual issuer.")
    L.append("")

    # ---- targets
    tg = targets(cancel, fork, dnc, floors, best, fp) + shutdown_targets(sd)
    if tg:
        L.append("## Targets (issue 5)")
        L.append("")
        L.append("Each implementation at its better issuer (both are in the tables below).")
        L.append("")
        L.append("| target | measured | verdict |")
        L.append("|---|---|---|")
        for t, m, v in tg:
            L.append("| %s | %s | %s |" % (t, m, v))
        L.append("")

    # ---- cancel to join
    kinds = [k for k in KIND_ORDER if any(key[0] == k for key in list(cancel) + list(dnc))]
    if kinds:
        L.append("## Cancel-to-join latency (ms, lower is better)")
        L.append("")
        L.append("From the trigger to: the issuer's cancel-and-wait has returned and every task thread has been "
                 "joined. `✕ did not complete` = not done within the 30 s bound (the message is listed below).")
        L.append("")
    for kind in kinds:
        ns = sorted({key[1] for key in list(cancel) + list(dnc) if key[0] == kind})
        L.append("### %s" % kind)
        L.append("")
        L.append("| implementation | issuer | " + " | ".join("n = %s" % n_label(n) for n in ns) + " |")
        L.append("|---|---|" + "---|" * len(ns))
        for impl in IMPL_ORDER:
            for issuer in ["platform", "virtual"]:
                if not any((kind, n, impl, issuer) in cancel or (kind, n, impl, issuer) in dnc for n in ns):
                    continue
                cells = []
                for n in ns:
                    e = cancel.get((kind, n, impl, issuer))
                    fl = floors.get((kind, n))
                    if e:
                        c = "%s ± %s" % (fmt(e["score"]), fmt(e["error"]) if e["error"] is not None else "?")
                        if fl:
                            c += " (%s)" % ratio(e["score"], fl["score"])
                        if impl == "floor" and fl and fl["issuer"] == issuer:
                            c = "**" + c + "**"
                        cells.append(c)
                    elif (kind, n, impl, issuer) in dnc:
                        cells.append("✕ did not complete" if dnc[(kind, n, impl, issuer)]["didNotComplete"] else "✕ error")
                    else:
                        cells.append("—")
                L.append("| %s | %s | %s |" % (IMPL_LABEL[impl], issuer, " | ".join(cells)))
        L.append("")

    # ---- fork cost
    if fork:
        ns = sorted({n for (n, _, _) in fork})
        L.append("## Fork cost: time until all n tasks have started (ns per task, lower is better)")
        L.append("")
        L.append("Ratio to the bare `Thread.ofVirtual().start()` with the same starter thread, same run.")
        L.append("")
        L.append("| implementation | starter | " + " | ".join("n = %s" % n_label(n) for n in ns) + " |")
        L.append("|---|---|" + "---|" * len(ns))
        for impl in FORK_ORDER:
            for starter in ["platform", "virtual"]:
                if not any((n, impl, starter) in fork for n in ns):
                    continue
                cells = []
                for n in ns:
                    e, b = fork.get((n, impl, starter)), fork.get((n, "bare", starter))
                    if e:
                        cells.append("%s ± %s (%s)" % (fmt(e["nsPerTask"]), fmt(e["nsPerTaskError"]),
                                                        ratio(e["score"], b["score"] if b else None)))
                    else:
                        cells.append("✕" if ("fork", n, impl, starter) in dnc else "—")
                L.append("| %s | %s | %s |" % (FORK_LABEL[impl], starter, " | ".join(cells)))
        L.append("")

    # ---- footprint
    if fp:
        ns = sorted({n for (_, n) in fp})
        L.append("## Footprint: retained heap per idle task (bytes, lower is better)")
        L.append("")
        L.append("Median [min–max] over every measured round (3 fresh JVMs × 5 rounds, after 2 warm-up rounds each); "
                 "the difference (in parentheses) is between medians, to the bare virtual thread at the same n. "
                 "The median, because at n = 10 000 the first measured round of a JVM is sometimes still inflated.")
        L.append("")
        L.append("| implementation | " + " | ".join("n = %s" % n_label(n) for n in ns) + " |")
        L.append("|---|" + "---|" * len(ns))
        for impl in FORK_ORDER:
            cells = []
            for n in ns:
                v, b = fp.get((impl, n)), fp.get(("bare", n))
                if v:
                    c = "%.0f [%.0f–%.0f]" % (statistics.median(v), min(v), max(v))
                    if b and impl != "bare":
                        c += " (%+.0f)" % (statistics.median(v) - statistics.median(b))
                    c += " ×%d" % len(v)
                    cells.append(c)
                else:
                    cells.append("—")
            L.append("| %s | %s |" % (FORK_LABEL[impl], " | ".join(cells)))
        L.append("")
        L.append("×k = number of measured rounds.")
        L.append("")

    # ---- shutdown end-to-end
    L.extend(shutdown_section(sd))

    # ---- failures
    if failures:
        L.append("## Did not complete / failed")
        L.append("")
        L.append("| benchmark | parameters | message |")
        L.append("|---|---|---|")
        for f in failures:
            msg = f["message"].replace("dev.quiesce.benchmarks.DidNotCompleteException: ", "")
            L.append("| %s | %s | %s |" % (f["benchmark"], ", ".join("%s=%s" % kv for kv in f["params"].items()),
                                           esc(msg).replace("|", "\\|")))
        L.append("")

    # ---- the Jetty request-path overhead: written by benchmarks/jetty-overhead.sh --out DIR, a run of its own
    for name, against in (("jetty-overhead.md", "plain Jetty"),
                          ("jetty-overhead-vt.md", "plain Jetty on virtual threads")):
        jetty = os.path.join(d, name)
        if os.path.exists(jetty):
            L.append("## Jetty request-path overhead: quiesce-jetty against %s (benchmarks/jetty-overhead.sh)"
                     % against)
            L.append("")
            with open(jetty) as f:
                L.extend(f.read().rstrip("\n").split("\n"))
            L.append("")

    # ---- the gRPC request-path overhead: written by benchmarks/grpc-overhead.sh --out DIR, a run of its own
    for name, against in (("grpc-overhead.md", "plain grpc-java, saturating load"),
                          ("grpc-overhead-rps.md", "plain grpc-java, a fixed load"),
                          ("grpc-overhead-vt.md", "plain grpc-java on virtual threads, saturating load")):
        grpc = os.path.join(d, name)
        if os.path.exists(grpc):
            L.append("## gRPC request-path overhead: quiesce-grpc against %s (benchmarks/grpc-overhead.sh)" % against)
            L.append("")
            with open(grpc) as f:
                L.extend(f.read().rstrip("\n").split("\n"))
            L.append("")

    with open(os.path.join(d, "results.md"), "w") as f:
        f.write("\n".join(L))

    # ---- charts
    panels = []
    for kind in kinds:
        series = {}
        for impl in IMPL_ORDER:
            pts = []
            for n in sorted({key[1] for key in list(cancel) + list(dnc) if key[0] == kind}):
                b = best.get((kind, n, impl))
                if b:
                    pts.append((n, b["score"], b["error"]))
                elif any((kind, n, impl, i) in dnc for i in ["platform", "virtual"]):
                    pts.append((n, None, None))
            if pts:
                series[impl] = pts
        panels.append(("%s" % kind, series))
    if panels:
        svg_chart(os.path.join(d, "cancel-to-join.svg"),
                  "Cancel-to-join latency, JDK %s, %s CPUs (each implementation at its better issuer)" % (
                      (results[0].get("jdkVersion") if results else "?"), meta.get("nproc")),
                  panels, "ms (log scale)", IMPL_ORDER, IMPL_LABEL)
    if fork:
        fpanels = []
        for starter in ["platform", "virtual"]:
            series = {}
            for impl in FORK_ORDER:
                pts = [(n, e["nsPerTask"], e["nsPerTaskError"]) for (n, i, s), e in fork.items() if i == impl and s == starter]
                if pts:
                    series[impl] = pts
            if series:
                fpanels.append(("%s starter" % starter, series))
        svg_chart(os.path.join(d, "fork-cost.svg"), "Fork cost: ns per task until all n have started",
                  fpanels, "ns per task (log scale)", FORK_ORDER, FORK_LABEL)

    summary = {
        "meta": meta,
        "cancelToJoin": [dict(kind=k[0], n=k[1], impl=k[2], issuer=k[3], **v) for k, v in sorted(cancel.items())],
        "floors": [dict(kind=k[0], n=k[1], **v) for k, v in sorted(floors.items())],
        "forkCost": [dict(n=k[0], impl=k[1], starter=k[2], **v) for k, v in sorted(fork.items())],
        "footprint": [dict(impl=k[0], n=k[1], bytesPerTask=v) for k, v in sorted(fp.items())],
        "failures": failures,
        "targets": [dict(target=t, measured=m, verdict=v) for t, m, v in tg],
        "shutdown": {c: {k: v for k, v in m.items() if k not in ("rows", "failed")} | {
            "medianSigtermToExitMs": med(m["total"]), "medianBeyondDelaysMs": med(m["beyond"]),
            "failedRounds": [dict(round=r.get("round"), problems=r.get("problems")) for r in m["failed"]]}
            for c, m in sd.items()},
    }
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, ensure_ascii=False)
    return cancel, fork, fp, sd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--mode", default="?")
    ap.add_argument("--meta-only", action="store_true", help="record machine and JDK in DIR/meta.json and stop")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if any benchmark or shutdown round failed or nothing was measured")
    a = ap.parse_args()
    meta_path = os.path.join(a.dir, "meta.json")
    if a.meta_only or not os.path.exists(meta_path):
        with open(meta_path, "w") as f:
            json.dump(collect_meta(a.mode), f, indent=1)
        if a.meta_only:
            return 0
    with open(meta_path) as f:
        meta = json.load(f)
    results = load_jmh(a.dir)
    failures = load_failures(a.dir)
    foot = load_footprint(a.dir)
    shut = load_shutdown(a.dir)
    cancel, fork, fp, sd = write_report(a.dir, meta, results, failures, foot, shut)
    print("report: %d JMH results (%d cancel-to-join, %d fork cost), %d footprint rows, %d shutdown rounds, "
          "%d failures -> %s" % (len(results), len(cancel), len(fork), len(foot), len(shut), len(failures),
                                 os.path.join(a.dir, "results.md")))
    if a.check:
        problems = []
        if not cancel:
            problems.append("no cancel-to-join results")
        if not fork:
            problems.append("no fork-cost results")
        if not fp:
            problems.append("no footprint results")
        if not shut:
            problems.append("no shutdown end-to-end results")
        problems += paired_problems(a.dir, meta.get("mode") == "quick")
        for r in shut:
            if not r.get("ok"):
                problems.append("shutdown %s round %s: %s" % (r.get("case"), r.get("round"),
                                                               "; ".join(r.get("problems", []))))
        for f in failures:
            problems.append("%s %s: %s" % (f["benchmark"], f["params"], f["message"]))
        for path in glob.glob(os.path.join(a.dir, "jmh-*.log")):
            with open(path, errors="replace") as fh:
                if "Benchmark had encountered error" in fh.read():
                    problems.append("%s: a benchmark errored" % os.path.basename(path))
        if problems:
            print("CHECK FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        print("check: every benchmark and shutdown round ran and reported a result")
    return 0


if __name__ == "__main__":
    sys.exit(main())
