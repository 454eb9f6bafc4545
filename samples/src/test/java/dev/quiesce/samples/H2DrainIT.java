package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 through the drain, from outside: {@code h2load} (Debian's {@code nghttp2-client}) drives the demo on Jetty
 * ({@code serve --server jetty}) with h2c by prior knowledge, and the demo gets SIGTERM once h2load reports
 * progress (some requests done, the rest in flight on their streams). The graceful GOAWAY lets every stream in
 * flight complete: h2load reports no failed, errored or timed-out request, and the demo exits 0 with a clean
 * report.
 *
 * <p>Each h2load client opens its streams at once ({@code -n} = clients × {@code -m}): every request is on the wire
 * before the GOAWAY. A client that still has requests to send when the GOAWAY comes cannot send them on that
 * connection, and h2load counts those as failed once it cannot connect again (the listener is closed): that is the
 * client giving up, not a request the server dropped, and this test does not measure it.
 *
 * <p>h2load is installed by {@code .ci/run}. Without it this test is skipped with a loud message, except under CI
 * ({@code CI=true}), where a missing h2load fails it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class H2DrainIT {
    private static final int CLIENTS = 4;
    private static final int STREAMS = 100;
    private static final Pattern REQUESTS = Pattern.compile("^requests: (\\d+) total, (\\d+) started, (\\d+) done,"
            + " (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    private static final Pattern STATUS = Pattern.compile("^status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx,"
            + " (\\d+) 5xx");
    private static final Pattern AT_TRIGGER = Pattern.compile("requests: (\\d+) in flight at trigger, (\\d+) drained");

    @TempDir
    Path dir;


    @Test
    void h2loadThroughTheDrain_noStreamFails_andTheDemoOnJettyExitsClean() throws Exception {
        Path h2load = DebianTool.require("H2DrainIT", "h2load", "nghttp2-client",
                List.of("/usr/bin/h2load", "/usr/local/bin/h2load"));
        Path state = DemoProcess.stateFile(dir);
        int n = CLIENTS * STREAMS;
        try (var demo = DemoProcess.start("serve", "--server", "jetty", "--host", "127.0.0.1", "--port", "0",
                "--state", state.toString(), "--pre-drain-ms", "500", "--grace-ms", "20000", "--budget-ms", "40000")) {
            URI base = demo.awaitListening();
            // every other request is quick, the rest take 3 s: the quick ones make the progress the SIGTERM waits for
            try (var load = DemoProcess.command(List.of(h2load.toString(), "-n", Integer.toString(n),
                    "-c", Integer.toString(CLIENTS), "-m", Integer.toString(STREAMS),
                    base.resolve("/work?ms=20").toString(), base.resolve("/work?ms=3000").toString()))) {
                String progress = load.awaitLine("progress: "); // h2load: some requests are done, the rest in flight
                demo.signal("TERM");

                assertThat(load.waitFor()).as(load.output()).isZero();
                String out = load.output();
                System.out.println("h2load through the drain (SIGTERM after '" + progress + "'):\n" + out);
                Matcher r = line(REQUESTS, out);
                assertThat(Long.parseLong(r.group(1))).as("total").isEqualTo(n);
                assertThat(Long.parseLong(r.group(4))).as("succeeded: " + out).isEqualTo(n);
                assertThat(List.of(r.group(5), r.group(6), r.group(7))).as("failed, errored, timeout: " + out)
                        .containsOnly("0");
                assertThat(line(STATUS, out).group(1)).as("2xx: " + out).isEqualTo(Integer.toString(n));
            }
            assertThat(demo.waitFor()).as(demo.output()).isZero();
            String report = demo.output();
            assertThat(report).contains("outcome CLEAN, exit code 0");
            assertThat(Files.readString(state)).contains("\"served\":" + n);
            // the SIGTERM came with streams in flight, and they were drained
            Matcher m = AT_TRIGGER.matcher(report);
            assertThat(m.find()).as(report).isTrue();
            System.out.println("demo: " + m.group());
            assertThat(Long.parseLong(m.group(1))).as(report).isPositive();
            assertThat(Long.parseLong(m.group(2))).as(report).isGreaterThanOrEqualTo(Long.parseLong(m.group(1)));
        }
    }

    private static Matcher line(Pattern p, String output) {
        for (String l : output.split("\n")) {
            Matcher m = p.matcher(l.strip());
            if (m.find()) {
                return m;
            }
        }
        throw new AssertionError("no line matching " + p + " in:\n" + output);
    }
}
