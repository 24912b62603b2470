package io.numarrow.threading;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A loop over tiles {@code 0 .. tiles-1} spread over a pool, built to run again and again without
 * allocating: a subclass keeps the call's operands in its own fields and says in
 * {@link #runTile(int, int)} what one tile does; {@link #run(int)} runs them all and returns when
 * every one is done.
 *
 * <p>Instead of a task per tile, a few helper tasks (one per worker at most, each a
 * {@link WorkItem} made once and rearmed per run) and the caller claim tiles from a shared counter
 * until none are left, so uneven tiles even out without stealing, and a run queues no more than
 * {@code pool.size()} items whatever its tile count.
 *
 * <p>Who works: a pool worker running a loop (a nested call) works on it and runs its own queued
 * tasks while it waits. A thread from outside the pool works in a worker's place (it queues one helper
 * fewer, so no more threads run tiles than the pool has workers): its share beats waking a worker and
 * being woken at the end. It leaves a run of more tiles than workers to the workers and waits only
 * when other outside runs are in flight on the pool (their callers and helpers keep every worker busy:
 * working beside them would make one thread more than the pool was sized for) or when the workers sit
 * on several NUMA nodes (the caller has no node's copy of the data); docs/performance.md, "Thread pool".
 *
 * <p>A busy pool does not fail or stall a run: when no worker's queue has room for a helper, or no
 * worker has started one after {@link #STALLED_NANOS}, the caller runs the tiles itself.
 *
 * <p>A tile that throws stops the loop: tiles not yet claimed are skipped, those running finish,
 * and {@code run} rethrows the first failure. Helpers the pool cancels ({@link ThreadPool#closeNow()})
 * leave their tiles to the caller, which finishes them: a run never returns with tiles undone
 * and no exception.
 *
 * <p>One run at a time: a caller that may run loops concurrently keeps one loop per concurrent caller.
 */
public abstract class TileLoop {
    /** Tiles per worker a caller cuts its work into: enough to even out uneven tiles, few enough to keep the overhead small. */
    static final int TILES_PER_WORKER = 4;
    /**
     * How long an outside caller that left every tile to the workers spins before it parks: tiles of a
     * large call are long. One that worked spins {@link Spin#OUTSIDE_CALLER_SPIN_NANOS}.
     */
    static final long WAITING_SPIN_NANOS = 5_000;
    /**
     * A caller that left the tiles to the workers runs them itself when no worker has started any after
     * this long: the workers are busy with other tasks (a parked worker wakes in well under this).
     */
    static final long STALLED_NANOS = 1_000_000;

    private static final VarHandle FAILURE;

    static {
        try {
            FAILURE = MethodHandles.lookup().findVarHandle(TileLoop.class, "failure", Throwable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ThreadPool pool;
    private final WorkItem[] helpers;
    private final AtomicInteger nextTile = new AtomicInteger();
    /** Helpers of this run not yet completed (run or cancelled). */
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread waiter;
    @SuppressWarnings("unused") // through FAILURE
    private volatile Throwable failure;
    /** Tiles of the current run; published to helpers by their queueing. */
    private int tiles;
    private int submitted;

    protected TileLoop(ThreadPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.helpers = new WorkItem[pool.size()];
        Runnable drain = this::drain;
        WorkItem.CompletionListener done = item -> helperCompleted();
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new WorkItem(drain, pool, done);
        }
    }

    public final ThreadPool pool() {
        return pool;
    }

    /** Does tile {@code tile} of {@code tiles}; called once per tile per run, on any thread. */
    protected abstract void runTile(int tile, int tiles);

    /**
     * Runs tiles {@code 0 .. tiles-1} and returns when all are done; rethrows the first tile's failure
     * (an unchecked exception or error as it was, a checked one wrapped). An interrupt does not end
     * the wait, since tiles write into the caller's memory; it is kept for the caller to see.
     *
     * @throws IllegalStateException if the pool is closed (after the tiles already started finish)
     */
    public final void run(int tiles) {
        if (tiles <= 0) {
            return;
        }
        if (tiles == 1) {
            runTile(0, 1); // one thread's work: no helper, nothing to count
            return;
        }
        Worker self = Worker.current();
        boolean outside = self == null || self.pool != pool;
        if (!outside) {
            run(tiles, false, true, self);
            return;
        }
        // alone on a pool over one node, an outside caller takes a worker's place whatever the tile
        // count; with others in flight it leaves large runs to the workers, which theirs keep busy
        boolean alone = pool.outsideRuns.incrementAndGet() == 1;
        boolean callerWorks = tiles <= pool.size() || alone && pool.oneNode;
        // an outside caller working on tiles takes a CPU: idle workers must not spin on it meanwhile
        if (callerWorks) {
            pool.outsideWorkers.incrementAndGet();
        }
        try {
            run(tiles, true, callerWorks, self);
        } finally {
            if (callerWorks) {
                pool.outsideWorkers.decrementAndGet();
            }
            pool.outsideRuns.decrementAndGet();
        }
    }

    private void run(int tiles, boolean outside, boolean callerWorks, Worker self) {
        // a caller that works takes a worker's place: no more than pool.size() threads run tiles
        int wanted = callerWorks ? Math.min(helpers.length - 1, tiles - 1) : Math.min(helpers.length, tiles);
        if (wanted == 0) {
            for (int t = 0; t < tiles; t++) {
                runTile(t, tiles);
            }
            return;
        }
        this.tiles = tiles;
        FAILURE.setVolatile(this, null);
        nextTile.set(0);
        submitted = 0;
        RuntimeException refused = null;
        for (int i = 0; i < wanted; i++) {
            WorkItem h = helpers[i];
            awaitCompleted(h);
            pending.incrementAndGet();
            h.rearm();
            submitted++;
            try {
                pool.enqueue(h, wanted > 1);
            } catch (QueueFullException e) {
                h.cancel(); // never queued: counts as completed
                callerWorks = true; // the pool is busy with other work: do ours rather than fail
                break;
            } catch (RuntimeException e) {
                h.cancel(); // never queued, or taken back by a closing pool: counts as completed
                refused = e;
                nextTile.set(tiles); // the run fails: the helpers already out stop at their tile
                break;
            }
        }
        if (refused == null && callerWorks) {
            drain();
        }
        awaitHelpers(self, outside, callerWorks);
        if (refused != null) {
            throw refused;
        }
        if (failure == null && nextTile.get() < tiles) {
            drain(); // helpers cancelled by closeNow(): their tiles are still ours to do
        }
        Throwable f = failure;
        if (f != null) {
            FAILURE.setVolatile(this, null); // nothing of the failed run is kept reachable
            throw WorkItem.unchecked(f, "a tile");
        }
    }

    /** Claims and runs tiles until none are left; a failure stops the claiming. */
    private void drain() {
        int n = tiles;
        try {
            for (int t = nextTile.getAndIncrement(); t < n; t = nextTile.getAndIncrement()) {
                runTile(t, n);
            }
        } catch (Throwable e) {
            FAILURE.compareAndSet(this, null, e);
            nextTile.set(n);
        }
    }

    private void helperCompleted() {
        if (pending.decrementAndGet() == 0) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    private void awaitHelpers(Worker self, boolean outside, boolean callerWorks) {
        if (pending.get() == 0) {
            return;
        }
        boolean interrupted = false;
        if (!outside) {
            // a worker runs its own queue meanwhile (its helpers first, often still there)
            for (int i = 0; i < submitted; i++) {
                while (true) {
                    try {
                        self.helpUntilDone(helpers[i], Long.MAX_VALUE);
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
        } else {
            spin(callerWorks);
            waiter = Thread.currentThread();
            long since = System.nanoTime();
            while (pending.get() > 0) {
                if (callerWorks) {
                    claimUnstarted();
                    LockSupport.park(this);
                } else if (noneStarted() && System.nanoTime() - since > STALLED_NANOS) {
                    // every worker is busy with other tasks: run the tiles here rather than wait
                    claimUnstarted();
                } else {
                    LockSupport.parkNanos(this, STALLED_NANOS);
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
            waiter = null;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Spins while the helpers are likely to finish soon and the caller has a CPU of its own: a gap in
     * the clock means the OS gave our CPU to another thread, likely a worker we wait for, so we park.
     */
    private void spin(boolean callerWorks) {
        long start = System.nanoTime();
        if (pool.isCongested(start)) {
            return;
        }
        long limit = callerWorks ? Spin.OUTSIDE_CALLER_SPIN_NANOS : WAITING_SPIN_NANOS;
        long last = start;
        for (int i = 1; pending.get() > 0; i++) {
            if (callerWorks && (i & 7) == 0) {
                claimUnstarted();
            }
            Thread.onSpinWait();
            if ((i & 63) == 0) {
                last = Spin.check(pool, start, limit, last);
                if (last == Spin.STOP) {
                    return;
                }
            }
        }
    }

    private boolean noneStarted() {
        for (int i = 0; i < submitted; i++) {
            if (!helpers[i].isNew()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Once the caller has no tiles left to claim, a helper no worker has started has nothing to do
     * either: the caller runs it (it returns at once) rather than wait for a worker to wake for it.
     */
    private void claimUnstarted() {
        for (int i = 0; i < submitted; i++) {
            WorkItem h = helpers[i];
            if (h.isNew()) {
                h.run();
            }
        }
    }

    /**
     * A helper's last run has counted itself completed but may still be leaving {@code complete()};
     * it is marked done before it counts, so this returns at once but for a thread preempted there.
     */
    private static void awaitCompleted(WorkItem h) {
        while (!h.isDone()) {
            Thread.yield();
        }
    }
}
