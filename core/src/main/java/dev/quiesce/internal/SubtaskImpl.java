package dev.quiesce.internal;

import dev.quiesce.CancelledException;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.nio.channels.AsynchronousCloseException;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;

/**
 * A forked task and the thread that runs it. It is its thread's {@link Runnable} and also its
 * thread's {@link Thread.UncaughtExceptionHandler}: that handler slot is how a thread finds the
 * subtask it runs (see {@link #current()}) without a {@code ThreadLocal}, whose map would cost more
 * than the whole rest of a subtask's bookkeeping. Uncaught exceptions cannot reach it (the task is
 * run inside a catch-all), so it forwards any to the handler the thread had before.
 */
public final class SubtaskImpl<T> implements Subtask<T>, Runnable, Thread.UncaughtExceptionHandler {

    // state values
    private static final int UNAVAILABLE = 0;
    private static final int SUCCESS = 1;
    private static final int FAILED = 2;
    private static final int CANCELLED = 3;

    // interruptState bits: guard the thread's cancellation interrupt against Shield regions and make it
    // happen once, whichever of the threads that walk a cancellation (canceller, helping owners,
    // Subtask.cancel) gets there first
    private static final int SHIELDED = 1; // inside a shield region
    private static final int CANCEL_REQUESTED = 2; // a cancellation reached this subtask (set once, never cleared)
    private static final int PENDING = 4; // ... while shielded: interrupt when the region ends
    private static final int INTERRUPTING = 8; // a canceller is between its CAS and interrupt()

    private static final VarHandle STATE;
    private static final VarHandle INTERRUPT_STATE;
    private static final VarHandle CANCEL_CALLED;

    static {
        try {
            var lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(SubtaskImpl.class, "state", int.class);
            INTERRUPT_STATE = lookup.findVarHandle(SubtaskImpl.class, "interruptState", int.class);
            CANCEL_CALLED = lookup.findVarHandle(SubtaskImpl.class, "cancelRequested", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ScopeImpl<?, ?> scope;
    // A Callable, or the Runnable given to fork(Runnable) (runnable): run as it is, not wrapped in a Callable,
    // which would cost an object per fork and a frame in every parked task's stack. Cleared when run.
    private Object task;
    private final boolean runnable;
    private Object[] context; // captured by the scope's ForkContext on the forking thread, or null; cleared when run
    volatile Thread thread;
    private Thread.UncaughtExceptionHandler previousHandler;
    private Object outcome; // result or exception, published by the volatile write of state
    private volatile int state;
    private volatile int interruptState;
    private volatile boolean cancelRequested;
    // run() saw cancelRequested and ended CANCELLED for it: written before, read after, the volatile state
    private boolean cancelledOnRequest;
    // 0 = never interrupted by a cancellation; published by the volatile/release writes of interruptState
    private long interruptedAtNanos;
    int openedScopes; // scopes this subtask's thread has open; touched only by that thread
    LiveSubtasks.Chunk chunk; // where the scope keeps it while it runs: written before a volatile slot write
    int slot;

    SubtaskImpl(ScopeImpl<?, ?> scope, Callable<? extends T> task, Object[] context) {
        this(scope, task, false, context);
    }

    /** A subtask of {@code task}: a {@code Runnable} if {@code runnable}, else a {@code Callable}. */
    SubtaskImpl(ScopeImpl<?, ?> scope, Object task, boolean runnable, Object[] context) {
        this.scope = scope;
        this.task = task;
        this.runnable = runnable;
        this.context = context;
    }

    /** Runs {@code task} (a {@code Runnable} if {@code runnable}, else a {@code Callable}); its result. */
    @SuppressWarnings("unchecked")
    static <V> V invoke(Object task, boolean runnable) throws Exception {
        if (runnable) {
            ((Runnable) task).run();
            return null;
        }
        return ((Callable<V>) task).call();
    }

    /** The subtask the current thread runs, or {@code null}. */
    public static SubtaskImpl<?> current() {
        Thread me = Thread.currentThread();
        if (me.getUncaughtExceptionHandler() instanceof SubtaskImpl<?> s && s.thread == me) {
            return s;
        }
        return null;
    }

    void bind(Thread t) {
        Thread.UncaughtExceptionHandler prev = t.getUncaughtExceptionHandler();
        // a thread without its own handler reports its ThreadGroup; only keep a handler set on purpose
        this.previousHandler = (prev == t.getThreadGroup()) ? null : prev;
        t.setUncaughtExceptionHandler(this);
        this.thread = t;
    }

    /** Tells a service task that it will never run (its scope was cancelled before its thread started). */
    private static void notRun(EngineScope.ServiceTask<?> service) {
        try {
            service.notRun();
        } catch (RuntimeException | Error e) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e);
        }
    }

    @Override
    public void run() {
        try {
            Object c = task;
            Object[] ctx = context;
            task = null;
            context = null;
            if (cancelRequested || scope.isCancelled()) {
                cancelledOnRequest = cancelRequested;
                if (c instanceof EngineScope.ServiceTask<?> service) {
                    notRun(service); // before the subtask ends: the scope's join waits for it
                }
                finish(CANCELLED, null);
                return;
            }
            T result;
            try {
                result = ctx == null ? invoke(c, runnable) : scope.context.call(ctx, c, runnable, scope.path());
            } catch (Throwable t) {
                if ((cancelRequested || scope.isCancelled()) && causedByCancellation(t)) {
                    cancelledOnRequest = cancelRequested;
                    finish(CANCELLED, t);
                } else {
                    scope.recordFailure(t);
                    finish(FAILED, t);
                }
                return;
            }
            finish(SUCCESS, result);
        } finally {
            if (openedScopes > 0) {
                CurrentScope.closeLeakedScopes(this);
            }
            scope.subtaskDone(this);
        }
    }

    private void finish(int newState, Object value) {
        outcome = value;
        STATE.setVolatile(this, newState);
        if (newState != CANCELLED) {
            scope.onSubtaskComplete(this);
        }
    }

    /** Marks a subtask that was forked into a cancelled scope, and never started, as cancelled. */
    void cancelUnstarted() {
        task = null;
        context = null;
        STATE.setVolatile(this, CANCELLED);
    }

    /**
     * Whether {@code t} (or a cause) is how blocking code reports an interrupt or a cancellation, so that
     * a task that ends with it after cancellation counts as cancelled rather than failed.
     */
    static boolean causedByCancellation(Throwable t) {
        Throwable c = t;
        for (int depth = 0; c != null && depth < 32; depth++) {
            if (c instanceof InterruptedException
                    || (c instanceof InterruptedIOException && !(c instanceof SocketTimeoutException))
                    || c instanceof AsynchronousCloseException // includes ClosedByInterruptException
                    || c instanceof CancelledException
                    || c instanceof CancellationException
                    // a virtual thread interrupted in a blocking socket read/write: the JDK closes the socket
                    // and throws SocketException("Closed by interrupt")
                    || (c instanceof java.net.SocketException && "Closed by interrupt".equals(c.getMessage()))) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
            c = c.getCause();
        }
        return false;
    }

    /**
     * Interrupts the thread for a cancellation, once: unless it is inside a {@code Shield} region, in
     * which case the interrupt is left pending for the end of the region. Callable from any thread; a
     * second call, from any thread, does nothing.
     *
     * @param atNanos when the cancellation happened (Clocks.nanoTime), for straggler reports: the scope's
     *     cancellation time rather than a clock read per thread on the interrupt path
     * @return whether this call is the one that interrupted the thread (or left the interrupt pending)
     */
    boolean interruptForCancel(long atNanos) {
        Thread t = thread;
        if (t == null) {
            return false;
        }
        for (;;) {
            int s = interruptState;
            if ((s & CANCEL_REQUESTED) != 0) {
                return false;
            }
            if ((s & SHIELDED) != 0) {
                if (INTERRUPT_STATE.compareAndSet(this, s, s | CANCEL_REQUESTED | PENDING)) {
                    return true;
                }
            } else if (INTERRUPT_STATE.compareAndSet(this, s, CANCEL_REQUESTED | INTERRUPTING)) {
                interruptedAtNanos = atNanos;
                try {
                    t.interrupt();
                } finally {
                    // release suffices: enterShield waits for it, and whoever reads it also sees the interrupt
                    INTERRUPT_STATE.setRelease(this, CANCEL_REQUESTED);
                }
                return true;
            }
        }
    }

    /** Called by the subtask's own thread entering its outermost shield region. */
    void enterShield() {
        for (;;) {
            int s = interruptState;
            if ((s & INTERRUPTING) != 0) {
                Thread.onSpinWait(); // a canceller is between its CAS and interrupt()
            } else if (INTERRUPT_STATE.compareAndSet(this, s, s | SHIELDED)) {
                return;
            }
        }
    }

    /**
     * Called by the subtask's own thread leaving its outermost shield region.
     *
     * @return whether a cancellation interrupt arrived during the region and must now be delivered
     */
    boolean exitShield() {
        for (;;) {
            int s = interruptState;
            boolean pending = (s & PENDING) != 0; // only this thread clears it
            if (pending) {
                interruptedAtNanos = Clocks.nanoTime(); // published by the CAS
            }
            if (INTERRUPT_STATE.compareAndSet(this, s, s & CANCEL_REQUESTED)) {
                return pending;
            }
        }
    }

    boolean isShielded() {
        return (interruptState & SHIELDED) != 0;
    }

    long interruptedAtNanos() {
        return (interruptState & CANCEL_REQUESTED) == 0 ? 0 : interruptedAtNanos;
    }

    @Override
    public State state() {
        return switch (state) {
            case SUCCESS -> State.SUCCESS;
            case FAILED -> State.FAILED;
            case CANCELLED -> State.CANCELLED;
            default -> State.UNAVAILABLE;
        };
    }

    @Override
    @SuppressWarnings("unchecked")
    public T get() {
        int s = state;
        if (s != SUCCESS) {
            throw new IllegalStateException("subtask in " + scope.path() + " is " + state()
                    + ", not SUCCESS: call get() only after join() and only on a successful subtask (check state())");
        }
        return (T) outcome;
    }

    @Override
    public Throwable exception() {
        int s = state;
        if (s != FAILED) {
            throw new IllegalStateException("subtask in " + scope.path() + " is " + state()
                    + ", not FAILED: call exception() only on a failed subtask (check state())");
        }
        return (Throwable) outcome;
    }

    @Override
    public boolean cancel() {
        if (!CANCEL_CALLED.compareAndSet(this, false, true)) {
            return false;
        }
        if (state != UNAVAILABLE) {
            // It completed, unless it is this call that made it end: the request is seen by run() between this
            // method's flag and its read of the state (jcstress SubtaskCancelVsCompletion)
            return cancelledOnRequest;
        }
        interruptForCancel(Clocks.nanoTime());
        return true;
    }

    @Override
    public Scope<?, ?> scope() {
        return scope;
    }

    @Override
    public void uncaughtException(Thread t, Throwable e) {
        Thread.UncaughtExceptionHandler h = previousHandler;
        if (h == null) {
            h = Thread.getDefaultUncaughtExceptionHandler();
        }
        if (h == null) {
            h = t.getThreadGroup();
        }
        if (h != null) {
            h.uncaughtException(t, e);
        }
    }

    @Override
    public String toString() {
        Thread t = thread;
        return "Subtask[" + scope.path() + ", " + (t == null ? "no thread" : t.getName() + "#" + t.threadId())
                + ", " + state() + "]";
    }
}
