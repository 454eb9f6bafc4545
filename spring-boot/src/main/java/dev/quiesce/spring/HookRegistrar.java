package dev.quiesce.spring;

import dev.quiesce.shutdown.Shutdown;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ReflectionUtils;

/**
 * Registers the hooks of {@link QuiesceHooks} beans and of {@link OnPersist}/{@link OnCleanup} methods with the
 * shutdown, as each bean is initialized.
 */
final class HookRegistrar implements BeanPostProcessor {
    private final ObjectProvider<Shutdown> shutdown;

    HookRegistrar(ObjectProvider<Shutdown> shutdown) {
        this.shutdown = shutdown;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof Shutdown) {
            return bean;
        }
        Class<?> type = AopUtils.getTargetClass(bean);
        if (bean instanceof QuiesceHooks hooks) {
            if (overrides(type, "persist", Duration.class)) {
                shutdown.getObject().onPersist(beanName, hooks::persist);
            }
            if (overrides(type, "cleanup")) {
                shutdown.getObject().onCleanup(beanName, hooks::cleanup);
            }
        }
        ReflectionUtils.doWithMethods(type, method -> register(bean, beanName, method),
                method -> method.isAnnotationPresent(OnPersist.class) || method.isAnnotationPresent(OnCleanup.class));
        return bean;
    }

    private void register(Object bean, String beanName, Method method) {
        String name = beanName + "." + method.getName();
        ReflectionUtils.makeAccessible(method);
        if (method.isAnnotationPresent(OnPersist.class)) {
            if (method.getParameterCount() == 1 && method.getParameterTypes()[0] == Duration.class) {
                shutdown.getObject().onPersist(name, budget -> invoke(method, bean, budget));
            } else if (method.getParameterCount() == 0) {
                shutdown.getObject().onPersist(name, budget -> invoke(method, bean));
            } else {
                throw new IllegalStateException("@OnPersist method " + type(method) + " must take no argument or one "
                        + "java.time.Duration (its budget)");
            }
        }
        if (method.isAnnotationPresent(OnCleanup.class)) {
            if (method.getParameterCount() != 0) {
                throw new IllegalStateException("@OnCleanup method " + type(method) + " must take no argument");
            }
            shutdown.getObject().onCleanup(name, () -> invoke(method, bean));
        }
    }

    private static String type(Method method) {
        return method.getDeclaringClass().getName() + "." + method.getName();
    }

    private static void invoke(Method method, Object bean, Object... args) throws Exception {
        try {
            method.invoke(bean, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static boolean overrides(Class<?> type, String name, Class<?>... parameters) {
        Method m = ReflectionUtils.findMethod(type, name, parameters);
        return m != null && m.getDeclaringClass() != QuiesceHooks.class;
    }
}
