package io.numarrow.cli;

import io.numarrow.BadInputException;

/**
 * The bounds of {@code --threads}: at least 1, at most {@value #PER_CPU} per CPU this process may use.
 * Unbounded, {@code --threads 100000} ran out of memory after 26 s of starting threads, and
 * {@code 2147483647} at once; more workers than that many per CPU never helps a CPU-bound kernel.
 */
final class ThreadCount {
    static final int PER_CPU = 64;

    private ThreadCount() {
    }

    /** {@code requested} (null: the default) when it lies in bounds; a bad-input error naming them otherwise. */
    static Integer check(Integer requested) {
        return check(requested, Runtime.getRuntime().availableProcessors());
    }

    static Integer check(Integer requested, int cpus) {
        if (requested == null) {
            return null;
        }
        if (requested < 1) {
            throw new BadInputException("--threads must be at least 1, was " + requested);
        }
        long max = (long) PER_CPU * Math.max(1, cpus);
        if (requested > max) {
            throw new BadInputException("--threads " + requested + " is too many: at most " + max + " (" + PER_CPU
                    + " per CPU; this process may use " + cpus + ")");
        }
        return requested;
    }
}
