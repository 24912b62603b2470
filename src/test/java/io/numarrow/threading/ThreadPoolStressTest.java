package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pool under load: many tasks, deep nesting, failures, and close() racing submit. */
class ThreadPoolStressTest {
    /** 10 million by default; {@code -Dnumarrow.stress.tasks=N} changes it. */
    static final int TINY_TASKS = Integer.getInteger("numarrow.stress.tasks", 10_000_000);

    @Test
    @Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void tenMillionTinyTasksFromOutsideAndInside() throws Exception {
        ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().build());
        LongAdder ran = new LongAdder();
        int submitters = 2;
        int perSubmitter = TINY_TASKS / 2 / submitters;
        AtomicReference<Throwable> error = new AtomicReference<>();
        try (p) {
            // half from outside threads, in windows that fit the inboxes
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < submitters; s++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        WorkItem[] window = new WorkItem[1024];
                        for (int done = 0; done < perSubmitter; ) {
                            int n = Math.min(window.length, perSubmitter - done);
                            for (int i = 0; i < n; i++) {
                                window[i] = p.submit(ran::increment);
                            }
                            for (int i = 0; i < n; i++) {
                                window[i].await();
                            }
                            done += n;
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    }
                }));
            }
            // the other half from inside tasks: each root submits children onto its own deque
            int inside = TINY_TASKS - submitters * perSubmitter;
            int roots = 64;
            List<WorkItem> rootItems = new ArrayList<>();
            for (int r = 0; r < roots; r++) {
                int children = inside / roots + (r < inside % roots ? 1 : 0);
                rootItems.add(p.submit(() -> {
                    WorkItem[] window = new WorkItem[1024];
                    for (int done = 0; done < children; ) {
                        int n = Math.min(window.length, children - done);
                        for (int i = 0; i < n; i++) {
                            window[i] = p.submit(ran::increment);
                        }
                        for (int i = 0; i < n; i++) {
                            window[i].join();
                        }
                        done += n;
                    }
                }));
            }
            for (WorkItem w : rootItems) {
                w.await(Duration.ofSeconds(150));
            }
            for (Thread t : threads) {
                t.join(150_000);
                assertFalse(t.isAlive());
            }
            if (error.get() != null) {
                throw new AssertionError(error.get());
            }
            assertEquals(TINY_TASKS, ran.sum(), "tasks lost or run twice");
            assertEquals(TINY_TASKS + roots, WorkerStats.total(p.stats()).tasksRun());
        }
        assertTrue(p.isTerminated());
    }

    /** A chain of tasks each waiting for the one it submitted, 20 deep, on 1 and 2 workers. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void nestedSubmitsTwentyDeepDoNotDeadlock(int workers) throws Exception {
        for (boolean stealing : new boolean[]{true, false}) {
            try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(workers)
                    .enableWorkStealing(stealing).build())) {
                AtomicInteger deepest = new AtomicInteger();
                p.submit(() -> chain(p, 1, 20, deepest)).await(Duration.ofSeconds(20));
                assertEquals(20, deepest.get());
                // every worker at once blocked in nested waits
                List<WorkItem> roots = new ArrayList<>();
                AtomicInteger leaves = new AtomicInteger();
                for (int i = 0; i < workers * 3; i++) {
                    roots.add(p.submit(() -> chain(p, 1, 20, new AtomicInteger()) ));
                    roots.add(p.submit(() -> tree(p, 10, leaves)));
                }
                for (WorkItem r : roots) {
                    r.await(Duration.ofSeconds(20));
                }
                assertEquals(workers * 3 * 1024, leaves.get());
            }
        }
    }

    private static void chain(ThreadPool p, int depth, int max, AtomicInteger deepest) {
        deepest.accumulateAndGet(depth, Math::max);
        if (depth < max) {
            p.submit(() -> chain(p, depth + 1, max, deepest)).join();
        }
    }

    private static void tree(ThreadPool p, int depth, AtomicInteger leaves) {
        if (depth == 0) {
            leaves.incrementAndGet();
            return;
        }
        WorkItem left = p.submit(() -> tree(p, depth - 1, leaves));
        tree(p, depth - 1, leaves);
        left.join();
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void throwingTasksFailAloneAndWorkersSurvive() throws Exception {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            int n = 100_000;
            List<WorkItem> items = new ArrayList<>(n);
            List<RuntimeException> thrown = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                RuntimeException ex = i % 3 == 0 ? new IllegalStateException("task " + i) : null;
                thrown.add(ex);
                items.add(p.submit(() -> {
                    if (ex != null) {
                        throw ex;
                    }
                }));
                if (i % 2048 == 2047) {
                    try {
                        items.get(i).await(); // keep the inboxes from filling
                    } catch (ExecutionException expected) {
                        // this one was a thrower; checked below
                    }
                }
            }
            int failed = 0;
            for (int i = 0; i < n; i++) {
                WorkItem item = items.get(i);
                if (thrown.get(i) != null) {
                    ExecutionException e = assertThrows(ExecutionException.class, item::await);
                    assertSame(thrown.get(i), e.getCause());
                    failed++;
                } else {
                    item.await();
                    assertFalse(item.isFailed());
                }
            }
            assertEquals((n + 2) / 3, failed);
            assertEquals(2, PoolInternals.threads(p).stream().filter(Thread::isAlive).count(), "a worker died");
            assertEquals(n, WorkerStats.total(p.stats()).tasksRun());
        }
    }

    /**
     * Submitters keep submitting while another thread closes the pool: every submit either
     * throws or returns an item that then completes; with close() every accepted item ran, with
     * closeNow() each ran or was cancelled; no worker thread survives.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void closeRacingSubmitLosesNothing(boolean now) throws Exception {
        for (int round = 0; round < 30; round++) {
            ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
            LongAdder ran = new LongAdder();
            int submitters = 3;
            List<List<WorkItem>> accepted = new ArrayList<>();
            AtomicInteger refused = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int s = 0; s < submitters; s++) {
                List<WorkItem> mine = new ArrayList<>();
                accepted.add(mine);
                threads.add(Thread.ofPlatform().start(() -> {
                    ThreadPoolTest.awaitQuietly(go);
                    while (true) {
                        try {
                            WorkItem w = p.submit(() -> {
                                ran.increment();
                                // tasks submitting subtasks while the pool drains
                                if ((ran.sum() & 15) == 0) {
                                    p.submit(ran::increment).join();
                                }
                            });
                            mine.add(w);
                            if (mine.size() % 512 == 0) {
                                w.join(); // stay under the inbox capacity
                            }
                        } catch (IllegalStateException e) {
                            // "closed", or (a CancellationException) the joined item was cancelled by closeNow
                            refused.incrementAndGet();
                            return;
                        }
                    }
                }));
            }
            go.countDown();
            Thread.sleep(round % 5);
            if (now) {
                p.closeNow();
            } else {
                p.close();
            }
            for (Thread t : threads) {
                t.join(30_000);
                assertFalse(t.isAlive(), "a submitter hung");
            }
            assertEquals(submitters, refused.get(), "every submitter must eventually be refused");
            long ranItems = 0;
            long cancelled = 0;
            for (List<WorkItem> list : accepted) {
                for (WorkItem w : list) {
                    assertTrue(w.isDone(), "accepted item not done after close: " + w);
                    if (w.isCancelled()) {
                        cancelled++;
                        assertThrows(CancellationException.class, w::await);
                    } else if (w.isFailed()) {
                        // only a task whose subtask closeNow() cancelled may fail
                        ExecutionException e = assertThrows(ExecutionException.class, () -> w.await(Duration.ZERO));
                        assertTrue(now && e.getCause() instanceof CancellationException, "unexpected failure " + e);
                        ranItems++;
                    } else {
                        w.await(Duration.ZERO);
                        ranItems++;
                    }
                }
            }
            if (!now) {
                assertEquals(0, cancelled, "close() must not cancel");
            }
            assertTrue(ran.sum() >= ranItems, "ran " + ran.sum() + " < items done " + ranItems);
            assertTrue(p.isTerminated(), "worker threads leaked");
        }
    }

    /**
     * Workers that park after every task (no spinning) and submitters racing them: a lost
     * wake-up would leave a task queued with every worker asleep, and its await would time out.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void noLostWakeUpsWhenWorkersParkBetweenTasks(boolean stealing) throws Exception {
        try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(3).spinTime(Duration.ZERO)
                .enableWorkStealing(stealing).build())) {
            AtomicReference<Throwable> error = new AtomicReference<>();
            LongAdder ran = new LongAdder();
            List<Thread> submitters = new ArrayList<>();
            int perThread = 20_000;
            for (int s = 0; s < 2; s++) {
                submitters.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            p.submit(ran::increment).await(Duration.ofSeconds(10));
                            if (i % 64 == 0) {
                                LockSupport.parkNanos(20_000); // let every worker park
                            }
                        }
                    } catch (Throwable e) {
                        error.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : submitters) {
                t.join(100_000);
                assertFalse(t.isAlive());
            }
            if (error.get() != null) {
                throw new AssertionError("a task was not run in 10 s: lost wake-up?", error.get());
            }
            assertEquals(2L * perThread, ran.sum());
            assertTrue(WorkerStats.total(p.stats()).parks() > 0, "workers never parked: the test did not test parking");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void noThreadsLeakAcrossManyPools() throws Exception {
        int before = countPoolThreads();
        for (int i = 0; i < 50; i++) {
            try (ThreadPool p = ThreadPool.init(ThreadPoolConfig.builder().numThreads(3).build())) {
                p.submit(() -> { }).await();
            }
        }
        assertEquals(before, countPoolThreads(), "pool threads left behind");
    }

    private static int countPoolThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("numarrow-pool-") && t.isAlive()).count();
    }
}
