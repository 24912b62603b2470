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
     * tile only when the OS gets round to it (128³ on 2 workers: 30 or 52-59 µs from one fork to the next
     * when parking, 28.5-29.5 µs with the spin).
     */
    static final long OUTSIDE_CALLER_SPIN_NANOS = 100_000;

    private Spin() {
    }

    /** Whether the spinning thread was descheduled between {@code last} and {@code now}. */
    static boolean wasPreempted(long last, long now) {
        return now - last > PREEMPTION_GAP_NANOS;
    }
}
