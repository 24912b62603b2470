package io.numarrow.threading;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link PoolStartTest}'s child JVM: starts a pool as {@code ThreadPool.init} starts one ({@code pinned} as
 * the first argument: every worker pinned to a CPU), runs a task on every worker, closes it, and prints a
 * marker line with the tasks run and how many workers were pinned.
 */
public final class PoolStartProbe {
    static final String DONE = "=== pool closed";

    private PoolStartProbe() {
    }

    public static void main(String[] args) throws Exception {
        boolean pin = args.length > 0 && args[0].equals("pinned");
        AtomicInteger ran = new AtomicInteger();
        int pinned = 0;
        try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().pinThreads(pin).build())) {
            // one task per worker, each waiting for all of them: every worker has started (and placed itself) and run one
            CountDownLatch running = new CountDownLatch(pool.size());
            List<WorkItem> tasks = new ArrayList<>();
            for (int i = 0; i < pool.size(); i++) {
                tasks.add(pool.submit(() -> {
                    running.countDown();
                    try {
                        if (running.await(30, TimeUnit.SECONDS)) {
                            ran.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (WorkItem t : tasks) {
                t.await();
            }
            for (WorkerStats s : pool.stats()) {
                pinned += s.cpu() >= 0 ? 1 : 0;
            }
        }
        System.out.println(DONE + " tasks=" + ran.get() + " pinned=" + pinned);
    }
}
