package dev.quiesce.spring;

import dev.quiesce.shutdown.Shutdown;
import java.util.Locale;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.context.LifecycleAutoConfiguration;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.config.TaskManagementConfigUtils;

/**
 * The Quiesce auto-configuration: a started {@link Shutdown} bean bound from {@code quiesce.shutdown.*}, owning
 * SIGTERM/SIGINT/SIGHUP, and its ties to the application context ({@link QuiesceSpringLifecycle}). Off with
 * {@code quiesce.shutdown.enabled=false}.
 */
@AutoConfiguration(after = LifecycleAutoConfiguration.class,
        before = {TaskExecutionAutoConfiguration.class, TaskSchedulingAutoConfiguration.class})
@ConditionalOnBooleanProperty(name = "quiesce.shutdown.enabled", matchIfMissing = true)
@EnableConfigurationProperties(QuiesceProperties.class)
public class QuiesceAutoConfiguration {

    /** Created by Boot. */
    public QuiesceAutoConfiguration() {}

    /**
     * The shutdown, started: its signal handlers are installed.
     *
     * @param properties the {@code quiesce.shutdown.*} properties
     * @param closer closes the context in the cleanup phase
     * @param phaseListeners the application's {@link Shutdown.PhaseListener} beans, in their order: each is added to
     *     the builder ({@link Shutdown.Builder#onPhase}), so it sees every phase and the report
     * @return the started shutdown
     * @throws IllegalStateException if the phases do not fit the platform budget (the message names the property)
     */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    public Shutdown quiesceShutdown(QuiesceProperties properties,
            @Qualifier("quiesceContextCloser") Object closer, ObjectProvider<Shutdown.PhaseListener> phaseListeners) {
        Shutdown shutdown;
        try {
            Shutdown.Builder builder = properties.toBuilder();
            phaseListeners.orderedStream().forEach(builder::onPhase);
            shutdown = builder.start();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Quiesce: the quiesce.shutdown.* properties do not fit: "
                    + propertyNames(e.getMessage()), e);
        }
        ((ContextCloser) closer).registerWith(shutdown); // first: it closes last
        return shutdown;
    }

    /**
     * Boot's {@code applicationTaskExecutor} (so {@code @Async} methods run on it): tasks in virtual threads of the
     * shutdown's scope tree, under {@code /<shutdown>/async}. Off with {@code quiesce.task-executor.enabled=false}
     * (Boot's own executor then), or by defining an {@code applicationTaskExecutor} bean.
     *
     * @param shutdown the shutdown
     * @return the executor
     */
    @Bean(name = {"applicationTaskExecutor", "taskExecutor"})
    @ConditionalOnMissingBean(name = "applicationTaskExecutor")
    @ConditionalOnBooleanProperty(name = "quiesce.task-executor.enabled", matchIfMissing = true)
    public QuiesceTaskExecutor quiesceTaskExecutor(Shutdown shutdown) {
        return new QuiesceTaskExecutor(shutdown, "async");
    }

    /**
     * Boot's {@code taskScheduler} when scheduling is enabled ({@code @EnableScheduling}), so {@code @Scheduled}
     * methods run on it: each schedule in a virtual thread of the shutdown's scope tree, under
     * {@code /<shutdown>/scheduled}; no new run starts once the drain begins. Off with
     * {@code quiesce.task-scheduler.enabled=false} (Boot's own scheduler then), or by defining a {@code TaskScheduler}.
     *
     * @param shutdown the shutdown
     * @return the scheduler
     */
    @Bean(name = "taskScheduler")
    @ConditionalOnBean(name = TaskManagementConfigUtils.SCHEDULED_ANNOTATION_PROCESSOR_BEAN_NAME)
    @ConditionalOnMissingBean({TaskScheduler.class, java.util.concurrent.ScheduledExecutorService.class})
    @ConditionalOnBooleanProperty(name = "quiesce.task-scheduler.enabled", matchIfMissing = true)
    public QuiesceTaskScheduler quiesceTaskScheduler(Shutdown shutdown) {
        return new QuiesceTaskScheduler(shutdown, "scheduled");
    }

    /**
     * Registers the hooks of {@link QuiesceHooks} beans and of {@link OnPersist}/{@link OnCleanup} methods.
     *
     * @param shutdown the shutdown, looked up when the first hook is registered
     * @return the registrar (a bean post-processor)
     */
    @Bean
    static BeanPostProcessor quiesceHookRegistrar(ObjectProvider<Shutdown> shutdown) {
        return new HookRegistrar(shutdown);
    }

    /**
     * Closes the context in the shutdown's cleanup phase.
     *
     * @param context this context
     * @return the closer
     */
    @Bean
    static Object quiesceContextCloser(ConfigurableApplicationContext context) {
        return new ContextCloser(context);
    }

    /**
     * Warns at startup when the main web server is one Quiesce does not drain ({@link WebServerDrainCheck}).
     *
     * @param shutdown the shutdown
     * @param context this context
     * @return the check (an application listener)
     */
    @Bean
    static Object quiesceWebServerDrainCheck(Shutdown shutdown, ConfigurableApplicationContext context) {
        return new WebServerDrainCheck(shutdown, context);
    }

    /** The builder's message with its setting names as the properties that set them. */
    static String propertyNames(String message) {
        String out = String.valueOf(message);
        String[] settings = {"preDrainDelay", "stopAcceptingBudget", "gracePeriod", "cancelGrace", "persistBudget",
            "cleanupBudget", "reloadTimeout"};
        for (String setting : settings) {
            out = out.replace(setting, "quiesce.shutdown." + setting.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT));
        }
        return out.replace("the platform budget (terminationGracePeriodSeconds)",
                "quiesce.shutdown.platform-budget (and terminationGracePeriodSeconds with it)");
    }

    /**
     * The ties between the shutdown and the context.
     *
     * @param shutdown the shutdown
     * @param context this context
     * @param properties the {@code quiesce.shutdown.*} properties
     * @param lifecycle Boot's {@code spring.lifecycle.*} properties, if bound
     * @param closer closes the context in the cleanup phase
     * @return the bridge
     */
    @Bean
    static Object quiesceSpringLifecycle(Shutdown shutdown, ConfigurableApplicationContext context,
            QuiesceProperties properties, ObjectProvider<LifecycleProperties> lifecycle,
            @Qualifier("quiesceContextCloser") Object closer) {
        return new QuiesceSpringLifecycle(shutdown, context, properties, lifecycle.getIfAvailable(),
                (ContextCloser) closer);
    }
}
