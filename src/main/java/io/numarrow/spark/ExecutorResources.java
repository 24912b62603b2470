package io.numarrow.spark;

import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one executor JVM shares between all the tasks that run numarrow: a root allocator, the
 * thread pool, and the loaded weights. Everything is made on first use and closed by a JVM
 * shutdown hook, because an executor has no other "last task done" moment.
 */
final class ExecutorResources {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorResources.class);
    private static final ExecutorResources INSTANCE = new ExecutorResources();

    /**
     * numarrow's allocator rather than Arrow's default: its buffers start on a cache line (malloc'd ones
     * sit 16 bytes past one, which splits every vector store of the output), and they go to the node of
     * the thread that fills them.
     */
    private final BufferAllocator root = NumaAllocator.root(NumaPolicy.LOCAL);
    private final Map<Integer, Compute> pools = new ConcurrentHashMap<>();
    private final WeightsCache weights = new WeightsCache(root);
    /** numarrow's tasks running in this JVM now (opened and not yet closed). */
    private final AtomicInteger runningTasks = new AtomicInteger();

    /**
     * A pool and the lock that lets one batch at a time onto it; and the same operations run on each
     * task's own thread ({@link ParallelOps#onCallingThread()}), for {@code threads} = 1.
     */
    record Compute(ParallelOps parallel, ReentrantLock lock, ParallelOps onTaskThread) {
    }

    private ExecutorResources() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, "numarrow-spark-shutdown"));
        LOG.info("numarrow: in JVM {}: {}", ProcessHandle.current().pid(), ExecutorClasspath.report());
    }

    static ExecutorResources get() {
        return INSTANCE;
    }

    BufferAllocator rootAllocator() {
        return root;
    }

    WeightsCache weights() {
        return weights;
    }

    /**
     * The pool of {@code threads} workers (0: every core of this executor). Usually one per JVM;
     * a second one appears only if jobs ask for different thread counts.
     */
    Compute compute(int threads) {
        int n = threads > 0 ? threads : executorCores();
        return pools.computeIfAbsent(n, k -> {
            LOG.info("numarrow: starting a pool of {} threads in this executor", k);
            ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(k).build());
            ParallelOps parallel = new ParallelOps(pool);
            return new Compute(parallel, new ReentrantLock(), parallel.onCallingThread());
        });
    }

    /** A task starts computing here; pair with {@link #taskEnded()}. */
    void taskStarted() {
        runningTasks.incrementAndGet();
    }

    void taskEnded() {
        runningTasks.decrementAndGet();
    }

    /**
     * Whether a batch of a task with {@code threads} computes on the task's own thread rather than on
     * the pool: always with 1; with 0 (all the executor's cores) while at least as many numarrow tasks
     * run as the executor has cores, since Spark then already keeps every core busy with a task and the
     * pool's workers would only take turns with the task threads for the same cores (and tasks would
     * queue for the pool); the pool again once fewer tasks run, such as the last of a stage. A batch
     * gives the same bits either way.
     */
    static boolean onTaskThread(int threads, int running, int cores) {
        return threads == 1 || threads == 0 && running >= cores;
    }

    boolean onTaskThread(int threads) {
        return onTaskThread(threads, runningTasks.get(), executorCores());
    }

    int poolCount() {
        return pools.size();
    }

    /** {@code spark.executor.cores} when set (a cluster), else the CPUs this JVM may use (local mode). */
    static int executorCores() {
        SparkEnv env = SparkEnv.get();
        int cpus = Runtime.getRuntime().availableProcessors();
        if (env == null) {
            return cpus;
        }
        int cores = env.conf().getInt("spark.executor.cores", 0);
        return cores > 0 ? cores : cpus;
    }

    private void closeAll() {
        List<Compute> all = new ArrayList<>(pools.values());
        pools.clear();
        for (Compute c : all) {
            c.parallel().pool().close();
        }
        weights.closeAll();
        try {
            root.close();
        } catch (RuntimeException e) {
            // A task may still hold buffers while the JVM goes down; nothing to free them for.
            LOG.debug("numarrow: root allocator closed with memory in use", e);
        }
    }
}
