package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link TileLoop}: every tile exactly once per run, run after run, from outside and inside the pool. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TileLoopTest {
    private ThreadPool pool;

    @BeforeEach
    void setUp() {
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(3).build());
    }

    @AfterEach
    void tearDown() {
        pool.close();
    }

    /** Counts how often each tile ran and on how many distinct threads. */
    private static class CountingLoop extends TileLoop {
        AtomicIntegerArray runs;
        volatile int failAt = -1;

        CountingLoop(ThreadPool pool) {
            super(pool);
        }

        @Override
        protected void runTile(int tile, int tiles) {
            assertEquals(runs.length(), tiles);
            if (tile == failAt) {
                throw new IllegalArgumentException("tile " + tile + " fails");
            }
            runs.incrementAndGet(tile);
        }

        void runCounting(int tiles) {
            runs = new AtomicIntegerArray(tiles);
            run(tiles);
            for (int t = 0; t < tiles; t++) {
                assertEquals(1, runs.get(t), "tile " + t + " of " + tiles);
            }
        }
    }

    @Test
    void everyTileRunsOnceRunAfterRun() {
        CountingLoop loop = new CountingLoop(pool);
        // fewer tiles than workers (the caller works), as many, more (left to the workers)
        for (int round = 0; round < 200; round++) {
            for (int tiles : new int[]{1, 2, 3, 4, 15, 17, 255}) {
                loop.runCounting(tiles);
            }
        }
        loop.run(0); // nothing to do, nothing done
    }

    @Test
    void nestedRunFromAWorkerCompletes() throws Exception {
        CountingLoop inner = new CountingLoop(pool);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        WorkItem item = pool.submit(() -> {
            try {
                for (int round = 0; round < 100; round++) {
                    inner.runCounting(1 + round % 20);
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        item.await();
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    @Test
    void loopsOfDifferentCallersRunSideBySide() throws Exception {
        int callers = 4;
        CountDownLatch done = new CountDownLatch(callers);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int c = 0; c < callers; c++) {
            Thread.ofPlatform().start(() -> {
                try {
                    CountingLoop loop = new CountingLoop(pool);
                    for (int round = 0; round < 300; round++) {
                        loop.runCounting(1 + round % 13);
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(50, TimeUnit.SECONDS));
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    @Test
    void aFailingTileIsRethrownAndTheLoopStaysUsable() {
        CountingLoop loop = new CountingLoop(pool);
        for (int tiles : new int[]{1, 2, 50}) {
            loop.failAt = tiles - 1;
            loop.runs = new AtomicIntegerArray(tiles);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> loop.run(tiles));
            assertEquals("tile " + (tiles - 1) + " fails", e.getMessage());
            loop.failAt = -1;
            loop.runCounting(tiles);
        }
    }

    @Test
    void anErrorComesBackAsItWas() {
        StackOverflowError error = new StackOverflowError("deep");
        TileLoop loop = new TileLoop(pool) {
            @Override
            protected void runTile(int tile, int tiles) {
                if (tile == 7) {
                    throw error;
                }
            }
        };
        assertSame(error, assertThrows(StackOverflowError.class, () -> loop.run(20)));
    }

    @Test
    void anInterruptDoesNotCutTheWaitShortAndIsKept() {
        CountingLoop loop = new CountingLoop(pool) {
            @Override
            protected void runTile(int tile, int tiles) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                super.runTile(tile, tiles);
            }
        };
        Thread.currentThread().interrupt();
        try {
            loop.runCounting(30);
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aClosedPoolRefusesTheRunButNotAnInlineOne() {
        CountingLoop loop = new CountingLoop(pool);
        pool.close();
        assertThrows(IllegalStateException.class, () -> loop.run(10));
        loop.runCounting(1); // one tile needs no helper: it runs on the caller
    }

    @Test
    void busyWorkersDoNotStallTheRun() throws Exception {
        CountDownLatch release = blockEveryWorker(pool);
        try {
            CountingLoop loop = new CountingLoop(pool);
            long t0 = System.nanoTime();
            loop.runCounting(40); // more tiles than workers: left to them, until none has started
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        } finally {
            release.countDown();
        }
    }

    @Test
    void fullQueuesMakeTheCallerDoTheWork() throws Exception {
        pool.close();
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).queueCapacity(2).build());
        CountDownLatch release = blockEveryWorker(pool);
        try {
            int queued = 0;
            try {
                while (queued < 100) {
                    pool.submit(() -> { });
                    queued++;
                }
            } catch (QueueFullException expected) {
                // every inbox is full now
            }
            assertTrue(queued < 100, "the queues never filled");
            CountingLoop loop = new CountingLoop(pool);
            loop.runCounting(3);
            loop.runCounting(40);
        } finally {
            release.countDown();
        }
    }

    @Test
    void closeNowDuringARunLeavesNoTileUndone() throws Exception {
        for (int round = 0; round < 5; round++) {
            ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
            CountDownLatch release = blockEveryWorker(p);
            CountingLoop loop = new CountingLoop(p);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    loop.runCounting(40); // helpers queued behind the blocked tasks
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            Thread.sleep(round % 2); // the run's helpers queued behind the blocked tasks, mostly
            Thread closer = Thread.ofPlatform().start(p::closeNow); // cancels what is still queued
            Thread.sleep(round / 2); // before and after the caller gives up on the workers (1 ms)
            release.countDown();
            caller.join(TimeUnit.SECONDS.toMillis(20));
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!caller.isAlive() && !closer.isAlive(), "round " + round + " did not finish");
            // a close that beats the run's first submit refuses it, as it refuses any submit; a run
            // that got going finishes every tile
            Throwable f = failed.get();
            if (f != null && !(f instanceof IllegalStateException && f.getMessage().contains("closed"))) {
                throw new AssertionError("round " + round, f);
            }
        }
    }

    @Test
    void idleWorkersDoNotSpinWhileCallersWorkingOnTilesFillTheCpus() throws Exception {
        pool.close();
        // spinning for up to 30 s after each task, unless the CPUs are taken
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).spinTime(java.time.Duration.ofSeconds(30)).build());
        int cpus = Runtime.getRuntime().availableProcessors();
        pool.submit(() -> { }).await(); // wakes a worker, which then spins
        pool.outsideWorkers.addAndGet(cpus); // as many callers working on tiles as there are CPUs
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (pool.spinning.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(0, pool.spinning.get(), "a worker kept spinning on a full machine");
            pool.submit(() -> { }).await(); // and a parked worker still takes new work
        } finally {
            pool.outsideWorkers.addAndGet(-cpus);
        }
    }

    /** Occupies every worker of {@code p} with a task that waits for the returned latch. */
    private static CountDownLatch blockEveryWorker(ThreadPool p) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(p.size());
        for (int i = 0; i < p.size(); i++) {
            p.submit(() -> {
                started.countDown();
                awaitQuietly(release);
            });
        }
        assertTrue(started.await(10, TimeUnit.SECONDS));
        return release;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void dispatchAllocatesNothingInSteadyState() {
        AtomicIntegerArray counts = new AtomicIntegerArray(12);
        TileLoop loop = new TileLoop(pool) {
            @Override
            protected void runTile(int tile, int tiles) {
                counts.incrementAndGet(tile);
            }
        };
        for (int i = 0; i < 20_000; i++) {
            loop.run(i % 2 == 0 ? 12 : 2); // handed to the workers, and shared with the caller
        }
        AllocationMeter meter = new AllocationMeter();
        long before = meter.allocated();
        int runs = 5_000;
        for (int i = 0; i < runs; i++) {
            loop.run(i % 2 == 0 ? 12 : 2);
        }
        long bytes = meter.allocated() - before;
        // a parked worker or caller may allocate a waiter node now and then, never once per run
        assertTrue(bytes < runs * 8L, bytes + " bytes allocated over " + runs + " runs");
        assertEquals(10_000 + 2_500, counts.get(11)); // tile 11 exists only in the runs of 12
    }
}
