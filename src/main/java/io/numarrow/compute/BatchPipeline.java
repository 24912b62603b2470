package io.numarrow.compute;

import io.numarrow.io.BatchSink;
import io.numarrow.io.BatchSource;
import io.numarrow.io.InputBatch;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job's three stages at once: a reader thread takes batch i+1 from the source (and the
 * source pre-faults batch i+2) while the calling thread computes batch i and a writer thread
 * writes batch i-1. A batch holds a permit from the moment it is read until it is written, so no
 * more than {@code inFlight} batches (and as many output slots) exist at once whatever the file's
 * size. Batches are written in the order they were read. The first failure in any stage stops the
 * others and is rethrown by {@link #run}; the sink is then never committed.
 *
 * @param <S> an output slot: the buffers one batch's results are computed into, reused
 */
final class BatchPipeline<S> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchPipeline.class);

    /** Computes one batch into a slot and says what to write. */
    interface Stage<S> {
        VectorSchemaRoot compute(InputBatch batch, S slot) throws IOException;
    }

    /** Busy time of each stage, and when the first batch began computing. */
    record Timings(long readNanos, long computeNanos, long writeNanos, long firstBatchNanoTime, long rows, int batches) {
    }

    private record Computed<S>(InputBatch batch, S slot, VectorSchemaRoot root) {
    }

    private static final InputBatch END_OF_INPUT = new InputBatch() {
        @Override
        public VectorSchemaRoot root() {
            throw new IllegalStateException();
        }

        @Override
        public int index() {
            return -1;
        }

        @Override
        public void close() {
        }
    };

    private final BatchSource source;
    private final BatchSink sink;
    private final Stage<S> stage;
    private final ComputeJob.Progress progress;
    private final Semaphore permits;
    private final BlockingQueue<InputBatch> read;
    private final BlockingQueue<Computed<S>> computed;
    private final BlockingQueue<S> freeSlots;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private long readNanos;
    private long computeNanos;
    private long writeNanos;
    private long firstBatchNanoTime;
    private long rows;
    private int batches;

    BatchPipeline(BatchSource source, BatchSink sink, Iterable<S> slots, int inFlight, Stage<S> stage,
                  ComputeJob.Progress progress) {
        this.source = Objects.requireNonNull(source);
        this.sink = Objects.requireNonNull(sink);
        this.stage = Objects.requireNonNull(stage);
        this.progress = Objects.requireNonNull(progress);
        this.permits = new Semaphore(inFlight);
        this.read = new ArrayBlockingQueue<>(inFlight + 1);
        this.computed = new ArrayBlockingQueue<>(inFlight + 1);
        ArrayDeque<S> all = new ArrayDeque<>();
        slots.forEach(all::add);
        if (all.size() < inFlight) {
            throw new IllegalArgumentException(all.size() + " output slots for " + inFlight + " batches in flight");
        }
        this.freeSlots = new ArrayBlockingQueue<>(all.size(), false, all);
    }

    /** Runs every batch through; returns once the last is written (the caller commits the sink). */
    Timings run() throws IOException {
        Thread caller = Thread.currentThread();
        Thread reader = Thread.ofPlatform().name("numarrow-read").daemon().unstarted(() -> guard(this::readAll, caller));
        Thread writer = Thread.ofPlatform().name("numarrow-write").daemon().unstarted(() -> guard(this::writeAll, caller));
        reader.start();
        writer.start();
        try {
            guard(this::computeAll, null);
        } finally {
            if (failure.get() != null) {
                reader.interrupt();
                writer.interrupt();
            }
            joinUninterruptibly(reader);
            joinUninterruptibly(writer);
            read.forEach(InputBatch::close);
            computed.forEach(c -> c.batch().close());
            Thread.interrupted(); // an interrupt from a failing stage is answered by the rethrow below
        }
        rethrow(failure.get());
        return new Timings(readNanos, computeNanos, writeNanos, firstBatchNanoTime, rows, batches);
    }

    private interface Body {
        void run() throws Exception;
    }

    /** Runs a stage; its first failure (or the pipeline's) stops the others. */
    private void guard(Body body, Thread alsoInterrupt) {
        try {
            body.run();
        } catch (Throwable t) {
            if (!(t instanceof InterruptedException && failure.get() != null)) {
                if (failure.compareAndSet(null, t) && alsoInterrupt != null) {
                    alsoInterrupt.interrupt();
                }
            }
        }
    }

    private void readAll() throws IOException, InterruptedException {
        while (failure.get() == null) {
            permits.acquire();
            long t = System.nanoTime();
            InputBatch batch = source.next();
            readNanos += System.nanoTime() - t;
            if (batch == null) {
                read.put(END_OF_INPUT);
                return;
            }
            try {
                read.put(batch);
            } catch (InterruptedException e) {
                batch.close();
                throw e;
            }
        }
    }

    private void computeAll() throws Exception {
        try {
            while (true) {
                InputBatch batch = read.take();
                if (batch == END_OF_INPUT) {
                    return;
                }
                try {
                    S slot = freeSlots.take();
                    long t = System.nanoTime();
                    if (firstBatchNanoTime == 0) {
                        firstBatchNanoTime = t;
                    }
                    VectorSchemaRoot out = stage.compute(batch, slot);
                    computeNanos += System.nanoTime() - t;
                    // a failed writer interrupts this thread, and put then throws even with room in the queue
                    computed.put(new Computed<>(batch, slot, out));
                } catch (Exception | Error e) {
                    batch.close();
                    throw e;
                }
            }
        } finally {
            if (failure.get() == null) {
                computed.put(new Computed<>(END_OF_INPUT, null, null));
            }
        }
    }

    private void writeAll() throws IOException, InterruptedException {
        while (true) {
            Computed<S> c = computed.take();
            if (c.batch() == END_OF_INPUT) {
                return;
            }
            try {
                long t = System.nanoTime();
                sink.write(c.root());
                writeNanos += System.nanoTime() - t;
                rows += c.root().getRowCount();
                batches++;
            } finally {
                c.batch().close();
                freeSlots.add(c.slot());
                permits.release();
            }
            progress.batchDone(batches, rows);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            LOG.trace("interrupted while a stage stopped");
        }
    }

    private static void rethrow(Throwable t) throws IOException {
        if (t == null) {
            return;
        }
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("pipeline stage failed", t);
    }
}
