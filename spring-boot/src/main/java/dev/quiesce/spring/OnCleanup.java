package dev.quiesce.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a bean method without arguments as a resource of the shutdown's cleanup phase ({@code Shutdown#onCleanup}):
 * it runs before the application context closes (which is the last resource), in reverse order of the beans'
 * initialization, each within its share of the cleanup budget. Registered when the bean is initialized, named
 * {@code beanName.methodName}.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OnCleanup {}
