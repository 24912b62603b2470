package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The clock test every spin-then-park loop shares, on made-up timestamps (no sleeps). */
class SpinTest {
    @Test
    void keepsSpinningWithinTheLimitAndWithoutAGap() {
        long now = System.nanoTime();
        long next = Spin.check(null, now, 1_000_000_000L, now);
        assertNotEquals(Spin.STOP, next);
        assertTrue(next - now >= 0 && next - now < Spin.PREEMPTION_GAP_NANOS * 200, "the time now: " + (next - now));
    }

    @Test
    void stopsOnceTheLimitHasPassed() {
        long now = System.nanoTime();
        // a recent last look (no gap), but a start longer ago than the limit
        assertEquals(Spin.STOP, Spin.check(null, now - 2_000_000, 1_000_000, now));
        // no limit: never stops for time
        assertNotEquals(Spin.STOP, Spin.check(null, now - 2_000_000_000L, Long.MAX_VALUE, System.nanoTime()));
    }

    @Test
    void aGapInTheClockStopsTheSpinAndMarksThePoolCongested() {
        try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(1).build())) {
            long before = System.nanoTime();
            long lastLook = before - 10 * Spin.PREEMPTION_GAP_NANOS;
            assertEquals(Spin.STOP, Spin.check(pool, lastLook, Long.MAX_VALUE, lastLook));
            // congested from the check's own clock reading (at or after 'before') on, however late we look
            assertTrue(pool.isCongested(before), "a preempted spinner marks the pool congested");
        }
        long now = System.nanoTime();
        assertEquals(Spin.STOP, Spin.check(null, now, Long.MAX_VALUE, now - 10 * Spin.PREEMPTION_GAP_NANOS),
                "without a pool: stops all the same");
    }
}
