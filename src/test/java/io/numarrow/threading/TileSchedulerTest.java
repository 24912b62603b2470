package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TileSchedulerTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 17, 255, 1000})
    void everyRowExactlyOnce(int rows) {
        for (int threads : new int[]{1, 2, 3}) {
            try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build())) {
                AtomicIntegerArray seen = new AtomicIntegerArray(rows);
                TileScheduler.forEachRowTile(p, rows, 1 << 20, (s, e) -> {
                    assertTrue(s < e, "empty tile " + s + ".." + e);
                    for (int r = s; r < e; r++) {
                        seen.incrementAndGet(r);
                    }
                });
                for (int r = 0; r < rows; r++) {
                    assertEquals(1, seen.get(r), rows + " rows, " + threads + " threads, row " + r);
                }
            }
        }
    }

    @Test
    void smallProblemsRunInlineOnTheCaller() {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            Set<Integer> workers = ConcurrentHashMap.newKeySet();
            AtomicInteger calls = new AtomicInteger();
            TileScheduler.forEachRowTile(p, 100, 10, (s, e) -> {
                calls.incrementAndGet();
                workers.add(ThreadPool.currentWorkerIndex());
                assertEquals(0, s);
                assertEquals(100, e);
            });
            assertEquals(1, calls.get());
            assertEquals(Set.of(-1), workers);
            TileScheduler.forEachRowTile(p, 0, 1 << 20, (s, e) -> {
                throw new AssertionError("no rows, no calls");
            });
        }
    }

    @Test
    void aFailingTileFailsTheCallAfterTheOthersFinish() {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            IllegalStateException boom = new IllegalStateException("tile at row 500");
            AtomicInteger running = new AtomicInteger();
            RuntimeException e = assertThrows(RuntimeException.class, () ->
                    TileScheduler.forEachRowTile(p, 1000, 1 << 20, (s, end) -> {
                        running.incrementAndGet();
                        try {
                            ThreadPoolTest.sleepQuietly(2);
                            if (s <= 500 && 500 < end) {
                                throw boom;
                            }
                        } finally {
                            running.decrementAndGet();
                        }
                    }));
            assertSame(boom, e);
            assertEquals(0, running.get(), "a tile was still running when the call returned");
        }
    }

    @Test
    void nestedInsideATaskOnOneWorkerDoesNotDeadlock() throws Exception {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            AtomicIntegerArray seen = new AtomicIntegerArray(4 * 300);
            WorkItem[] outer = new WorkItem[4];
            for (int i = 0; i < 4; i++) {
                int base = i * 300;
                outer[i] = p.submit(() -> TileScheduler.forEachRowTile(p, 300, 1 << 20, (s, e) -> {
                    for (int r = s; r < e; r++) {
                        seen.incrementAndGet(base + r);
                    }
                }));
            }
            for (WorkItem w : outer) {
                w.await(Duration.ofSeconds(20));
            }
            for (int r = 0; r < seen.length(); r++) {
                assertEquals(1, seen.get(r), "row " + r);
            }
        }
    }
}
