package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WorkStealingQueueTest {

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void ownerPopsNewestThievesStealOldest() {
        WorkStealingQueue<Integer> q = new WorkStealingQueue<>(8);
        for (int i = 0; i < 5; i++) {
            q.push(i);
        }
        assertEquals(5, q.size());
        assertEquals(4, q.pop());
        assertEquals(0, q.steal());
        assertEquals(1, q.steal());
        assertEquals(3, q.pop());
        assertEquals(2, q.pop());
        assertNull(q.pop());
        assertNull(q.steal());
        assertTrue(q.isEmpty());
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void fullQueueRefusesInsteadOfDroppingOrGrowing() {
        WorkStealingQueue<Integer> q = new WorkStealingQueue<>(4);
        assertEquals(4, q.capacity());
        for (int i = 0; i < 4; i++) {
            assertTrue(q.offer(i));
        }
        assertFalse(q.offer(99));
        QueueFullException e = assertThrows(QueueFullException.class, () -> q.push(99));
        assertTrue(e.getMessage().contains("4"), e.getMessage());
        // a steal frees one slot, and the wrapped-around push lands after the others
        assertEquals(0, q.steal());
        q.push(4);
        assertEquals(4, q.pop());
        assertEquals(3, q.pop());
        assertEquals(1, q.steal());
        assertEquals(2, q.pop());
        assertNull(q.pop());
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void capacityRoundsUpToPowerOfTwoAndRejectsNonsense() {
        assertEquals(8, new WorkStealingQueue<>(5).capacity());
        assertEquals(2, new WorkStealingQueue<>(2).capacity());
        assertThrows(IllegalArgumentException.class, () -> new WorkStealingQueue<>(1));
        assertThrows(IllegalArgumentException.class, () -> new WorkStealingQueue<>(-4));
        assertThrows(NullPointerException.class, () -> new WorkStealingQueue<Integer>(4).push(null));
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void wrapsAroundManyTimes() {
        WorkStealingQueue<Integer> q = new WorkStealingQueue<>(4);
        int next = 0;
        int expectSteal = 0;
        for (int round = 0; round < 10_000; round++) {
            q.push(next++);
            q.push(next++);
            assertEquals(expectSteal, q.steal());
            assertEquals(next - 1, q.pop());
            expectSteal = next;
        }
        assertTrue(q.isEmpty());
    }

    /**
     * The owner pushes and pops at random while thieves steal; every item must come out exactly
     * once. A small capacity makes the indices wrap and the full case happen often; the
     * single-element race between pop and steal happens whenever the deque runs dry.
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void everyItemTakenExactlyOnceUnderConcurrentStealing() throws Exception {
        final int items = 2_000_000;
        final int thieves = 3;
        WorkStealingQueue<Integer> q = new WorkStealingQueue<>(64);
        AtomicIntegerArray taken = new AtomicIntegerArray(items);
        AtomicBoolean ownerDone = new AtomicBoolean();
        AtomicInteger stolen = new AtomicInteger();
        AtomicInteger lostRaces = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(thieves + 1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < thieves; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    int mine = 0;
                    int lost = 0;
                    while (true) {
                        Object o = q.steal();
                        if (o == WorkStealingQueue.LOST_RACE) {
                            lost++;
                        } else if (o != null) {
                            take(taken, (Integer) o);
                            mine++;
                        } else if (ownerDone.get() && q.isEmpty()) {
                            break;
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    stolen.addAndGet(mine);
                    lostRaces.addAndGet(lost);
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                }
            }, "wsq-thief-" + t);
            threads.add(th);
            th.start();
        }
        start.await();
        long seed = 42;
        int popped = 0;
        for (int next = 0; next < items; ) {
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            int r = (int) (seed >>> 60); // 0..15
            if (r < 10) {
                if (q.offer(next)) {
                    next++;
                } else {
                    Integer v = q.pop();
                    if (v != null) {
                        take(taken, v);
                        popped++;
                    }
                }
            } else {
                Integer v = q.pop();
                if (v != null) {
                    take(taken, v);
                    popped++;
                }
            }
        }
        for (Integer v = q.pop(); v != null; v = q.pop()) {
            take(taken, v);
            popped++;
        }
        ownerDone.set(true);
        for (Thread th : threads) {
            th.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(th.isAlive(), th.getName() + " did not finish");
        }
        if (error.get() != null) {
            throw new AssertionError("thief failed", error.get());
        }
        assertEquals(items, popped + stolen.get(), "items out (popped + stolen) must equal items in");
        for (int i = 0; i < items; i++) {
            assertEquals(1, taken.get(i), "item " + i + " taken " + taken.get(i) + " times");
        }
        assertTrue(stolen.get() > 0, "thieves stole nothing: the test did not exercise concurrency");
    }

    private static void take(AtomicIntegerArray taken, int v) {
        if (taken.incrementAndGet(v) != 1) {
            throw new AssertionError("item " + v + " taken twice");
        }
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stealOfLastItemRacingPopGivesItToOneSide() throws Exception {
        // many rounds of exactly one item with the owner popping and a thief stealing at once
        WorkStealingQueue<Integer> q = new WorkStealingQueue<>(2);
        final int rounds = 100_000;
        AtomicInteger round = new AtomicInteger(-1);
        AtomicInteger thiefGot = new AtomicInteger();
        AtomicIntegerArray seen = new AtomicIntegerArray(rounds);
        Thread thief = new Thread(() -> {
            int last = -1;
            while (last < rounds - 1) {
                int r = round.get();
                if (r == last) {
                    Thread.onSpinWait();
                    continue;
                }
                last = r;
                Object o = q.steal();
                if (o instanceof Integer v) {
                    seen.incrementAndGet(v);
                    thiefGot.incrementAndGet();
                }
            }
        });
        thief.start();
        for (int r = 0; r < rounds; r++) {
            q.push(r);
            round.set(r);
            Integer v = q.pop();
            if (v != null) {
                seen.incrementAndGet(v);
            }
            while (!q.isEmpty()) {
                Thread.onSpinWait(); // the thief holds it, or it is in flight
            }
        }
        thief.join(5000);
        assertFalse(thief.isAlive());
        for (int r = 0; r < rounds; r++) {
            assertEquals(1, seen.get(r), "round " + r);
        }
        assertSame(null, q.pop());
    }
}
