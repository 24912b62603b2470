package io.numarrow.threading;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A task submitted to a {@link ThreadPool}: poll {@link #isDone()} or wait with {@link #await()}.
 * A task's exception is kept and rethrown, wrapped in an {@link ExecutionException}, by
 * {@code await}; a task the pool cancelled on {@link ThreadPool#closeNow()} makes {@code await}
 * throw {@link CancellationException}.
 *
 * <p>Called on a worker thread, {@code await} does not block the worker: it runs other queued
 * tasks (its own first) until this one is done, so a task may wait for tasks it submitted even
 * when every worker is waiting. Called on any other thread it spins while it has a CPU to
 * itself, then parks; the task always runs on a worker (so the pool's stack size, pinning and
 * node apply), unless the caller opts into {@link ThreadPool#awaitHelping(WorkItem)}.
 *
 * <p>A task runs at most once: whoever moves it from new to running runs it, and a copy of
 * the reference left in another queue is skipped.
 */
public final class WorkItem {
    private static final int NEW = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;
    private static final int CANCELLED = 3;

    /**
     * Spins of an outside waiter before it parks: about 6 µs (a pause is some 60 cycles), ample
     * for a tiny task on a hot worker, short enough not to crowd the workers of a long one.
     */
    private static final int AWAIT_SPINS = 1 << 8;

    private static final VarHandle STATE;
    private static final VarHandle WAITERS;
    private static final Waiter COMPLETED = new Waiter(null, null);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(WorkItem.class, "state", int.class);
            WAITERS = l.findVarHandle(WorkItem.class, "waiters", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A thread parked in {@code await}, in a lock-free stack the completing thread empties. */
    private record Waiter(Thread thread, Waiter next) {
    }

    /** Told when a task completes or is cancelled: how a {@link TileLoop} counts its helpers without a waiter node. */
    interface CompletionListener {
        void completed(WorkItem item);
    }

    private Runnable task;
    private volatile int state;
    private volatile Waiter waiters;
    private Throwable failure;
    final ThreadPool pool;
    private final CompletionListener listener;
    /** The task a reusable item runs each time it is rearmed (null for a one-shot item). */
    private final Runnable reusableTask;

    WorkItem(Runnable task, ThreadPool pool) {
        this.task = task;
        this.pool = pool;
        this.listener = null;
        this.reusableTask = null;
    }

    /**
     * An item to be run again and again with the same task, for dispatch that allocates nothing: it
     * starts completed, and {@link #rearm()} makes it new before each submit.
     */
    WorkItem(Runnable task, ThreadPool pool, CompletionListener listener) {
        this.pool = pool;
        this.listener = listener;
        this.reusableTask = task;
        this.state = DONE;
    }

    /**
     * Makes a completed reusable item new again. A reference to it left in a queue by an earlier run
     * (see {@link ThreadPool#awaitHelping}) may then claim this run: still exactly one runner per run,
     * which is all the queues need.
     */
    void rearm() {
        if (reusableTask == null || state < DONE) {
            throw new IllegalStateException("only a completed reusable work item can be rearmed: " + this);
        }
        failure = null;
        waiters = null;
        task = reusableTask;
        state = NEW; // the volatile write publishes the fields above to whoever claims it
    }

    /**
     * Runs the task on the calling thread unless another thread has run or cancelled it;
     * returns whether this call ran it.
     */
    boolean run() {
        if (!claim()) {
            return false;
        }
        runClaimed();
        return true;
    }

    /** Takes the right to run the task; true for exactly one caller, unless cancelled first. */
    boolean claim() {
        return STATE.compareAndSet(this, NEW, RUNNING);
    }

    /** Runs the task after a successful {@link #claim()}. */
    void runClaimed() {
        Runnable t = task;
        task = null; // the closure may hold large buffers; do not keep them alive after the run
        try {
            t.run();
        } catch (Throwable e) {
            failure = e;
        }
        complete(DONE);
    }

    /** Marks the item cancelled unless it has started; returns whether it did. */
    boolean cancel() {
        if (!STATE.compareAndSet(this, NEW, CANCELLED)) {
            return false;
        }
        task = null;
        complete(CANCELLED);
        return true;
    }

    private void complete(int finalState) {
        // the volatile write publishes failure (written before) to whoever reads state; a
        // waiter pushes itself and then reads state, we write state and then read waiters:
        // one of us sees the other, so the common no-waiter case needs no atomic here
        state = finalState;
        if (waiters != null) {
            Waiter w = (Waiter) WAITERS.getAndSet(this, COMPLETED);
            for (; w != null && w != COMPLETED; w = w.next()) {
                LockSupport.unpark(w.thread());
            }
        }
        if (listener != null) {
            listener.completed(this);
        }
    }

    /** Whether the task has finished (normally or not) or was cancelled. */
    public boolean isDone() {
        return state >= DONE;
    }

    /** Whether the pool cancelled the task before it ran. */
    public boolean isCancelled() {
        return state == CANCELLED;
    }

    /** Whether the task finished by throwing. */
    public boolean isFailed() {
        return state == DONE && failure != null;
    }

    /** Whether the task has not started yet (a hint; it may start at any moment). */
    boolean isNew() {
        return state == NEW;
    }

    /**
     * Waits until the task has run; rethrows its exception wrapped in an
     * {@link ExecutionException}, or throws {@link CancellationException} if the pool
     * cancelled it. On a worker thread the wait runs other tasks meanwhile.
     */
    public void await() throws InterruptedException, ExecutionException {
        if (!isDone()) {
            Worker w = Worker.current();
            if (w != null) {
                w.helpUntilDone(this, Long.MAX_VALUE);
            } else {
                block(Long.MAX_VALUE);
            }
        }
        report();
    }

    /**
     * Waits at most {@code timeout}; throws {@link TimeoutException} if the task has not
     * finished by then, otherwise as {@link #await()}.
     */
    public void await(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        if (!isDone()) {
            long deadline = deadline(timeout);
            Worker w = Worker.current();
            boolean done;
            if (w != null) {
                done = w.helpUntilDone(this, deadline);
            } else {
                done = block(deadline);
            }
            if (!done) {
                throw new TimeoutException("work item not done after " + timeout);
            }
        }
        report();
    }

    /** Like {@link #await()} but without checked exceptions: failures come back unchecked. */
    public void join() {
        try {
            await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a work item", e);
        } catch (ExecutionException e) {
            throw unchecked(e.getCause(), "task");
        }
    }

    /**
     * A failure of {@code what} (a task, a tile) to rethrow: an unchecked exception as it was, an
     * error thrown from here, a checked exception wrapped.
     */
    static RuntimeException unchecked(Throwable cause, String what) {
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(what + " failed: " + cause, cause);
    }

    static long deadline(Duration timeout) {
        long now = System.nanoTime();
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        long d = now + Math.max(0, nanos);
        return d < now ? Long.MAX_VALUE : d; // overflow: wait for ever
    }

    /**
     * Waits without running other work: spins a little, then parks until the completing thread
     * wakes us or {@code deadline} (a {@link System#nanoTime()}) passes. Returns whether done.
     */
    boolean block(long deadline) throws InterruptedException {
        long last = System.nanoTime();
        int spins = pool != null && pool.isCongested(last) ? 0 : AWAIT_SPINS;
        for (int i = 1; i <= spins; i++) {
            if (isDone()) {
                return true;
            }
            Thread.onSpinWait();
            if ((i & 63) == 0) {
                // no time limit: AWAIT_SPINS bounds this spin
                last = Spin.check(pool, last, Long.MAX_VALUE, last);
                if (last == Spin.STOP) {
                    break;
                }
            }
        }
        return park(deadline);
    }

    /** Parks until done or the deadline; the caller has already spun. */
    boolean park(long deadline) throws InterruptedException {
        if (!pushWaiter()) {
            return true;
        }
        while (!isDone()) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (deadline == Long.MAX_VALUE) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
        }
        return true;
    }

    /** Registers the calling thread to be unparked on completion; false if already complete. */
    boolean pushWaiter() {
        Thread me = Thread.currentThread();
        while (true) {
            Waiter head = waiters;
            if (head == COMPLETED) {
                return false;
            }
            if (WAITERS.compareAndSet(this, head, new Waiter(me, head))) {
                return true;
            }
        }
    }

    private void report() throws ExecutionException {
        if (state == CANCELLED) {
            throw new CancellationException("the pool was closed with closeNow() before this work item ran");
        }
        Throwable t = failure;
        if (t != null) {
            throw new ExecutionException("task failed: " + t, t);
        }
    }

    @Override
    public String toString() {
        return switch (state) {
            case NEW -> "WorkItem[queued]";
            case RUNNING -> "WorkItem[running]";
            case DONE -> failure == null ? "WorkItem[done]" : "WorkItem[failed: " + failure + "]";
            default -> "WorkItem[cancelled]";
        };
    }
}
