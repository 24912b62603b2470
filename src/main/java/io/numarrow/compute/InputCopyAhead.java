package io.numarrow.compute;

import io.numarrow.io.MappedIpcSink;
import io.numarrow.jit.KernelCompile;

/**
 * One of the job's I/O stages: while the calling thread waits for the kernels' compile (a fresh JVM:
 * the compiler takes one core, the other would sit idle), a thread of its own puts the input's kept
 * columns in place in the in-place output ({@link MappedIpcSink#copyNextInputAhead}), batch after batch,
 * until {@link #close} stops it; the batches' finishes then skip what it did. In a JVM whose kernels
 * are compiled already there is no such wait, and none is started.
 *
 * <p>{@link #close} returns only once the thread has ended (it writes into the sink the caller may be
 * about to close), and throws what stopped the copy, if anything did.
 */
final class InputCopyAhead implements AutoCloseable {
    private final MappedIpcSink sink;
    private final Thread thread;
    private volatile boolean stop;
    private Throwable failure; // written by the thread, read after joining it

    private InputCopyAhead(MappedIpcSink sink) {
        this.sink = sink;
        this.thread = new Thread(this::copy, "numarrow-input-copy-ahead");
        thread.setDaemon(true);
    }

    /** Starts copying ahead into {@code sink} unless it is null or the kernels are compiled already; null when not started. */
    static InputCopyAhead start(MappedIpcSink sink) {
        return sink == null || KernelCompile.result() != null ? null : startCopying(sink);
    }

    /** Starts copying ahead into {@code sink}, whatever the kernels' state (tests). */
    static InputCopyAhead startCopying(MappedIpcSink sink) {
        InputCopyAhead ahead = new InputCopyAhead(sink);
        ahead.thread.start();
        return ahead;
    }

    private void copy() {
        try {
            while (!stop && sink.copyNextInputAhead()) {
                // batch after batch until stopped or done
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Stops the copy after the batch in hand and waits for the thread, interrupts or not. */
    @Override
    public void close() {
        stop = true;
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException("copying the input's columns ahead failed", failure);
        }
    }
}
