package io.numarrow.compute;

import io.numarrow.io.MappedIpcSink;
import io.numarrow.jit.KernelCompile;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.WorkItem;

/**
 * While the calling thread waits for the kernels' compile (a fresh JVM: the compiler takes one core,
 * the pool's workers sit idle), one pool task puts the input's kept columns in place in the in-place
 * output ({@link MappedIpcSink#copyNextInputAhead}), batch after batch, until {@link #close} stops it;
 * the batches' finishes then skip what it did. A pool task rather than a thread of its own, as the
 * batches' finishes are: the job's work stays the pool's. In a JVM whose kernels are compiled already
 * there is no such wait, and nothing is submitted.
 *
 * <p>{@link #close} returns only once the task has ended (it writes into the sink the caller may be
 * about to close), and throws what stopped the copy, if anything did.
 */
final class InputCopyAhead implements AutoCloseable {
    private final MappedIpcSink sink;
    private volatile boolean stop;
    private WorkItem task;

    private InputCopyAhead(MappedIpcSink sink) {
        this.sink = sink;
    }

    /** Starts copying ahead into {@code sink} on {@code pool} unless it is null or the kernels are compiled already; null when not started. */
    static InputCopyAhead start(MappedIpcSink sink, ThreadPool pool) {
        return sink == null || KernelCompile.result() != null ? null : startCopying(sink, pool);
    }

    /** Starts copying ahead into {@code sink} on {@code pool}, whatever the kernels' state (tests); null if the pool takes no task. */
    static InputCopyAhead startCopying(MappedIpcSink sink, ThreadPool pool) {
        InputCopyAhead ahead = new InputCopyAhead(sink);
        try {
            ahead.task = pool.submit(ahead::copy);
        } catch (RuntimeException e) { // a full queue, a closing pool: the finishes copy every batch
            return null;
        }
        return ahead;
    }

    private void copy() {
        while (!stop && sink.copyNextInputAhead()) {
            // batch after batch until stopped or done
        }
    }

    /** Stops the copy after the batch in hand and waits for the task, interrupts or not. */
    @Override
    public void close() {
        stop = true;
        awaitEnd();
    }

    /** Waits, interrupts or not, for the task to end, by {@link #close} or by itself (every batch copied, or a failure). */
    void awaitEnd() {
        SinkTaskWait.await(task, "copying the input's columns ahead");
    }
}
