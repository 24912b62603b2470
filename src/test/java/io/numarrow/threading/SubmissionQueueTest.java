package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SubmissionQueueTest {

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void fifoAndBounded() {
        SubmissionQueue<Integer> q = new SubmissionQueue<>(4);
        for (int i = 0; i < 4; i++) {
            assertTrue(q.offer(i));
        }
        assertFalse(q.offer(4), "a full inbox must refuse, not drop or grow");
        assertEquals(4, q.size());
        assertEquals(0, q.poll());
        assertTrue(q.offer(4));
        for (int i = 1; i <= 4; i++) {
            assertEquals(i, q.poll());
        }
        assertNull(q.poll());
        assertTrue(q.isEmpty());
    }

    /** Producers and consumers at once: every item comes out exactly once. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void manyProducersManyConsumersExactlyOnce() throws Exception {
        final int producers = 3;
        final int perProducer = 300_000;
        final int consumers = 3;
        final int total = producers * perProducer;
        SubmissionQueue<Integer> q = new SubmissionQueue<>(128);
        AtomicIntegerArray taken = new AtomicIntegerArray(total);
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicReference<Throwable> error = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            threads.add(new Thread(() -> {
                for (int i = 0; i < perProducer; i++) {
                    while (!q.offer(base + i)) {
                        Thread.onSpinWait();
                    }
                }
            }));
        }
        List<Thread> consumerThreads = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            consumerThreads.add(new Thread(() -> {
                try {
                    while (true) {
                        Integer v = q.poll();
                        if (v != null) {
                            if (taken.incrementAndGet(v) != 1) {
                                throw new AssertionError("item " + v + " taken twice");
                            }
                        } else if (!producing.get() && q.isEmpty()) {
                            return;
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                }
            }));
        }
        consumerThreads.forEach(Thread::start);
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive());
        }
        producing.set(false);
        for (Thread t : consumerThreads) {
            t.join(60_000);
            assertFalse(t.isAlive());
        }
        if (error.get() != null) {
            throw new AssertionError(error.get());
        }
        for (int i = 0; i < total; i++) {
            assertEquals(1, taken.get(i), "item " + i);
        }
    }
}
