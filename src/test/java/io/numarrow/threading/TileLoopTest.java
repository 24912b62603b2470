package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.numa.CpuTopology;
import java.time.Duration;
import java.util.List;
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
        volatile AtomicIntegerArray runs;
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
        // fewer tiles than workers, as many, more (the caller works in a worker's place in each)
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
        pool.outsideRuns.incrementAndGet(); // another caller's run in flight: ours is left to the workers
        try {
            CountingLoop loop = new CountingLoop(pool);
            long t0 = System.nanoTime();
            loop.runCounting(40); // more tiles than workers: left to them, until none has started
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        } finally {
            pool.outsideRuns.decrementAndGet();
            release.countDown();
        }
    }

    /** Records the thread of each tile; a worker's tile waits (up to 10 s) until the caller has run one. */
    private static final class CallerCheckingLoop extends TileLoop {
        final Thread caller = Thread.currentThread();
        final CountDownLatch callerRan = new CountDownLatch(1);
        final AtomicIntegerArray byCaller;

        CallerCheckingLoop(ThreadPool pool, int tiles) {
            super(pool);
            byCaller = new AtomicIntegerArray(tiles);
        }

        @Override
        protected void runTile(int tile, int tiles) {
            if (Thread.currentThread() == caller) {
                byCaller.set(tile, 1);
                callerRan.countDown();
            } else {
                try {
                    callerRan.await(10, TimeUnit.SECONDS); // returns either way: the test then fails on time
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        int tilesByCaller() {
            int n = 0;
            for (int t = 0; t < byCaller.length(); t++) {
                n += byCaller.get(t);
            }
            return n;
        }
    }

    @Test
    void anOutsideCallerAloneWorksInAWorkersPlaceInALargeRun() {
        int tiles = 4 * pool.size();
        CallerCheckingLoop loop = new CallerCheckingLoop(pool, tiles);
        long t0 = System.nanoTime();
        loop.run(tiles);
        // had the caller left the tiles to the workers, each worker's tile would wait out its 10 s
        assertTrue(loop.tilesByCaller() > 0, "the caller ran no tile of " + tiles);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "the workers waited for the caller");
        assertEquals(0, pool.outsideRuns.get());
        assertEquals(0, pool.outsideWorkers.get());
    }

    @Test
    void aPoolOverSeveralNodesKnowsItAndOneOverOneNodeToo() {
        assertTrue(pool.oneNode);
        CpuTopology twoNodes = new CpuTopology(2, 2, 2, 64, List.of(List.of(0), List.of(1)));
        try (ThreadPool spread = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).numaAware(true).build(), twoNodes)) {
            assertEquals(List.of(0, 1), spread.placements().stream().map(WorkerPlacement::node).toList());
            assertFalse(spread.oneNode);
            CountingLoop loop = new CountingLoop(spread);
            loop.runCounting(40); // left to the workers, every tile still once
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

    /** When {@code closeNow} comes, relative to a run whose helpers queue behind busy workers. */
    private enum CloseMoment {
        /** before the run: the run is refused, as any submit is */
        BEFORE_THE_RUN,
        /** once the run's helpers are queued and its caller waits for them: they are cancelled */
        HELPERS_QUEUED,
        /** once the caller has given up on the workers and runs tiles itself */
        CALLER_RUNNING_TILES
    }

    @Test
    void closeNowDuringARunLeavesNoTileUndone() throws Exception {
        for (int round = 0; round < 6; round++) {
            CloseMoment moment = CloseMoment.values()[round % CloseMoment.values().length];
            ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
            p.outsideRuns.incrementAndGet(); // another caller's run in flight: ours is left to the workers
            CountDownLatch release = blockEveryWorker(p);
            CountingLoop loop = new CountingLoop(p);
            loop.runs = new AtomicIntegerArray(40);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Runnable run = () -> {
                try {
                    loop.runCounting(40); // helpers queued behind the blocked tasks
                } catch (Throwable e) {
                    failed.set(e);
                }
            };
            Thread caller = null;
            Thread closer;
            if (moment == CloseMoment.BEFORE_THE_RUN) {
                closer = Thread.ofPlatform().start(p::closeNow); // returns once the blocked tasks end
                ThreadPoolTest.waitUntil(p::isClosed, () -> "closeNow did not start");
                caller = Thread.ofPlatform().start(run);
            } else {
                Thread started = Thread.ofPlatform().start(run);
                caller = started;
                if (moment == CloseMoment.HELPERS_QUEUED) {
                    // it parks only after queueing its helpers (and gives up on them 1 ms later)
                    ThreadPoolTest.waitUntil(() -> started.getState() == Thread.State.TIMED_WAITING
                            || tilesRun(loop) > 0, () -> "the caller never waited: " + started.getState());
                } else {
                    ThreadPoolTest.waitUntil(() -> tilesRun(loop) > 0, () -> "the caller ran no tile itself");
                }
                closer = Thread.ofPlatform().start(p::closeNow); // cancels what is still queued
                ThreadPoolTest.waitUntil(p::isClosed, () -> "closeNow did not start");
            }
            release.countDown();
            caller.join(TimeUnit.SECONDS.toMillis(20));
            closer.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!caller.isAlive() && !closer.isAlive(), "round " + round + " (" + moment + ") did not finish");
            Throwable f = failed.get();
            if (moment == CloseMoment.BEFORE_THE_RUN) {
                assertTrue(f instanceof IllegalStateException && f.getMessage().contains("closed"),
                        "a closed pool refuses the run: " + f);
            } else if (f != null) {
                // a run that got going finishes every tile (runCounting checks each ran once)
                throw new AssertionError("round " + round + " (" + moment + ")", f);
            }
        }
    }

    private static int tilesRun(CountingLoop loop) {
        int sum = 0;
        for (int t = 0; t < loop.runs.length(); t++) {
            sum += loop.runs.get(t);
        }
        return sum;
    }

    @Test
    void idleWorkersDoNotSpinWhileCallersWorkingOnTilesFillTheCpus() throws Exception {
        pool.close();
        // spinning for up to 30 s after each task, unless the CPUs are taken
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).spinTime(Duration.ofSeconds(30)).build());
        int cpus = Runtime.getRuntime().availableProcessors();
        pool.submit(() -> { }).await(); // wakes a worker, which then spins
        pool.outsideWorkers.addAndGet(cpus); // as many callers working on tiles as there are CPUs
        try {
            ThreadPoolTest.waitUntil(() -> pool.spinning.get() == 0, Duration.ofSeconds(2),
                    () -> "a worker kept spinning on a full machine");
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
                ThreadPoolTest.awaitQuietly(release);
            });
        }
        assertTrue(started.await(10, TimeUnit.SECONDS));
        return release;
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
