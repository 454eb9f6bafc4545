/**
 * Spring Boot 4 auto-configuration for Quiesce: the {@code Shutdown} bean owns the signals, the shutdown budget is
 * checked at startup, readiness follows Boot's {@code ApplicationAvailability}, and the embedded web server drains
 * as a Quiesce {@code Ingress}.
 */
package dev.quiesce.spring;
