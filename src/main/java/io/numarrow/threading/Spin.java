package io.numarrow.threading;

/** Busy-wait policy shared by idle workers and waiting threads. */
final class Spin {
    /**
     * A gap this long between two looks at the clock, a few loop turns apart, means the OS ran
     * another thread on our CPU meanwhile: far above the microsecond or so those turns take,
     * below a scheduler time slice.
     */
    static final long PREEMPTION_GAP_NANOS = 50_000;
    /**
     * How long a caller from outside the pool that has done its share of a tiled call spins for the
     * other tiles before it parks: tiles are short (tens of µs), and a parked caller is woken by the last
     * tile only when the OS gets round to it, which made small calls' times bimodal from one JVM to the
     * next (figures: docs/performance.md, "Thread pool").
     */
    static final long OUTSIDE_CALLER_SPIN_NANOS = 100_000;

    private Spin() {
    }

    /** What {@link #check} returns when the spin should end (see there). */
    static final long STOP = Long.MIN_VALUE;

    /** Whether the spinning thread was descheduled between {@code last} and {@code now}. */
    private static boolean wasPreempted(long last, long now) {
        return now - last > PREEMPTION_GAP_NANOS;
    }

    /**
     * The test every spin-then-park loop makes every few turns: reads the clock and returns the time,
     * the loop's next {@code last}, or {@link #STOP} when the loop should park instead. It stops when
     * the OS ran another thread on our CPU since {@code last} (likely one we wait for: spinning would
     * only delay it; {@code pool}, unless null, is then marked congested so that others park at once
     * too), or when {@code limitNanos} have passed since {@code start}. Should {@code nanoTime} ever
     * read exactly {@code STOP}, one spin ends early, which is harmless.
     */
    static long check(ThreadPool pool, long start, long limitNanos, long last) {
        long now = System.nanoTime();
        if (wasPreempted(last, now)) {
            if (pool != null) {
                pool.markCongested(now);
            }
            return STOP;
        }
        return now - start > limitNanos ? STOP : now;
    }
}
