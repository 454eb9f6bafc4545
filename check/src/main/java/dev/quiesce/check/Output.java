package dev.quiesce.check;

import java.io.PrintStream;

/** The checker's report on standard output, with its count of problems. Not thread-safe. */
final class Output {
    private final PrintStream out;
    private int problems;
    private int warnings;

    Output(PrintStream out) {
        this.out = out;
    }

    void line(String s) {
        out.println(s);
    }

    /** Something to change: the check exits 1. The message says what to change. */
    void problem(String s) {
        problems++;
        out.println("    PROBLEM: " + s);
    }

    /** Something the checker could not judge, or that may be wrong: it does not change the exit code. */
    void warning(String s) {
        warnings++;
        out.println("    warning: " + s);
    }

    void note(String s) {
        out.println("    note: " + s);
    }

    int problems() {
        return problems;
    }

    int warnings() {
        return warnings;
    }
}
