/**
 * HTTP draining for the JDK's built-in {@code com.sun.net.httpserver} server:
 * {@link dev.quiesce.http.DrainingHttpServer} runs each exchange in a virtual thread of the
 * shutdown's tree, counts it, serves readiness and liveness endpoints and closes connections
 * politely while draining. Needs module {@code jdk.httpserver}.
 */
package dev.quiesce.http;
