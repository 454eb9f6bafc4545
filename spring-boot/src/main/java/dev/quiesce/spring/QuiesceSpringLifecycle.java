package dev.quiesce.spring;

import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.Lifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.context.support.DefaultLifecycleProcessor;

/**
 * Ties the {@link Shutdown} to the application context:
 * <ul>
 *   <li>at startup (all singletons made), the lifecycle budget check ({@link LifecycleBudget}): an explicit
 *       {@code spring.lifecycle.timeout-per-shutdown-phase} that does not fit the cleanup budget fails startup;
 *       an unset one is set to fit;
 *   <li>{@link ApplicationReadyEvent}: {@link Shutdown#markReady()};
 *   <li>readiness {@code DRAINING} (the trigger): Boot's readiness turns {@link ReadinessState#REFUSING_TRAFFIC}
 *       (liveness is left alone: it stays {@code CORRECT});
 *   <li>the cleanup phase closes the context ({@link ContextCloser});
 *   <li>a context closed by someone else (a test, {@code SpringApplication.exit}) runs the shutdown's sequence
 *       first and waits for it; a context destroyed before it was ever closed (a failed startup) triggers the
 *       shutdown with exit code 1.
 * </ul>
 */
final class QuiesceSpringLifecycle implements SmartInitializingSingleton, ApplicationListener<ApplicationEvent>,
        DisposableBean {
    private static final Logger LOG = LoggerFactory.getLogger(QuiesceSpringLifecycle.class);

    private final Shutdown shutdown;
    private final ConfigurableApplicationContext context;
    private final QuiesceProperties properties;
    private final LifecycleProperties lifecycle;
    private final ContextCloser closer;

    QuiesceSpringLifecycle(Shutdown shutdown, ConfigurableApplicationContext context, QuiesceProperties properties,
            LifecycleProperties lifecycle, ContextCloser closer) {
        this.shutdown = shutdown;
        this.context = context;
        this.properties = properties;
        this.lifecycle = lifecycle;
        this.closer = closer;
        closer.registerWith(shutdown); // a Shutdown bean of the application's own was not registered by the factory
        shutdown.readiness().onChange(new Consumer<Readiness.State>() {
            @Override
            public void accept(Readiness.State state) {
                if (state == Readiness.State.DRAINING) {
                    AvailabilityChangeEvent.publish(QuiesceSpringLifecycle.this.context, ReadinessState.REFUSING_TRAFFIC);
                }
            }
        });
    }

    @Override
    public void afterSingletonsInstantiated() {
        int phases = LifecycleBudget.phases(
                context.getBeanFactory().getBeansOfType(Lifecycle.class, false, false).values());
        Duration perPhase = lifecycle == null ? Duration.ofSeconds(30) : lifecycle.getTimeoutPerShutdownPhase();
        if (context.getEnvironment().containsProperty(LifecycleBudget.TIMEOUT_PROPERTY) || !(processor() instanceof
                DefaultLifecycleProcessor)) {
            LifecycleBudget.check(perPhase, phases, properties.cleanupBudget());
        } else {
            Duration fit = LifecycleBudget.fitting(phases, properties.cleanupBudget());
            ((DefaultLifecycleProcessor) processor()).setTimeoutPerShutdownPhase(fit.toMillis());
            LOG.debug("{} is unset: {} ms per phase, so that {} lifecycle phases fit quiesce.shutdown.cleanup-budget",
                    LifecycleBudget.TIMEOUT_PROPERTY, fit.toMillis(), phases);
        }
    }

    private Object processor() {
        return context.getBeanFactory().containsSingleton(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME)
                ? context.getBeanFactory().getSingleton(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME)
                : null;
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ApplicationReadyEvent ready && ready.getApplicationContext() == context) {
            shutdown.markReady();
        } else if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == context
                && closer.claimForOthers()) {
            // closed by someone else: drain first (the web server is still up), then let the close go on
            shutdown.initiate("the application context is being closed");
            try {
                shutdown.awaitTermination(shutdown.remaining());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void destroy() {
        if (!shutdown.isShuttingDown()) { // destroyed without a close: the startup failed
            shutdown.exit(1);
        }
    }
}
