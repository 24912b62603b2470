package io.numarrow.threading;

/** Busy-wait policy shared by idle workers and waiting threads. */
final class Spin {
    /**
     * A gap this long between two looks at the clock, a few loop turns apart, means the OS ran
     * another thread on our CPU meanwhile: far above the microsecond or so those turns take,
     * below a scheduler time slice.
     */
    static final long PREEMPTION_GAP_NANOS = 50_000;

    private Spin() {
    }

    /** Whether the spinning thread was descheduled between {@code last} and {@code now}. */
    static boolean wasPreempted(long last, long now) {
        return now - last > PREEMPTION_GAP_NANOS;
    }
}
