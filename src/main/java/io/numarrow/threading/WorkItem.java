package io.numarrow.threading;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * A task submitted to a {@link ThreadPool}: poll {@link #isDone()} or wait with {@link #await()}.
 * A task's exception is kept and rethrown, wrapped in an {@link ExecutionException}, by
 * {@code await}.
 */
public final class WorkItem {
    private final Runnable task;
    private volatile boolean done;
    private volatile Throwable failure;
    private volatile boolean cancelled;
    private volatile Thread waiter;

    WorkItem(Runnable task) {
        this.task = task;
    }

    /** Runs the task on the calling thread; called once, by a worker. */
    void run() {
        try {
            task.run();
        } catch (Throwable t) {
            failure = t;
        } finally {
            complete();
        }
    }

    /** Marks the item cancelled without running it (the pool closed first). */
    void cancel() {
        cancelled = true;
        complete();
    }

    private void complete() {
        done = true;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    public boolean isDone() {
        return done;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Waits until the task has run; rethrows its exception wrapped. */
    public void await() throws InterruptedException, ExecutionException {
        while (!done) {
            waiter = Thread.currentThread();
            if (!done) {
                LockSupport.park(this);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        report();
    }

    /** Waits at most {@code timeout}; throws {@link TimeoutException} if the task has not run by then. */
    public void await(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("work item not done after " + timeout);
            }
            waiter = Thread.currentThread();
            if (!done) {
                LockSupport.parkNanos(this, left);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        report();
    }

    private void report() throws ExecutionException {
        if (cancelled) {
            throw new CancellationException("the pool closed before this work item ran");
        }
        Throwable t = failure;
        if (t != null) {
            throw new ExecutionException("task failed: " + t, t);
        }
    }
}
