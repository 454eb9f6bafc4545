package dev.quiesce.internal;

import dev.quiesce.Scope;

/** Test access to engine state that neither the API nor {@link EngineScope} exposes. */
public final class EngineProbe {
    private EngineProbe() {}

    /** Whether a deadline timer of {@code scope} is still scheduled (close must cancel it). */
    public static boolean deadlineTimerPending(Scope<?, ?> scope) {
        return ((ScopeImpl<?, ?>) scope).deadlineTimerPending();
    }

    /** How many stragglers {@code scope} has logged (each is logged once). Owner thread only. */
    public static int stragglersLogged(Scope<?, ?> scope) {
        return ((ScopeImpl<?, ?>) scope).stragglersLogged();
    }
}
