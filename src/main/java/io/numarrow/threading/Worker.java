package io.numarrow.threading;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * One thread of a {@link ThreadPool} with its two queues: a {@link WorkStealingQueue} for the
 * tasks it submits itself (pushed and popped at one end, stolen at the other) and a
 * {@link SubmissionQueue} inbox for tasks submitted from outside.
 *
 * <p>Looking for work, a worker pops its own deque, then polls its inbox, then (when stealing
 * is on) steals from the other workers, those of its own NUMA node first. Idle, it keeps looking
 * for the pool's spin time, then parks until a submit wakes it.
 */
public final class Worker {
    static final int RUNNING = 0;
    static final int PARKED = 1;

    private static final VarHandle STATE;
    private static final VarHandle TASKS_RUN;
    private static final VarHandle STEALS;
    private static final VarHandle FAILED_STEALS;
    private static final VarHandle PARKS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Worker.class, "state", int.class);
            TASKS_RUN = l.findVarHandle(Worker.class, "tasksRun", long.class);
            STEALS = l.findVarHandle(Worker.class, "steals", long.class);
            FAILED_STEALS = l.findVarHandle(Worker.class, "failedSteals", long.class);
            PARKS = l.findVarHandle(Worker.class, "parks", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Attempts at one victim after losing races to other thieves, before moving on. */
    private static final int STEAL_RETRIES = 4;
    /** Longest park of a worker helping while it waits, before it looks for work again. */
    private static final long MAX_HELP_PARK_NANOS = 1_000_000;

    final ThreadPool pool;
    final int index;
    final int node;
    final WorkStealingQueue<WorkItem> deque;
    final SubmissionQueue<WorkItem> inbox;
    private final WorkerPlacement placement;
    /** Other workers in the order this one steals from them: same node first. */
    Worker[] sameNodeVictims = new Worker[0];
    Worker[] otherVictims = new Worker[0];
    private int random;
    WorkerThread thread;
    private volatile int state;
    volatile boolean pinned;

    // counters written only by this worker's thread (opaque, so readers see whole values)
    private long tasksRun;
    private long steals;
    private long failedSteals;
    private long parks;

    Worker(ThreadPool pool, int index, WorkerPlacement placement, int queueCapacity) {
        this.pool = pool;
        this.index = index;
        this.placement = placement;
        this.node = placement.node();
        this.deque = new WorkStealingQueue<>(queueCapacity);
        this.inbox = new SubmissionQueue<>(queueCapacity);
        this.random = 0x9E3779B9 * (index + 1);
    }

    /** The worker running the calling thread, or null when it is not a pool thread. */
    static Worker current() {
        return Thread.currentThread() instanceof WorkerThread t ? t.worker : null;
    }

    void setVictims(Worker[] all) {
        List<Worker> same = new ArrayList<>();
        List<Worker> other = new ArrayList<>();
        for (Worker w : all) {
            if (w != this) {
                (w.node == node ? same : other).add(w);
            }
        }
        sameNodeVictims = same.toArray(Worker[]::new);
        otherVictims = other.toArray(Worker[]::new);
    }

    public int index() {
        return index;
    }

    /** The kernel id of this worker's NUMA node, -1 when its pool is not NUMA-aware. */
    public int node() {
        return node;
    }

    public WorkerStats stats() {
        return new WorkerStats(index, node, pinned ? placement.cpu() : -1, (long) TASKS_RUN.getOpaque(this),
                (long) STEALS.getOpaque(this), (long) FAILED_STEALS.getOpaque(this), (long) PARKS.getOpaque(this));
    }

    void run() {
        pool.applyPlacement(this, placement);
        try {
            while (true) {
                WorkItem item = findWork();
                if (item == null) {
                    item = idle();
                    if (item == null) {
                        return; // the pool is closing and this worker's queues are empty
                    }
                }
                pool.wakeForQueuedWork(this);
                runItem(item);
            }
        } finally {
            pool.workerExited(this);
        }
    }

    /** Runs (or, when the pool is cancelling, cancels) {@code item} on this thread. */
    void runItem(WorkItem item) {
        if (pool.isCancelling()) {
            item.cancel();
        } else if (item.claim()) {
            // counted before the run, so whoever sees the item done also sees the count
            TASKS_RUN.setOpaque(this, tasksRun + 1);
            item.runClaimed();
        }
        // a task's interrupt must not leak into the next task or make park() return at once
        Thread.interrupted();
    }

    /** This worker's next task, or null when there is none anywhere it may look. */
    WorkItem findWork() {
        WorkItem item = deque.pop();
        if (item != null) {
            return item;
        }
        item = inbox.poll();
        if (item != null) {
            return item;
        }
        return pool.stealing ? steal() : null;
    }

    private WorkItem steal() {
        WorkItem item = stealFrom(sameNodeVictims);
        return item != null ? item : stealFrom(otherVictims);
    }

    private WorkItem stealFrom(Worker[] victims) {
        int n = victims.length;
        if (n == 0) {
            return null;
        }
        int start = nextRandom(n);
        for (int k = 0; k < n; k++) {
            Worker v = victims[(start + k) % n];
            Object got = v.deque.steal();
            for (int retry = 0; got == WorkStealingQueue.LOST_RACE; retry++) {
                FAILED_STEALS.setOpaque(this, failedSteals + 1);
                got = retry < STEAL_RETRIES ? v.deque.steal() : null;
            }
            WorkItem item = got != null ? (WorkItem) got : v.inbox.poll();
            if (item != null) {
                STEALS.setOpaque(this, steals + 1);
                if (pool.parked.get() > 0 && (!v.deque.isEmpty() || !v.inbox.isEmpty())) {
                    pool.signalIdle(v); // more where that came from: let another idle worker help
                }
                return item;
            }
        }
        return null;
    }

    private int nextRandom(int bound) {
        int x = random;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        random = x;
        return (x & Integer.MAX_VALUE) % bound;
    }

    private boolean ownQueuesEmpty() {
        return deque.isEmpty() && inbox.isEmpty();
    }

    /**
     * Spins for the pool's spin time looking for work, then parks; repeats after each wake-up.
     * Returns the work found, or null when the pool is closing and this worker's queues are empty.
     */
    private WorkItem idle() {
        while (true) {
            // a few spinners pick up new work as fast as many would, and leave CPUs to the
            // threads that submit it; the others park at once
            long last = System.nanoTime();
            boolean spin = pool.spinning.incrementAndGet() <= pool.maxSpinners && !pool.isCongested(last)
                    && !pool.cpusFilled();
            long start = last;
            for (int spins = 1; spin; spins++) {
                WorkItem item = findWork();
                if (item != null) {
                    pool.spinning.decrementAndGet();
                    return item;
                }
                if (pool.isClosed() && ownQueuesEmpty()) {
                    pool.spinning.decrementAndGet();
                    return null;
                }
                if ((spins & 15) == 0) {
                    // stop spinning after the spin time, or at once when the OS took our CPU away
                    // for a while: on an oversubscribed machine a parked worker that a submit
                    // wakes gets a CPU sooner than a spinning one waiting for its turn
                    last = Spin.check(pool, start, pool.spinNanos, last);
                    if (last == Spin.STOP) {
                        break;
                    }
                    if (pool.cpusFilled()) {
                        break; // a caller has started working beside the workers: leave it the CPU
                    }
                    pool.spinBeat.beat(last);
                }
                Thread.onSpinWait();
            }
            // announce the park before the last look, so that a submit either sees us parked
            // (and wakes us) or we see its task; counted before marked, so that a waker's
            // decrement never runs ahead of our increment and no submitter reads a count too
            // low to wake a parked worker
            pool.parked.incrementAndGet();
            STATE.setVolatile(this, PARKED);
            pool.spinning.decrementAndGet();
            WorkItem item = findWork();
            boolean exit = item == null && pool.isClosed() && ownQueuesEmpty();
            if (item == null && !exit) {
                PARKS.setOpaque(this, parks + 1);
                if (pool.isClosed()) {
                    LockSupport.parkNanos(this, 1_000_000); // closing: look again soon, no wake-up promised
                } else {
                    LockSupport.park(this);
                }
                Thread.interrupted();
            }
            if (STATE.compareAndSet(this, PARKED, RUNNING)) {
                pool.parked.decrementAndGet(); // not woken by a submit: undo our own announcement
            }
            if (item != null || exit) {
                return item;
            }
        }
    }

    /** Called by a submitting thread: wakes this worker if it is parked. */
    boolean wake() {
        if (state == PARKED && STATE.compareAndSet(this, PARKED, RUNNING)) {
            pool.parked.decrementAndGet();
            LockSupport.unpark(thread);
            return true;
        }
        return false;
    }

    /**
     * Waits on this worker's thread for {@code item}, running other work meanwhile: this
     * worker's own tasks first (often the very task awaited), then, when stealing is on, the
     * awaited task itself if no one has started it, then others' tasks. Returns false if
     * {@code deadline} passed first.
     */
    boolean helpUntilDone(WorkItem item, long deadline) throws InterruptedException {
        long parkNanos = 10_000;
        int idleSpins = 0;
        boolean registered = false;
        while (!item.isDone()) {
            WorkItem other = deque.pop();
            if (other == null) {
                other = inbox.poll();
            }
            if (other == null && pool.stealing) {
                if (item.isNew() && item.pool == pool) {
                    other = item;
                } else {
                    other = steal();
                }
            }
            if (other != null) {
                runItem(other);
                idleSpins = 0;
                parkNanos = 10_000;
                continue;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline > 0) {
                return item.isDone();
            }
            if (++idleSpins < 1 << 10) {
                Thread.onSpinWait();
                continue;
            }
            // nothing to run: sleep until the item completes, looking for work now and then
            // because no submit wakes a worker that is not parked in its idle loop
            if (!registered) {
                registered = true;
                if (!item.pushWaiter()) {
                    break; // completed meanwhile
                }
            }
            {
                long wait = Math.min(parkNanos, deadline == Long.MAX_VALUE ? parkNanos : deadline - System.nanoTime());
                if (wait > 0 && !item.isDone()) {
                    LockSupport.parkNanos(item, wait);
                }
            }
            parkNanos = Math.min(MAX_HELP_PARK_NANOS, parkNanos * 2);
        }
        return true;
    }
}
