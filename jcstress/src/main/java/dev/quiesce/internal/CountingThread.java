package dev.quiesce.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread that is never started and counts the calls of {@link #interrupt()}: the stand-in for a subtask
 * thread in the tests that drive {@link LiveSubtasks} and {@link SubtaskImpl}'s interrupt protocol directly.
 * {@link #ended} marks the moment the subtask's task is over (set just before it is removed from the list),
 * so a walk that interrupts it later can be told apart.
 */
final class CountingThread extends Thread {
    final AtomicInteger interrupts = new AtomicInteger();
    final AtomicInteger afterEnd = new AtomicInteger();
    volatile boolean ended;

    CountingThread() {
        super(() -> {});
    }

    @Override
    public void interrupt() {
        interrupts.incrementAndGet();
        if (ended) {
            afterEnd.incrementAndGet();
        }
    }

    /** A subtask of no scope, bound to a new counting thread (interruptForCancel only needs the thread). */
    static SubtaskImpl<Object> subtask() {
        var s = new SubtaskImpl<Object>(null, () -> null, null);
        s.bind(new CountingThread());
        return s;
    }

    static CountingThread of(SubtaskImpl<?> s) {
        return (CountingThread) s.thread;
    }
}
