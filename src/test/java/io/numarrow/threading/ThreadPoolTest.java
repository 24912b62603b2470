package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.numarrow.numa.CpuTopology;
import io.numarrow.numa.LinuxSched;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ThreadPoolTest {

    static ThreadPool pool(int threads) {
        return ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
    }

    static void assertNoLiveThreads(ThreadPool pool) {
        assertTrue(pool.isTerminated(), pool + " has live threads after close");
        for (Thread t : PoolInternals.threads(pool)) {
            assertFalse(t.isAlive(), t.getName());
        }
    }

    @Test
    void submitFromOutsideRunsAndAwaitReturns() throws Exception {
        ThreadPool p = pool(2);
        try (p) {
            AtomicInteger ran = new AtomicInteger();
            List<WorkItem> items = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                items.add(p.submit(ran::incrementAndGet));
            }
            for (WorkItem item : items) {
                item.await();
                assertTrue(item.isDone());
                assertFalse(item.isCancelled());
            }
            assertEquals(1000, ran.get());
            assertEquals(1000, WorkerStats.total(p.stats()).tasksRun());
        }
        assertNoLiveThreads(p);
    }

    @Test
    void tasksSubmittedWhileOneWorkerSpinsAllStartThoughTheFirstBlocks() throws Exception {
        // a long spin time keeps one worker spinning while the other two park: submits then leave their
        // tasks to that spinner, which must not strand the rest behind the first, a task that blocks
        ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(3).spinTime(Duration.ofSeconds(30)).build());
        try (p) {
            for (int round = 0; round < 200; round++) {
                waitUntil(() -> p.parked.get() >= 2, () -> "two workers parked, " + p.parked.get() + " are");
                CountDownLatch allStarted = new CountDownLatch(3);
                List<WorkItem> items = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    items.add(p.submit(() -> {
                        allStarted.countDown();
                        try {
                            allStarted.await(10, TimeUnit.SECONDS); // returns either way: the test fails below
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }));
                }
                assertTrue(allStarted.await(10, TimeUnit.SECONDS), "round " + round + ": "
                        + allStarted.getCount() + " of 3 tasks never started");
                for (WorkItem item : items) {
                    item.await();
                }
            }
        }
        assertNoLiveThreads(p);
    }

    @Test
    void defaultSizeIsTheUsableCpusWithinQuota() {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.defaults())) {
            assertEquals(CpuTopology.detect().defaultWorkerCount(), p.size());
        }
    }

    @Test
    void exceptionIsRethrownWrappedAndWorkerLivesOn() throws Exception {
        try (ThreadPool p = pool(1)) {
            IllegalArgumentException boom = new IllegalArgumentException("boom");
            WorkItem bad = p.submit(() -> {
                throw boom;
            });
            ExecutionException e = assertThrows(ExecutionException.class, bad::await);
            assertSame(boom, e.getCause());
            assertTrue(bad.isDone());
            assertTrue(bad.isFailed());
            ExecutionException again = assertThrows(ExecutionException.class, () -> bad.await(Duration.ofSeconds(1)));
            assertSame(boom, again.getCause());
            assertSame(boom, assertThrows(IllegalArgumentException.class, bad::join));
            // an Error too is captured, not lost with the thread
            WorkItem err = p.submit(() -> {
                throw new StackOverflowError("deep");
            });
            assertInstanceOf(StackOverflowError.class, assertThrows(ExecutionException.class, err::await).getCause());
            // the single worker is still there
            AtomicInteger after = new AtomicInteger();
            p.submit(after::incrementAndGet).await();
            assertEquals(1, after.get());
            assertTrue(PoolInternals.threads(p).getFirst().isAlive());
        }
    }

    @Test
    void awaitWithTimeoutTimesOutThenSucceeds() throws Exception {
        try (ThreadPool p = pool(1)) {
            CountDownLatch release = new CountDownLatch(1);
            WorkItem item = p.submit(() -> awaitQuietly(release));
            assertFalse(item.isDone());
            long t0 = System.nanoTime();
            assertThrows(TimeoutException.class, () -> item.await(Duration.ofMillis(50)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(45), "returned before the timeout");
            release.countDown();
            item.await(Duration.ofSeconds(10));
            assertTrue(item.isDone());
        }
    }

    @Test
    void submitInsideTaskGoesToOwnDequeAndNestedAwaitHelps() throws Exception {
        try (ThreadPool p = pool(1)) {
            // one worker waiting for its own child: only a helping wait can finish this
            AtomicInteger inner = new AtomicInteger(-2);
            WorkItem outer = p.submit(() -> {
                WorkItem child = p.submit(() -> inner.set(ThreadPool.currentWorkerIndex()));
                child.join();
            });
            outer.await(Duration.ofSeconds(10));
            assertEquals(0, inner.get());
        }
    }

    @Test
    void closeDrainsQueuedWorkThenRefusesSubmits() throws Exception {
        ThreadPool p = pool(2);
        AtomicInteger ran = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        List<WorkItem> items = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            items.add(p.submit(() -> {
                awaitQuietly(release); // every task is still queued or running when close() starts
                ran.incrementAndGet();
            }));
        }
        Thread closer = Thread.ofPlatform().start(p::close);
        waitUntil(p::isClosed, () -> "close() did not start");
        assertEquals(0, ran.get(), "no task could finish before the release");
        assertThrows(IllegalStateException.class, () -> p.submit(() -> { }), "a closing pool refuses submits");
        release.countDown();
        closer.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(closer.isAlive(), "close() did not return");
        assertEquals(200, ran.get(), "close() lets every accepted task run");
        for (WorkItem item : items) {
            item.await();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.submit(() -> { }));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        p.close(); // idempotent
        p.closeNow();
        assertTrue(p.isClosed());
        assertNoLiveThreads(p);
    }

    @Test
    void closeNowCancelsQueuedWorkAndAwaitSaysSo() throws Exception {
        ThreadPool p = pool(1);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        WorkItem running = p.submit(() -> {
            started.countDown();
            awaitQuietly(release);
        });
        List<WorkItem> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(p.submit(() -> {
                throw new AssertionError("a cancelled task ran");
            }));
        }
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread closer = new Thread(p::closeNow);
        closer.start();
        while (!p.isClosed()) {
            Thread.onSpinWait();
        }
        release.countDown();
        closer.join(10_000);
        assertFalse(closer.isAlive());
        running.await(); // a running task finishes normally
        for (WorkItem item : queued) {
            assertTrue(item.isCancelled());
            CancellationException e = assertThrows(CancellationException.class, item::await);
            assertTrue(e.getMessage().contains("closeNow"), e.getMessage());
        }
        assertNoLiveThreads(p);
    }

    @Test
    void closeFromInsideAWorkerIsRefused() throws Exception {
        try (ThreadPool p = pool(1)) {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            p.submit(() -> {
                try {
                    p.close();
                } catch (Throwable t) {
                    seen.set(t);
                }
            }).await();
            assertInstanceOf(IllegalStateException.class, seen.get());
        }
    }

    @Test
    void withoutStealingExternalSubmitsGoRoundRobinAndStayPut() throws Exception {
        int n = 3;
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(n).enableWorkStealing(false).build())) {
            CountDownLatch release = new CountDownLatch(1);
            int tasks = 30;
            int[] ranOn = new int[tasks];
            List<WorkItem> items = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                int k = i;
                items.add(p.submit(() -> {
                    awaitQuietly(release); // keep every worker busy so nobody could take others' work
                    ranOn[k] = ThreadPool.currentWorkerIndex();
                }));
            }
            release.countDown();
            for (WorkItem item : items) {
                item.await();
            }
            int first = ranOn[0];
            for (int i = 0; i < tasks; i++) {
                assertEquals((first + i) % n, ranOn[i], "task " + i + " ran on worker " + ranOn[i]);
            }
            for (WorkerStats s : p.stats()) {
                assertEquals(0, s.steals());
                assertEquals(tasks / n, s.tasksRun());
            }
        }
    }

    @Test
    void idleWorkersStealFromABusyOne() throws Exception {
        try (ThreadPool p = pool(3)) {
            ConcurrentHashMap<Integer, Integer> ranOn = new ConcurrentHashMap<>();
            AtomicInteger parent = new AtomicInteger(-1);
            CountDownLatch stolen = new CountDownLatch(1);
            p.submit(() -> {
                parent.set(ThreadPool.currentWorkerIndex());
                List<WorkItem> children = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    children.add(p.submit(() -> {
                        int me = ThreadPool.currentWorkerIndex();
                        if (me == parent.get()) {
                            awaitQuietly(stolen); // the parent's worker is busy: only a thief can go on
                        } else {
                            stolen.countDown();
                        }
                        ranOn.merge(me, 1, Integer::sum);
                    }));
                }
                children.forEach(WorkItem::join);
            }).await(Duration.ofSeconds(30));
            long others = ranOn.entrySet().stream().filter(e -> e.getKey() != parent.get())
                    .mapToInt(e -> e.getValue()).sum();
            assertTrue(others > 0, "no child was stolen: " + ranOn);
            assertTrue(WorkerStats.total(p.stats()).steals() >= others);
        }
    }

    @Test
    void idleWorkersParkAfterSpinningAndWakeForNewWork() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(2).spinTime(Duration.ofMillis(1)).build();
        try (ThreadPool p = ThreadPool.init(config)) {
            p.submit(() -> { }).await();
            waitUntil(() -> p.parked.get() == 2, () -> "workers did not park: " + p.stats());
            for (int i = 0; i < 20; i++) {
                long parks = WorkerStats.total(p.stats()).parks();
                AtomicInteger ran = new AtomicInteger();
                // both workers are parked: only the submit's wake-up can run this task
                p.submit(ran::incrementAndGet).await(Duration.ofSeconds(5));
                assertEquals(1, ran.get());
                // the woken worker spins 1 ms, then parks again (a new park, not the old one)
                waitUntil(() -> p.parked.get() == 2 && WorkerStats.total(p.stats()).parks() > parks,
                        () -> "round: woken worker did not park again: parked " + p.parked.get() + ", " + p.stats());
            }
        }
    }

    @Test
    void atMostHalfTheIdleWorkersSpin() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(4).spinTime(Duration.ofSeconds(20)).build();
        try (ThreadPool p = ThreadPool.init(config)) {
            assertEquals(2, p.maxSpinners);
            // with a 20 s spin time only the workers over the cap can have parked within 10 s
            waitUntil(() -> p.stats().stream().filter(s -> s.parks() > 0).count() >= 2,
                    () -> "over-cap workers spin: " + p.stats());
            assertTrue(p.spinning.get() <= 2, "spinning " + p.spinning.get());
            p.submit(() -> { }).await(Duration.ofSeconds(5));
        }
    }

    @Test
    void congestedPoolParksInsteadOfSpinning() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(2).spinTime(Duration.ofSeconds(20)).build();
        try (ThreadPool p = ThreadPool.init(config)) {
            p.markCongested(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            p.submit(() -> { }).await();
            waitUntil(() -> p.parked.get() == 2, () -> "a congested pool must park, not spin for 20 s: " + p.stats());
            // parked workers still wake for new work
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < 10; i++) {
                p.submit(ran::incrementAndGet).await(Duration.ofSeconds(5));
            }
            assertEquals(10, ran.get());
        }
    }

    @Test
    void manyWaitersOnOneItemAllWake() throws Exception {
        try (ThreadPool p = pool(1)) {
            CountDownLatch release = new CountDownLatch(1);
            WorkItem item = p.submit(() -> awaitQuietly(release));
            List<Thread> waiters = new ArrayList<>();
            AtomicInteger woke = new AtomicInteger();
            for (int i = 0; i < 5; i++) {
                waiters.add(Thread.ofPlatform().start(() -> {
                    item.join();
                    woke.incrementAndGet();
                }));
            }
            // every waiter has spun and parked (or the release would only test the spin)
            waitUntil(() -> waiters.stream().allMatch(t -> t.getState() == Thread.State.WAITING),
                    () -> "waiters did not park: " + waiters.stream().map(Thread::getState).toList());
            release.countDown();
            for (Thread t : waiters) {
                t.join(10_000);
                assertFalse(t.isAlive());
            }
            assertEquals(5, woke.get());
        }
    }

    @Test
    void awaitIsInterruptible() throws Exception {
        try (ThreadPool p = pool(1)) {
            CountDownLatch release = new CountDownLatch(1);
            WorkItem item = p.submit(() -> awaitQuietly(release));
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread waiter = Thread.ofPlatform().start(() -> {
                try {
                    item.await();
                } catch (Throwable t) {
                    seen.set(t);
                }
            });
            // interrupt it while it is parked in await, not before it got there
            waitUntil(() -> waiter.getState() == Thread.State.WAITING, () -> "waiter did not park: " + waiter.getState());
            waiter.interrupt();
            waiter.join(10_000);
            assertInstanceOf(InterruptedException.class, seen.get());
            release.countDown();
            item.await();
        }
    }

    @Test
    void awaitHelpingFromOutsideRunsQueuedWorkOnTheCaller() throws Exception {
        try (ThreadPool p = pool(1)) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch started = new CountDownLatch(1);
            WorkItem blocker = p.submit(() -> {
                started.countDown();
                awaitQuietly(release);
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            int[] ranOn = {-2};
            WorkItem queued = p.submit(() -> ranOn[0] = ThreadPool.currentWorkerIndex());
            p.awaitHelping(queued); // the only worker is blocked: the caller runs it
            assertEquals(-1, ranOn[0]);
            release.countDown();
            blocker.await();
            // plain await never runs a task on the caller: the pool's stack size and pinning hold
            int[] ranOn2 = {-2};
            p.submit(() -> ranOn2[0] = ThreadPool.currentWorkerIndex()).await();
            assertEquals(0, ranOn2[0]);
        }
    }

    @Test
    void stackSizeIsHonoured() throws Exception {
        int small = maxDepth(256 * 1024);
        int large = maxDepth(32 * 1024 * 1024);
        assertTrue(large > 8L * small, "32 MiB stack reached depth " + large + ", 256 KiB reached " + small);
    }

    private static int maxDepth(long stack) throws Exception {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(1).stackSize(stack).build())) {
            AtomicInteger depth = new AtomicInteger();
            p.submit(() -> {
                try {
                    recurse(depth, 0);
                } catch (StackOverflowError e) {
                    // expected: depth holds how far we got
                }
            }).await();
            return depth.get();
        }
    }

    private static void recurse(AtomicInteger depth, int d) {
        depth.set(d);
        recurse(depth, d + 1);
    }

    @Test
    void threadCreationFailureGivesSystemResourcesAndStopsStartedWorkers() {
        List<Thread> started = new ArrayList<>();
        ThreadPool.ThreadStarter failOnThird = t -> {
            if (started.size() == 2) {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
            }
            started.add(t);
            t.start();
        };
        SystemResourcesException e = assertThrows(SystemResourcesException.class, () -> new ThreadPool(
                ThreadPoolConfig.builder().numThreads(4).build(), CpuTopology.detect(), failOnThird, cpus -> 0));
        assertTrue(e.getMessage().contains("worker thread 2 of 4"), e.getMessage());
        assertEquals(2, started.size());
        for (Thread t : started) {
            assertFalse(t.isAlive(), t.getName() + " was left running");
        }
    }

    @Test
    void queueFullIsReportedNotDropped() throws Exception {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(1).queueCapacity(4).build())) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch started = new CountDownLatch(1);
            p.submit(() -> {
                started.countDown();
                awaitQuietly(release);
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            List<WorkItem> accepted = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                accepted.add(p.submit(() -> { }));
            }
            assertThrows(QueueFullException.class, () -> p.submit(() -> { }));
            // from inside a task the worker's own deque fills the same way
            AtomicReference<Throwable> inner = new AtomicReference<>();
            release.countDown();
            for (WorkItem w : accepted) {
                w.await();
            }
            p.submit(() -> {
                List<WorkItem> mine = new ArrayList<>();
                try {
                    for (int i = 0; i < 5; i++) {
                        mine.add(p.submit(() -> { }));
                    }
                } catch (QueueFullException e) {
                    inner.set(e);
                }
                mine.forEach(WorkItem::join);
            }).await();
            assertInstanceOf(QueueFullException.class, inner.get());
        }
    }

    @Test
    void pinnedWorkersRunOnTheirCpu() throws Exception {
        assumeTrue(LinuxSched.isAvailable(), "needs Linux sched_getcpu");
        CpuTopology topo = CpuTopology.detect();
        assumeTrue(topo.numThreads() >= 2, "needs 2 usable CPUs");
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).pinThreads(true)
                .enableWorkStealing(false).build())) {
            List<WorkerPlacement> plan = p.placements();
            assertTrue(plan.get(0).cpu() != plan.get(1).cpu(), "two workers on one CPU: " + plan);
            int[][] seen = new int[4][];
            List<WorkItem> items = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int k = i;
                items.add(p.submit(() -> seen[k] = new int[]{ThreadPool.currentWorkerIndex(), LinuxSched.currentCpu(),
                        LinuxSched.currentThreadAffinity().size()}));
            }
            for (WorkItem item : items) {
                item.await();
            }
            for (int[] s : seen) {
                assertEquals(plan.get(s[0]).cpu(), s[1], "worker " + s[0] + " ran on CPU " + s[1]);
                assertEquals(1, s[2], "a pinned worker's mask holds one CPU");
                assertEquals(plan.get(s[0]).cpu(), p.stats().get(s[0]).cpu());
            }
        }
    }

    @Test
    void refusedPinningRunsUnpinned() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        try (ThreadPool p = new ThreadPool(ThreadPoolConfig.builder().numThreads(2).pinThreads(true).build(),
                CpuTopology.detect(), Thread::start, cpus -> {
                    attempts.incrementAndGet();
                    return 1; // EPERM
                })) {
            AtomicInteger ran = new AtomicInteger();
            for (int i = 0; i < 10; i++) {
                p.submit(ran::incrementAndGet).await();
            }
            assertEquals(10, ran.get());
            for (WorkerStats s : p.stats()) {
                assertEquals(-1, s.cpu(), "not pinned");
            }
        }
        assertEquals(2, attempts.get());
    }

    @Test
    void badConfigIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ThreadPoolConfig.builder().numThreads(0).build());
        assertThrows(IllegalArgumentException.class, () -> ThreadPoolConfig.builder().stackSize(-1).build());
        assertThrows(IllegalArgumentException.class, () -> ThreadPoolConfig.builder().queueCapacity(1).build());
        assertThrows(IllegalArgumentException.class,
                () -> ThreadPoolConfig.builder().spinTime(Duration.ofMillis(-1)).build());
        assertThrows(NullPointerException.class, () -> ThreadPool.init(null));
        ThreadPoolConfig d = ThreadPoolConfig.defaults();
        assertTrue(d.numThreads().isEmpty());
        assertEquals(8L * 1024 * 1024, d.stackSize());
        assertTrue(d.enableWorkStealing());
        assertFalse(d.numaAware());
        assertFalse(d.pinThreads());
        assertEquals(d, d.toBuilder().build());
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits (up to 10 s unless told) for a state of the pool or its threads, looking every 0.1 ms; fails with
     * {@code what} if it never holds. A test waits for a state, never for a time.
     */
    static void waitUntil(BooleanSupplier condition, Supplier<String> what) {
        waitUntil(condition, Duration.ofSeconds(10), what);
    }

    static void waitUntil(BooleanSupplier condition, Duration limit, Supplier<String> what) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(what.get());
            }
            LockSupport.parkNanos(100_000);
        }
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
