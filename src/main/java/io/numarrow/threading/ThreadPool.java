package io.numarrow.threading;

import io.numarrow.numa.CpuTopology;
import io.numarrow.numa.LinuxSched;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed-size pool of worker threads with work stealing: the seed's {@code ThreadPool}.
 *
 * <ul>
 * <li>A task submitted from a worker goes onto that worker's own {@link WorkStealingQueue};
 * one submitted from any other thread goes into a worker's inbox, the workers taken in turn.
 * With work stealing on, idle workers take tasks from others' queues (same NUMA node first);
 * with it off, a task runs on the worker whose queue it was put in.</li>
 * <li>Idle workers spin for {@link ThreadPoolConfig#spinTime()} looking for work, then park;
 * a submit wakes a parked worker when no spinning one will pick the task up, and a worker that
 * takes a task while more are queued wakes another (the spinner may be taking a long one). At most half the
 * workers spin at once (and one fewer than the pool, leaving a CPU to submitting threads), and
 * a spinner that finds it was descheduled parks at once: on an oversubscribed machine a woken
 * thread gets a CPU sooner than a spinning one waiting for its turn.</li>
 * <li>{@link WorkItem#await()} on a worker runs other tasks while it waits, so tasks may wait
 * for tasks they submit, to any depth, without deadlocking the pool;
 * {@link #awaitHelping(WorkItem)} does the same for any thread.</li>
 * <li>{@link #close()} stops accepting tasks from outside the pool, lets every task already
 * accepted run (tasks may still submit subtasks while the pool drains), then joins every
 * worker. {@link #closeNow()} instead cancels every task not yet started: its
 * {@code await} throws {@link java.util.concurrent.CancellationException}. Both are idempotent.</li>
 * </ul>
 */
public final class ThreadPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadPool.class);
    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private static final int OPEN = 0;
    private static final int DRAINING = 1;
    private static final int CANCELLING = 2;

    /** Starts a worker thread; tests replace it to simulate the system refusing threads. */
    @FunctionalInterface
    interface ThreadStarter {
        void start(Thread thread);
    }

    /** Sets the calling thread's affinity; returns 0 or an errno. Tests replace it. */
    @FunctionalInterface
    interface AffinitySetter {
        int apply(List<Integer> cpus);
    }

    private final ThreadPoolConfig config;
    private final CpuTopology topology;
    final Worker[] workers;
    private final List<WorkerPlacement> placements;
    private final AffinitySetter affinity;
    final boolean stealing;
    final boolean numaAware;
    final long spinNanos;
    /** Idle workers allowed to spin at once: half the pool, and at least one CPU left to submitters. */
    final int maxSpinners;
    final AtomicInteger parked = new AtomicInteger();
    final AtomicInteger spinning = new AtomicInteger();
    /** Threads from outside the pool working on a {@link TileLoop}'s tiles beside the workers. */
    final AtomicInteger outsideWorkers = new AtomicInteger();
    /** {@link TileLoop} runs in flight whose callers are not this pool's workers, working on tiles or not. */
    final AtomicInteger outsideRuns = new AtomicInteger();
    /**
     * Whether every worker is on one NUMA node (or the pool is not NUMA-aware): then a thread from outside
     * may take a worker's place in a {@link TileLoop}, having no node's copy of the data to miss.
     */
    final boolean oneNode;
    /** CPUs this process may use: more awake threads than this, and an idle worker's spin takes a working thread's time. */
    private final int cpus = Runtime.getRuntime().availableProcessors();
    /** When a spinning worker last looked at the clock: a stale beat means the spinner lost its CPU. */
    final SpinBeat spinBeat = new SpinBeat();
    /**
     * Until when (nanoTime) nobody spins: set when a spinning thread finds it was descheduled,
     * which means more runnable threads than CPUs. There, spinning only burns the time slices
     * that the threads we wait for need, and makes the scheduler treat ours as CPU hogs that it
     * wakes last; parking and waking, as ForkJoinPool does, is faster.
     */
    private volatile long congestedUntil = System.nanoTime();
    static final long CONGESTION_NANOS = 20_000_000;
    private final AtomicInteger nextInbox = new AtomicInteger();
    private final AtomicBoolean pinWarned = new AtomicBoolean();
    private final Object closeLock = new Object();
    private volatile int runState = OPEN;
    private final String name;

    ThreadPool(ThreadPoolConfig config, CpuTopology topology, ThreadStarter starter, AffinitySetter affinity) {
        this.config = config;
        this.topology = topology;
        this.affinity = affinity;
        this.stealing = config.enableWorkStealing();
        this.numaAware = config.numaAware() && topology.numNumaNodes() > 0;
        this.spinNanos = config.spinTime().toNanos();
        this.name = "numarrow-pool-" + POOL_IDS.incrementAndGet();
        int n = config.numThreads().orElse(topology.defaultWorkerCount());
        this.placements = WorkerPlacement.plan(topology, n, numaAware, config.pinThreads());
        this.maxSpinners = Math.max(1, Math.min(n - 1, (n + 1) / 2));
        this.oneNode = placements.stream().mapToInt(WorkerPlacement::node).filter(node -> node >= 0).distinct().count() <= 1;
        this.workers = new Worker[n];
        for (int i = 0; i < n; i++) {
            workers[i] = new Worker(this, i, placements.get(i), config.queueCapacity());
        }
        for (Worker w : workers) {
            w.setVictims(workers);
        }
        int started = 0;
        try {
            for (; started < n; started++) {
                Worker w = workers[started];
                w.thread = new WorkerThread(w, name + "-worker-" + started, config.stackSize());
                starter.start(w.thread);
            }
        } catch (OutOfMemoryError | RuntimeException e) {
            runState = DRAINING;
            for (int i = 0; i < started; i++) {
                workers[i].wake();
                LockSupport.unpark(workers[i].thread);
            }
            joinAll(started);
            throw new SystemResourcesException("could not start worker thread " + started + " of " + n
                    + " (stack size " + config.stackSize() + " bytes): " + e, e);
        }
        LOG.debug("{} started {} workers (stealing {}, NUMA-aware {}, pinned {})", name, n, stealing, numaAware,
                config.pinThreads());
    }

    /** Starts a pool as {@code config} says; throws {@link SystemResourcesException} if threads cannot be created. */
    public static ThreadPool init(ThreadPoolConfig config) {
        Objects.requireNonNull(config, "config");
        return new ThreadPool(config, CpuTopology.detect(), Thread::start, defaultAffinitySetter());
    }

    static ThreadPool init(ThreadPoolConfig config, CpuTopology topology) {
        return new ThreadPool(config, topology, Thread::start, defaultAffinitySetter());
    }

    /** Asks the system only when a worker has a mask to set: a pool whose workers keep the inherited one links no native call. */
    private static AffinitySetter defaultAffinitySetter() {
        return cpus -> LinuxSched.isAvailable() ? LinuxSched.setCurrentThreadAffinity(cpus) : -1;
    }

    /**
     * The NUMA node (kernel id) of the calling worker thread, 0 when the caller is not a worker
     * of a NUMA-aware pool: lets a task pick its node's copy of shared data.
     */
    public static int currentNode() {
        Worker w = Worker.current();
        return w != null && w.pool.numaAware ? w.node : 0;
    }

    /** The index of the calling worker thread in its pool, -1 when the caller is not a pool thread. */
    public static int currentWorkerIndex() {
        Worker w = Worker.current();
        return w != null ? w.index : -1;
    }

    public ThreadPoolConfig config() {
        return config;
    }

    /** The topology the pool placed its workers on. */
    public CpuTopology topology() {
        return topology;
    }

    public int size() {
        return workers.length;
    }

    /** Where each worker was meant to run (see {@link WorkerStats#cpu()} for whether pinning took). */
    public List<WorkerPlacement> placements() {
        return placements;
    }

    /** Each worker's counters, by worker index. */
    public List<WorkerStats> stats() {
        List<WorkerStats> list = new ArrayList<>(workers.length);
        for (Worker w : workers) {
            list.add(w.stats());
        }
        return list;
    }

    /** Whether {@link #close()} or {@link #closeNow()} has been called. */
    public boolean isClosed() {
        return runState != OPEN;
    }

    /**
     * Whether the awake workers (running or spinning) and the outside threads working on tiles already
     * fill every CPU: then an idle worker parks rather than spin, or its spin would halve the speed of a
     * thread it shares a CPU with, for a whole JVM (figures: docs/performance.md, "Thread pool").
     */
    boolean cpusFilled() {
        return workers.length - parked.get() + outsideWorkers.get() > cpus;
    }

    boolean isCongested(long now) {
        return congestedUntil - now > 0;
    }

    void markCongested(long now) {
        congestedUntil = now + CONGESTION_NANOS;
    }

    boolean isCancelling() {
        return runState == CANCELLING;
    }

    /**
     * Queues {@code task} and returns its handle. From a worker of this pool the task goes onto
     * that worker's own deque; from any other thread into the workers' inboxes in turn.
     *
     * @throws QueueFullException    when the queue that would take the task is at capacity
     *                               (from outside: when every worker's inbox is)
     * @throws IllegalStateException when the pool is closed (from outside the pool)
     */
    public WorkItem submit(Runnable task) {
        Objects.requireNonNull(task, "task");
        WorkItem item = new WorkItem(task, this);
        enqueue(item, false);
        return item;
    }

    /**
     * Queues a new (or rearmed) item as {@link #submit(Runnable)} queues a task. With {@code wakeTarget},
     * an item from outside also wakes the worker whose inbox takes it if that one is parked, even when
     * another worker spins: for items submitted together, each for a worker of its own, where the one
     * spinner would take only the first and leave the others waiting in parked workers' inboxes.
     */
    void enqueue(WorkItem item, boolean wakeTarget) {
        Worker self = Worker.current();
        if (self != null && self.pool == this) {
            pushOwn(self, item);
            return;
        }
        int start = Math.floorMod(nextInbox.getAndIncrement(), workers.length);
        submitExternal(item, start, wakeTarget);
    }

    private void pushOwn(Worker self, WorkItem item) {
        if (!self.deque.offer(item) && !(purgeStale(self.deque) && self.deque.offer(item))) {
            throw new QueueFullException("worker " + self.index + "'s queue is full (" + self.deque.capacity()
                    + " tasks); await some tasks before submitting more, or raise queueCapacity");
        }
        // no fence on this hot path: a task in our own deque is never stranded, since we pop it
        // ourselves if nobody steals it, so a stale read here can only cost parallelism
        if (parked.get() > 0) {
            signalIdle(self);
        }
    }

    private void submitExternal(WorkItem item, int start, boolean wakeTarget) {
        while (true) {
            for (int k = 0; k < workers.length; k++) {
                Worker w = workers[(start + k) % workers.length];
                if (offerToInbox(w, item)) {
                    if (wakeTarget) {
                        w.wake();
                    }
                    return;
                }
            }
            if (!anyInboxHasRoom()) {
                break;
            }
            // An inbox refuses a put at a slot whose last taker was descheduled between claiming it and
            // freeing it, even with the inbox nearly empty: that is a moment's wait, not a full queue.
            Thread.yield();
        }
        throw new QueueFullException("every worker's queue is full (" + workers.length + " workers × "
                + workers[0].inbox.capacity() + " tasks); await some tasks before submitting more, or raise queueCapacity");
    }

    private boolean anyInboxHasRoom() {
        for (Worker w : workers) {
            if (w.inbox.size() < w.inbox.capacity()) {
                return true;
            }
        }
        return false;
    }

    /** Puts {@code item} in {@code w}'s inbox; false if full; throws if the pool closed. */
    private boolean offerToInbox(Worker w, WorkItem item) {
        if (runState != OPEN) {
            throw closed();
        }
        if (!w.inbox.offer(item) && !(purgeStale(w.inbox) && w.inbox.offer(item))) {
            return false;
        }
        // close() may have begun while we queued: then the worker may already have drained and
        // left, so take the item back unless a worker has already started it (close() may
        // also have cancelled it as a leftover: refused all the same, the caller never had it)
        if (runState != OPEN && (item.cancel() || item.isCancelled())) {
            throw closed();
        }
        signalIdle(w);
        return true;
    }

    /**
     * A task awaited by a thread that ran it itself leaves a stale reference in its queue until
     * a worker skips it. When a queue is full, drop the stale ones at its head so that they do
     * not count against its capacity; returns whether any went.
     */
    private static boolean purgeStale(SubmissionQueue<WorkItem> inbox) {
        boolean any = false;
        while (inbox.pollIf(i -> !i.isNew()) != null) {
            any = true;
        }
        return any;
    }

    /** As for an inbox, at the owner's end of its deque (the caller is the owner). */
    private static boolean purgeStale(WorkStealingQueue<WorkItem> deque) {
        boolean any = false;
        for (WorkItem top = deque.pop(); top != null; top = deque.pop()) {
            if (top.isNew()) {
                deque.push(top); // live: back where it was (we just freed its slot)
                break;
            }
            any = true;
        }
        return any;
    }

    private static IllegalStateException closed() {
        return new IllegalStateException("thread pool is closed; submit refused");
    }

    /**
     * Before {@code taker} runs a task it found: wakes a parked worker if work is still queued. Tasks
     * submitted while a worker spun were left to that one spinner; a long or blocking task of theirs
     * would otherwise keep the others waiting in parked workers' inboxes.
     */
    void wakeForQueuedWork(Worker taker) {
        if (parked.get() > 0 && anyWorkQueued()) {
            signalIdle(taker);
        }
    }

    private boolean anyWorkQueued() {
        for (Worker w : workers) {
            if (!w.deque.isEmpty() || !w.inbox.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * After a task was queued for {@code target}: make sure someone will run it. A parked
     * target is woken; otherwise, with stealing on and nobody spinning, a parked peer is.
     */
    void signalIdle(Worker target) {
        // the task is visible before we read who is parked, and a parking worker announces
        // itself before its last look at the queues: one of us sees the other
        VarHandle.fullFence();
        if (parked.get() == 0) {
            return;
        }
        if (!stealing) {
            target.wake(); // nobody else may run it
            return;
        }
        if ((spinning.get() > 0 && spinBeat.isFresh()) || target.wake()) {
            return; // a spinning worker that has a CPU steals it sooner than a parked one wakes up
        }
        int start = target.index;
        for (int k = 1; k <= workers.length; k++) {
            if (workers[(start + k) % workers.length].wake()) {
                return;
            }
        }
    }

    /**
     * Waits for {@code item} on any thread while helping: a worker runs its own and others'
     * tasks meanwhile (as {@link WorkItem#await()} does there); another thread, when stealing
     * is on, runs the item itself if no worker has started it, or steals other tasks.
     */
    public void awaitHelping(WorkItem item) throws InterruptedException, ExecutionException {
        Objects.requireNonNull(item, "item");
        if (Worker.current() == null && stealing && item.pool == this) {
            helpFromOutside(item);
        }
        item.await();
    }

    private void helpFromOutside(WorkItem item) {
        while (!item.isDone()) {
            WorkItem other = item.isNew() ? item : stealForOutsider();
            if (other == null) {
                return; // nothing to help with: wait normally
            }
            if (isCancelling()) {
                other.cancel();
            } else {
                other.run();
            }
        }
    }

    private WorkItem stealForOutsider() {
        for (Worker v : workers) {
            Object got = v.deque.steal();
            if (got == WorkStealingQueue.LOST_RACE) {
                got = v.deque.steal();
            }
            if (got instanceof WorkItem w) {
                return w;
            }
            WorkItem w = v.inbox.poll();
            if (w != null) {
                return w;
            }
        }
        return null;
    }

    void applyPlacement(Worker w, WorkerPlacement p) {
        if (p.allowedCpus().isEmpty()) {
            return;
        }
        int rc;
        try {
            rc = affinity.apply(p.allowedCpus());
        } catch (RuntimeException e) {
            rc = -1;
        }
        w.pinned = rc == 0 && p.cpu() >= 0;
        if (rc != 0 && pinWarned.compareAndSet(false, true)) {
            LOG.warn("{}: could not restrict worker {} to CPUs {} (sched_setaffinity: {}); workers run unpinned",
                    name, w.index, CpuTopology.formatCpuList(p.allowedCpus()),
                    rc == -1 ? "not available" : "errno " + rc);
        }
    }

    void workerExited(Worker w) {
        LOG.trace("{} worker {} exited", name, w.index);
    }

    /**
     * Stops accepting tasks from outside the pool, lets every accepted task run, then joins every
     * worker. Idempotent; must not be called from one of this pool's own workers.
     */
    @Override
    public void close() {
        shutdown(DRAINING);
    }

    /**
     * Stops accepting tasks and cancels every task not yet started (their {@code await} throws
     * {@link java.util.concurrent.CancellationException}); running tasks finish. Then joins every
     * worker. Idempotent.
     */
    public void closeNow() {
        shutdown(CANCELLING);
    }

    private void shutdown(int mode) {
        Worker self = Worker.current();
        if (self != null && self.pool == this) {
            throw new IllegalStateException("close() called from a worker of " + name + " would wait for itself");
        }
        synchronized (closeLock) {
            if (runState < mode) {
                runState = mode;
            }
        }
        for (Worker w : workers) {
            w.wake();
        }
        joinAll(workers.length);
        cancelLeftovers();
    }

    /**
     * Once every worker has drained its queues, only a submit that raced close() can have left
     * a task behind; it is cancelled here, and that submit throws.
     */
    private void cancelLeftovers() {
        for (Worker w : workers) {
            for (Object o = w.deque.steal(); o != null; o = w.deque.steal()) {
                if (o instanceof WorkItem item && item.cancel()) {
                    LOG.debug("{}: cancelled a task left in worker {}'s queue after close", name, w.index);
                }
            }
            for (WorkItem item = w.inbox.poll(); item != null; item = w.inbox.poll()) {
                if (item.cancel()) {
                    LOG.debug("{}: cancelled a task a racing submit left in worker {}'s inbox", name, w.index);
                }
            }
        }
    }

    private void joinAll(int count) {
        boolean interrupted = false;
        for (int i = 0; i < count; i++) {
            Thread t = workers[i].thread;
            while (t != null && t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true; // keep joining: a half-closed pool would leak threads
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every worker thread has ended. */
    public boolean isTerminated() {
        for (Worker w : workers) {
            if (w.thread != null && w.thread.isAlive()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return name + "[" + workers.length + " workers, " + (isClosed() ? "closed" : "open") + "]";
    }
}
