package dev.quiesce.samples;

import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo: one command that shows the whole story. With no arguments (the self-demo) it starts the
 * {@linkplain DemoService demo service}, puts it under load with the JDK's {@code HttpClient}, sends
 * itself SIGTERM the way Kubernetes would during a rolling update, and exits 0 once every request in
 * flight has been answered, the state is on disk and the resources are closed.
 *
 * <pre>
 * quiesce-demo                 the self-demo (default)
 * quiesce-demo serve [options] the service alone, for any HTTP client or load tool; stop it with SIGTERM
 * quiesce-demo tree            a scope tree cancelled from its root
 * </pre>
 *
 * <p>How to run: {@code ./demo.sh} (or {@code java -jar samples/target/quiesce-demo.jar}).
 *
 * <p>What you should see: 200 requests in flight, SIGTERM, readiness turning to 503 while the requests
 * keep completing, new connections refused once the listener closes, every phase with its duration, the
 * shutdown report, and {@code self-demo: 200 requests, 200 answered 200 OK, 0 failed}.
 */
public final class Demo {
    private Demo() {}

    static final String USAGE = """
            usage: quiesce-demo [self-demo | serve [options] | tree | help]   (./demo.sh runs it on JDK 25)
              self-demo            the default: the service under load, SIGTERM, every request answered
              serve [options]      the service alone, for any HTTP client or load tool; stop it with SIGTERM
              tree                 a scope tree cancelled from its root
              help                 this text
            serve options:
              --host ADDR          address to listen on (default %s: this machine only; 0.0.0.0 in a container)
              --port N             port to listen on (default %d: any free port; the "listening on" line says which)
              --state FILE         the state, read at start and written atomically on shutdown
                                   (default %s, in the working directory)
              --pre-drain-ms N     readiness answers 503 this long before the listener closes (default %d)
              --grace-ms N         how long requests in flight may take to finish (default %d)
              --cancel-grace-ms N  how long cancelled requests get to answer (default %d)
              --budget-ms N        the whole shutdown's budget: terminationGracePeriodSeconds in ms (default %d)
              --naive              no Quiesce: the negative control, drops requests on SIGTERM (default off)
              --management-port N  a management listener (health, /quiesce/tree, /quiesce/report,
                                   POST /quiesce/drain) on this port of --host (default none)
              --server NAME        the HTTP server: jdk (the JDK's HttpServer, HTTP/1.1) or jetty (Jetty 12,
                                   HTTP/1.1 and h2c on the same port; with --naive: Jetty's own graceful stop)
                                   (default jdk)
              --grpc-port N        a gRPC listener on this port of --host, 0 for any free port, beside the HTTP one
                                   and drained by the same shutdown: quiesce.demo.Demo/Work (unary, like /work) and
                                   /Ticks (a server stream that ends OK at the drain) (default none)
            environment: QUIESCE_PRE_DRAIN_MS, QUIESCE_GRACE_MS, QUIESCE_CANCEL_GRACE_MS, QUIESCE_BUDGET_MS and
              QUIESCE_MANAGEMENT_PORT set the options of the same name (what quiesce check reads); a flag wins
            samples: ./demo.sh sample NAME (e.g. Sample01_SignalHandling, or 01); ./demo.sh sample lists them"""
            .formatted(DemoService.Settings.DEFAULT_HOST, DemoService.Settings.DEFAULT_PORT,
                    DemoService.Settings.DEFAULT_STATE, DemoService.Settings.DEFAULT_PRE_DRAIN.toMillis(),
                    DemoService.Settings.DEFAULT_GRACE.toMillis(), DemoService.Settings.DEFAULT_CANCEL_GRACE.toMillis(),
                    DemoService.Settings.DEFAULT_BUDGET.toMillis());

    public static void main(String[] args) throws Exception {
        // The demo prints its own progress; Quiesce's log lines (slf4j-simple) only from WARN up, unless asked.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        String mode = args.length == 0 ? "self-demo" : args[0];
        switch (mode) {
            case "self-demo" -> selfDemo();
            case "serve" -> {
                var settings = parseOrExit(args);
                if (settings.naive()) {
                    DemoService.serveNaive(settings, System.out);
                } else {
                    DemoService.serve(settings, System.out); // the shutdown exits the process
                }
            }
            case "tree" -> TreeDemo.main(new String[0]);
            case "-h", "--help", "help" -> System.out.println(USAGE);
            default -> {
                System.err.println("quiesce-demo: unknown mode " + mode + "\n" + USAGE);
                System.exit(2);
            }
        }
    }

    /** The serve options; bad ones print what is wrong and the usage, and exit 2 (no stack trace). */
    private static DemoService.Settings parseOrExit(String[] args) {
        try {
            return DemoService.Settings.parse(args, 1);
        } catch (IllegalArgumentException e) {
            System.err.println("quiesce-demo: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            throw new AssertionError("not reached");
        }
    }

    private static void say(String s) {
        System.out.println("[client] " + s);
    }

    private static void selfDemo() throws Exception {
        Path dir = Files.createTempDirectory("quiesce-demo");
        Path state = dir.resolve("state.json");
        var settings = new DemoService.Settings("127.0.0.1", 0, state, Duration.ofMillis(500), Duration.ofSeconds(10),
                Duration.ofSeconds(1), Duration.ofSeconds(30), false, DemoService.ServerKind.JDK);
        DemoService.Running service = DemoService.serve(settings, System.out);
        Shutdown shutdown = service.shutdown();
        URI base = URI.create("http://127.0.0.1:" + service.port());

        int n = 200;
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<Integer, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        var failures = new ConcurrentHashMap<String, AtomicInteger>();
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        say("sending " + n + " requests of 1000-2500 ms each");
        long enteredBefore = shutdown.inFlight().entered();
        for (int i = 0; i < n; i++) {
            long ms = 1000 + (i * 37L) % 1500;
            var req = HttpRequest.newBuilder(base.resolve("/work?ms=" + ms)).timeout(Duration.ofSeconds(20)).build();
            inFlight.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofString()).handle((resp, err) -> {
                if (err != null) {
                    failures.computeIfAbsent(err.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
                } else {
                    outcomes.computeIfAbsent(resp.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                }
                return null;
            }));
        }
        // wait until every request has reached the server: then all of them are in flight, unless sending them
        // took longer than the shortest one (a very busy machine), and the message says so
        while (shutdown.inFlight().entered() - enteredBefore < n) {
            Thread.sleep(5);
        }
        long running = shutdown.inFlight().inFlight();
        // what a load balancer's health check sees: serving, before the signal (then draining, then refused)
        String last = probe(client, base.resolve("/health/ready"));
        say("GET /health/ready -> " + last);
        say((running >= n ? n + "" : running + " of " + n) + " requests in flight; sending SIGTERM to myself (pid "
                + ProcessHandle.current().pid() + "), as the kubelet does on a rolling update");
        // The shutdown exits the process when it is done: the cleanup registered first runs last, and is
        // where the client reports what it saw.
        shutdown.onCleanup("load-report", () -> {
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(1, TimeUnit.SECONDS);
            int ok = outcomes.getOrDefault(200, new AtomicInteger()).get();
            say("responses by status: " + new TreeMap<>(outcomes) + (failures.isEmpty() ? "" : ", errors: " + failures));
            say("state on disk: " + Files.readString(state));
            say("self-demo: " + n + " requests, " + ok + " answered 200 OK, " + (n - ok) + " failed");
        });
        new ProcessBuilder("kill", "-TERM", Long.toString(ProcessHandle.current().pid())).inheritIO().start();

        // what it sees while the service drains
        for (int i = 0; i < 400; i++) {
            String seen = probe(client, base.resolve("/health/ready"));
            if (!seen.equals(last)) {
                say("GET /health/ready -> " + seen);
                last = seen;
            }
            if (seen.startsWith("connection refused")) {
                break;
            }
            Thread.sleep(10);
        }
        Thread.sleep(Duration.ofMinutes(1)); // the shutdown sequence ends the process
    }

    private static String probe(HttpClient client, URI uri) {
        try {
            var resp = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String body = resp.body();
            int phase = body.indexOf("\"phase\"");
            return resp.statusCode() + (resp.statusCode() == 503 ? " (draining, " + body.substring(phase,
                    body.indexOf(',', phase)) + ")" : "");
        } catch (ConnectException e) {
            return "connection refused (listener closed)";
        } catch (IOException e) {
            return "error " + e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
