package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The engine's surface: outside the package it is reached only through {@link Scope} and {@link EngineScope}. */
class EngineScopeTest {

    @Test
    void scopeImpl_isNotPublic_soTheShutdownAndHttpReachItOnlyThroughEngineScope() {
        assertThat(Modifier.isPublic(ScopeImpl.class.getModifiers())).isFalse();
    }

    @Test
    void scopeImpl_hasNoPublicMethodBeyondItsInterfaces() {
        Set<String> declared = publicMethods(ScopeImpl.class.getDeclaredMethods());
        Set<String> interfaces = publicMethods(EngineScope.class.getMethods());
        interfaces.addAll(publicMethods(Object.class.getMethods()));
        assertThat(declared).isSubsetOf(interfaces);
    }

    @Test
    void everyScope_isAnEngineScope() throws Exception {
        try (Scope<Object, Void> scope = Scope.open(Joiner.awaitAll())) {
            assertThat(scope).isInstanceOf(EngineScope.class);
            assertThat(((EngineScope<Object, Void>) scope).runningCount()).isZero();
            scope.join();
        }
    }

    private static Set<String> publicMethods(Method[] methods) {
        return Arrays.stream(methods)
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge())
                .map(m -> m.getName() + Arrays.toString(m.getParameterTypes()))
                .collect(Collectors.toCollection(HashSet::new));
    }
}
