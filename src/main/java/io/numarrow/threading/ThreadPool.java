package io.numarrow.threading;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed-size pool of worker threads.
 *
 * <p>This first version shares one bounded queue between all workers; the work-stealing deques,
 * spin-then-park idling, pinning and NUMA placement of the seed design replace it.
 * {@link #close()} lets queued work finish, then joins every worker.
 */
public final class ThreadPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadPool.class);

    private final ThreadPoolConfig config;
    private final BlockingQueue<WorkItem> queue;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;

    private ThreadPool(ThreadPoolConfig config) {
        this.config = config;
        int n = config.numThreads().orElse(Runtime.getRuntime().availableProcessors());
        this.queue = new ArrayBlockingQueue<>(Math.max(2, config.queueCapacity()) * n);
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(null, this::workLoop, "numarrow-worker-" + i, config.stackSize());
            t.setDaemon(true);
            try {
                t.start();
            } catch (OutOfMemoryError | RuntimeException e) {
                close();
                throw new SystemResourcesException("could not start worker thread " + i + " of " + n, e);
            }
            workers.add(t);
        }
        LOG.debug("thread pool started with {} workers", n);
    }

    public static ThreadPool init(ThreadPoolConfig config) {
        return new ThreadPool(Objects.requireNonNull(config, "config"));
    }

    /**
     * The NUMA node of the calling worker thread (0 when the caller is not a worker of a
     * NUMA-aware pool): lets a task pick its node's copy of shared data.
     */
    public static int currentNode() {
        return 0;
    }

    public ThreadPoolConfig config() {
        return config;
    }

    public int size() {
        return workers.size();
    }

    /** Queues {@code task}; throws {@link QueueFullException} when the queue is at capacity. */
    public WorkItem submit(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (!running) {
            throw new IllegalStateException("thread pool is closed");
        }
        WorkItem item = new WorkItem(task);
        if (!queue.offer(item)) {
            throw new QueueFullException("thread pool queue is full (" + queue.size() + " items)");
        }
        return item;
    }

    private void workLoop() {
        try {
            while (running || !queue.isEmpty()) {
                WorkItem item = queue.poll(10, TimeUnit.MILLISECONDS);
                if (item != null) {
                    item.run();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
