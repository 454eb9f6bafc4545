package dev.quiesce.samples;

import dev.quiesce.http.ManagementServer;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.spring.tomcat.TomcatIngress;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The demo service on Spring Boot 4 (embedded Tomcat, virtual threads, actuator) with the Quiesce starter
 * ({@code quiesce-spring-boot}), keeping the plain demo's contract ({@link DemoService}): {@code serve --port 0
 * --state FILE} and the plain demo's other options, the {@code listening on http://127.0.0.1:PORT} line,
 * {@code GET /work?ms=N}, {@code /health/live} and {@code /health/ready} with the same JSON, the state file written
 * atomically on SIGTERM, the report, exit code 0 after a graceful SIGTERM and 2 for bad options. With
 * {@code --naive} it is plain Boot graceful shutdown ({@code server.shutdown=graceful}, actuator readiness, the
 * starter off): the negative control.
 *
 * <p>How to run: {@code java -jar samples-spring/target/quiesce-spring-demo.jar serve --port 8080}.
 *
 * <p>What you should see: {@code listening on http://127.0.0.1:8080}; on SIGTERM, with the starter, every phase
 * with its duration, the report and exit code 0; with {@code --naive}, Boot's graceful shutdown and exit code 143.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class SpringDemo {

    /** The usage: the plain demo's options, but {@code --naive} and {@code --server} as this demo has them. */
    static final String USAGE = """
            usage: quiesce-spring-demo [serve [options] | help]   (java -jar samples-spring/target/quiesce-spring-demo.jar)
              serve [options]      the demo service on Spring Boot (Tomcat, virtual threads); stop it with SIGTERM
              help                 this text
            serve options:
            """ + Demo.USAGE.substring(Demo.USAGE.indexOf("  --host"), Demo.USAGE.indexOf("  --naive")) + """
              --naive              no Quiesce: plain Boot graceful shutdown (server.shutdown=graceful, actuator
                                   readiness), the negative control (default off)
              --management-port N  Quiesce's management listener (health, /quiesce/tree, /quiesce/report,
                                   POST /quiesce/drain) on this port of --host; not with --naive (default none)
              --server NAME        the HTTP server: tomcat only (Boot's embedded Tomcat) (default tomcat)
            """ + Demo.USAGE.substring(Demo.USAGE.indexOf("environment:"), Demo.USAGE.indexOf("samples:")).stripTrailing();

    /** Made by Boot. */
    public SpringDemo() {}

    /**
     * Runs the demo.
     *
     * @param args {@code serve [options]} or {@code help}
     */
    public static void main(String[] args) {
        String mode = args.length == 0 ? "" : args[0];
        switch (mode) {
            case "serve" -> serve(parseOrExit(args), System.out);
            case "-h", "--help", "help" -> System.out.println(USAGE);
            default -> {
                System.err.println("quiesce-spring-demo: " + (mode.isEmpty() ? "say what to do" : "unknown mode " + mode)
                        + "\n" + USAGE);
                System.exit(2);
            }
        }
    }

    /** The serve options; bad ones print what is wrong and the usage, and exit 2 (no stack trace). */
    private static DemoService.Settings parseOrExit(String[] args) {
        try {
            return parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("quiesce-spring-demo: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            throw new AssertionError("not reached");
        }
    }

    /**
     * The plain demo's options ({@link DemoService.Settings#parse}) from {@code args[1]} on, except {@code --server},
     * which takes {@code tomcat} only here.
     *
     * @throws IllegalArgumentException with a message that names the option and what it takes
     */
    static DemoService.Settings parse(String[] args) {
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--server")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--server needs a value");
                }
                if (!args[++i].equals("tomcat")) {
                    throw new IllegalArgumentException("--server takes tomcat (Boot's embedded Tomcat; the plain demo has"
                            + " jdk and jetty), was '" + args[i] + "'");
                }
            } else {
                rest.add(args[i]);
            }
        }
        rest.addFirst("serve");
        DemoService.Settings s = DemoService.Settings.parse(rest.toArray(String[]::new), 1);
        if (s.naive() && s.managementPort() >= 0) {
            throw new IllegalArgumentException("--management-port is Quiesce's listener: not with --naive");
        }
        return s;
    }

    /**
     * Starts the service; returns once it accepts requests (Boot's {@code ApplicationReadyEvent}, when the starter
     * marks the shutdown ready). With the starter, SIGTERM runs the shutdown sequence, which exits the process; a
     * start-up that fails (a port in use) exits 1.
     */
    static void serve(DemoService.Settings s, PrintStream out) {
        var app = new SpringApplication(SpringDemo.class);
        app.addInitializers(context -> {
            context.getBeanFactory().registerSingleton("demoSettings", s);
            context.getBeanFactory().registerSingleton("demoOut", out);
        });
        ConfigurableApplicationContext context;
        try {
            context = app.run(properties(s));
        } catch (RuntimeException e) {
            // Boot has logged why (e.g. "Port 8080 was already in use"); with the starter the shutdown exits 1 too
            System.err.println("quiesce-spring-demo: the service did not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        if (s.managementPort() >= 0) {
            try {
                var management = ManagementServer.builder(context.getBean(Shutdown.class))
                        .bind(s.host(), s.managementPort()).start();
                out.println("management on http://" + s.host() + ":" + management.port());
            } catch (IOException e) {
                System.err.println("quiesce-spring-demo: the management listener did not start on port "
                        + s.managementPort() + ": " + e.getMessage());
                context.getBean(Shutdown.class).exit(1);
                return;
            }
        }
        out.println("listening on http://" + s.host() + ":" + port
                + (s.naive() ? " (naive: Boot's own graceful shutdown, no Quiesce)" : ""));
    }

    /** The settings as Boot's and the starter's properties, on the command line (they win over everything). */
    static String[] properties(DemoService.Settings s) {
        List<String> p = new ArrayList<>(List.of("--server.address=" + s.host(), "--server.port=" + s.port()));
        if (s.naive()) {
            p.addAll(List.of("--quiesce.shutdown.enabled=false", "--server.shutdown=graceful",
                    "--spring.lifecycle.timeout-per-shutdown-phase=" + s.grace().toMillis() + "ms"));
        } else {
            p.addAll(List.of("--quiesce.shutdown.name=demo",
                    "--quiesce.shutdown.platform-budget=" + s.budget().toMillis() + "ms",
                    "--quiesce.shutdown.pre-drain-delay=" + s.preDrain().toMillis() + "ms",
                    "--quiesce.shutdown.grace-period=" + s.grace().toMillis() + "ms",
                    "--quiesce.shutdown.cancel-grace=" + s.cancelGrace().toMillis() + "ms",
                    "--quiesce.shutdown.persist-budget=2s", "--quiesce.shutdown.cleanup-budget=2s"));
        }
        return p.toArray(String[]::new);
    }

    /**
     * The demo's shutdown output: each phase, then the report (the plain demo's {@link DemoService#printing}).
     *
     * @param out where the demo prints
     * @return the listener, which the starter adds to the shutdown
     */
    @Bean
    static Shutdown.PhaseListener demoPhasePrinter(PrintStream out) {
        return DemoService.printing(out);
    }

    /**
     * The plain demo's endpoints as a controller, on the plain demo's pieces; a member class of the configuration,
     * so Boot makes it.
     */
    @RestController
    static final class Api {
        private final Shutdown shutdown;
        private final TomcatIngress ingress;
        private final ApplicationAvailability availability;
        private final Map<String, Long> state;
        private final AtomicLong served;
        private final AtomicLong ticks;
        private final AtomicLong inFlight = new AtomicLong();
        private final DemoService.Pool pool;

        /**
         * The API; with the starter, the pool, the worker and the state registered with the shutdown.
         *
         * @param s the settings
         * @param out where the demo prints
         * @param shutdown the shutdown (none with {@code --naive})
         * @param ingress the starter's Tomcat ingress (none with {@code --naive})
         * @param availability Boot's availability (readiness, with {@code --naive})
         */
        Api(DemoService.Settings s, PrintStream out, ObjectProvider<Shutdown> shutdown,
                ObjectProvider<TomcatIngress> ingress, ApplicationAvailability availability) {
            this.shutdown = shutdown.getIfAvailable();
            this.ingress = ingress.getIfAvailable();
            this.availability = availability;
            this.state = new ConcurrentHashMap<>(this.shutdown == null ? Map.of() : load(s));
            this.served = new AtomicLong(state.getOrDefault("served", 0L));
            this.ticks = new AtomicLong(state.getOrDefault("workerTicks", 0L));
            this.pool = this.shutdown == null ? new DemoService.Pool()
                    : DemoService.background(this.shutdown, s, out, state, served, ticks);
            if (this.shutdown != null) {
                Shutdown sd = this.shutdown;
                sd.onReload("demo", () -> out.println("[reload] SIGHUP: reload hooks ran, still serving (readiness "
                        + sd.readiness().get() + ")"));
            }
        }

        private static Map<String, Long> load(DemoService.Settings s) {
            try {
                return DemoService.load(s.state());
            } catch (IOException e) {
                throw new UncheckedIOException("could not read the state file " + s.state(), e);
            }
        }

        @RequestMapping("/work")
        ResponseEntity<String> work(HttpServletRequest request) throws IOException {
            inFlight.incrementAndGet();
            try {
                return json(DemoService.work(request.getMethod(), request.getQueryString(), pool, served));
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @RequestMapping("/state")
        ResponseEntity<String> state() {
            return json(DemoService.stateReply(state, served, ticks));
        }

        @RequestMapping("/health/live")
        ResponseEntity<String> live() {
            return health(false);
        }

        @RequestMapping("/health/ready")
        ResponseEntity<String> ready() {
            return health(true);
        }

        /**
         * The JDK adapter's health JSON: the shutdown's readiness and phase, the requests in flight (this probe not
         * counted) and the remaining budget; 503 with {@code Retry-After} from the readiness probe once not serving.
         * With {@code --naive}: Boot's readiness, {@code SERVING} or {@code DRAINING}.
         */
        private ResponseEntity<String> health(boolean readinessProbe) {
            if (shutdown == null) {
                boolean accepting = availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
                int status = !readinessProbe || accepting ? 200 : 503;
                return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body("{\"status\":\""
                        + (accepting ? "SERVING" : "DRAINING") + "\",\"inFlight\":" + inFlight.get() + "}");
            }
            Readiness.State readiness = shutdown.readiness().get();
            int status = !readinessProbe || readiness == Readiness.State.SERVING ? 200 : 503;
            long requests = ingress == null ? 0 : Math.max(0, ingress.inFlight().inFlight() - 1);
            String phase = shutdown.phase().map(Enum::name).orElse("NONE");
            var response = ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON);
            if (shutdown.isShuttingDown()) {
                response.header(HttpHeaders.CONNECTION, "close");
            }
            if (status == 503) {
                response.header(HttpHeaders.RETRY_AFTER, "1");
            }
            return response.body("{\"status\":\"" + readiness.name() + "\",\"phase\":\"" + phase + "\",\"inFlight\":"
                    + requests + ",\"remainingMillis\":" + shutdown.remaining().toMillis() + "}");
        }

        private static ResponseEntity<String> json(DemoService.Reply reply) {
            return ResponseEntity.status(reply.status()).contentType(MediaType.APPLICATION_JSON).body(reply.json());
        }
    }
}
