package dev.quiesce.internal;

/**
 * A joiner that belongs to one scope only, as every built-in joiner does: {@code ScopeImpl.open} claims
 * it, and refuses a joiner that another scope has claimed already.
 */
public interface OneScopeJoiner {

    /**
     * Claims this joiner for the scope at {@code scopePath}.
     *
     * @return {@code null} if this call claimed it, else the path of the scope that had claimed it
     */
    String claim(String scopePath);
}
