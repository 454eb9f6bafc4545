package dev.quiesce;

import java.io.Serial;

/**
 * Thrown when scopes are not used in a nested, last-opened-first-closed structure: for example when
 * a thread closes a scope while a scope it opened later, inside it, is still open. The message says
 * which scope must be closed first. The JDK has a class of the same name, but only as a preview API,
 * which Quiesce does not use.
 */
public class StructureViolationException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that tells the caller what to do instead. */
    public StructureViolationException(String message) {
        super(message);
    }
}
