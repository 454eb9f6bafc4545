package dev.quiesce.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method as a state hook of the shutdown's persist phase ({@code Shutdown#onPersist}): it runs after
 * the drain, before the application context closes, with the beans still alive. The method takes no argument or one
 * {@link java.time.Duration}, its budget. Registered when the bean is initialized, named
 * {@code beanName.methodName}. As with {@code onPersist}, it is skipped if the service never became ready.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OnPersist {}
