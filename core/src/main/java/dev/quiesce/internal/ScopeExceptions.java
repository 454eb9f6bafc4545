package dev.quiesce.internal;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.DeadlineExceededException;
import dev.quiesce.FailedException;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The exceptions a scope reports its outcome with (DESIGN.md, scope engine point 7): cancelled, or past its
 * deadline, with the failures recorded so far suppressed; failed, with the first failure as the cause and
 * the others suppressed, none of them twice. Static and stateless.
 */
final class ScopeExceptions {

    private ScopeExceptions() {}

    /** What {@code Scope.throwIfCancelled()} throws for a scope at {@code path} cancelled for {@code r}. */
    static CancelledException cancelledNow(String path, CancelReason r) {
        return r.root() instanceof CancelReason.Deadline
                ? new DeadlineExceededException("scope " + path + " cancelled: " + r.describe(), r)
                : new CancelledException("scope " + path + " cancelled: " + r.describe(), r);
    }

    /** What {@code join()} throws for a scope at {@code path} cancelled for {@code r}, not by its joiner. */
    static CancelledException cancelled(String path, CancelReason r, Iterable<Throwable> failures) {
        CancelledException e = r.root() instanceof CancelReason.Deadline
                ? new DeadlineExceededException("scope " + path + " did not complete before its deadline: "
                        + r.describe(), r)
                : new CancelledException("scope " + path + " was cancelled: " + r.describe(), r);
        for (Throwable f : failures) {
            e.addSuppressed(f);
        }
        return e;
    }

    /** What {@code join()} throws when the joiner's result threw {@code first}. */
    static FailedException failed(String path, Throwable first, Iterable<Throwable> failures) {
        FailedException fe = first instanceof FailedException f
                ? f
                : new FailedException("a subtask of scope " + path + " failed: " + first, first);
        Set<Throwable> already = Collections.newSetFromMap(new IdentityHashMap<>());
        already.add(fe);
        already.add(fe.getCause() == null ? fe : fe.getCause());
        already.addAll(Arrays.asList(fe.getSuppressed()));
        for (Throwable f : failures) {
            if (already.add(f)) {
                fe.addSuppressed(f);
            }
        }
        return fe;
    }
}
