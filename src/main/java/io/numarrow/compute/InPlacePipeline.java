package io.numarrow.compute;

import io.numarrow.io.BatchSource;
import io.numarrow.io.InputBatch;
import io.numarrow.io.MappedIpcSink;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.WorkItem;
import java.io.IOException;
import java.util.Objects;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A job's loop when its output is computed in place ({@link MappedIpcSink}). No thread of its own:
 * the calling thread takes batch i from the source (views of the mapped input; the kernel reads
 * ahead, {@code madvise}) and computes it on the pool straight into the output's columns (reused
 * buffers of the sink's, written to their place in the file by the batch's finish), and
 * meanwhile the pool finishes batch i-1 as two more tasks beside the batch's tiles
 * ({@link MappedIpcSink#finish}: its columns written, its metadata, its write-back started; and
 * {@link MappedIpcSink#finishInput}: the input's kept columns written from batch i-1's still mapped
 * pages), so that a core whose tiles are done takes the rest of a finish instead of idling until
 * the other one ends it; batch i-1 is closed (its pages unmapped) by whichever of the two tasks
 * uses its pages last. A third task brings batch i+1's pages in ({@link BatchSource#readAhead}):
 * the read-ahead, and the unmapping, then run beside the tiles instead of between two batches on
 * the caller's path, where both cores would wait for them (docs/performance.md, session 14).
 * On a machine with as many workers as cores, the job's work is then the pool's: no reader or writer
 * thread takes a core from a worker mid-batch, and the worker that finishes the previous batch
 * simply claims fewer of this batch's tiles.
 *
 * <p>A failure anywhere stops the loop once the task in flight has ended (it writes into the
 * mapping); the caller then closes the sink, which deletes the temporary file.
 */
final class InPlacePipeline {
    /** Computes one batch into the output's columns ({@link MappedIpcSink#columns}). */
    interface Stage {
        void compute(InputBatch batch, VectorSchemaRoot columns);
    }

    private final BatchSource source;
    private final MappedIpcSink sink;
    private final ThreadPool pool;
    private final Stage stage;
    private final ComputeJob.Progress progress;
    private long readNanos;
    private long computeNanos;
    private long finishNanos;
    private long inputFinishNanos;
    private long waitNanos;
    private long readAheadNanos;
    private long firstBatchNanoTime;
    private long rows;
    private int batches;

    InPlacePipeline(BatchSource source, MappedIpcSink sink, ThreadPool pool, Stage stage, ComputeJob.Progress progress) {
        this.source = Objects.requireNonNull(source);
        this.sink = Objects.requireNonNull(sink);
        this.pool = Objects.requireNonNull(pool);
        this.stage = Objects.requireNonNull(stage);
        this.progress = Objects.requireNonNull(progress);
    }

    /** Busy times: reading (the caller's, and the read-ahead's on the pool), computing, finishing (on the pool), and the caller's wait for a finish or the read-ahead after its compute. */
    record Timings(long readNanos, long computeNanos, long finishNanos, long waitNanos, long firstBatchNanoTime,
                   long rows, int batches) {
    }

    /** Runs every batch through and finishes the last; returns once all are finished (the caller commits). */
    Timings run() throws IOException {
        WorkItem finishing = null;
        WorkItem finishingInput = null;
        WorkItem readingAhead = null;
        boolean readAheadHere = source.leaveReadAheadToCaller();
        // the batch being finished stays open until its finish ends: the finish writes its kept columns from its mapped pages
        InputBatch previous = null;
        InputBatch batch = null;
        int index = 0;
        try {
            while (true) {
                long t = System.nanoTime();
                batch = source.next();
                readNanos += System.nanoTime() - t;
                if (batch == null) {
                    break;
                }
                if (batch.index() != index) {
                    throw new IllegalStateException("batch " + batch.index() + " came as batch " + index);
                }
                if (index >= sink.batches()) {
                    throw new IllegalStateException("the input has more batches than its footer said");
                }
                VectorSchemaRoot columns = sink.columns(index);
                if (readAheadHere && index + 1 < sink.batches()) {
                    // first: the shortest task, taken at once, so that no one waits for it after the tiles
                    readingAhead = pool.submit(readAhead(index + 1));
                }
                if (index > 0) {
                    finishingInput = sink.hasInputToFinish(index - 1) ? pool.submit(inputFinisher(index - 1, previous)) : null;
                    finishing = pool.submit(finisher(index - 1, finishingInput == null, finishingInput == null ? previous : null));
                }
                t = System.nanoTime();
                if (firstBatchNanoTime == 0) {
                    firstBatchNanoTime = t;
                }
                stage.compute(batch, columns);
                computeNanos += System.nanoTime() - t;
                if (finishing != null) {
                    t = System.nanoTime();
                    WorkItem computed = finishing;
                    finishing = null;
                    try {
                        awaitFinish(computed);
                    } catch (RuntimeException | Error e) {
                        if (finishingInput != null) {
                            awaitQuietly(finishingInput); // the first failure is the one to report
                            finishingInput = null;
                        }
                        throw e;
                    }
                    if (finishingInput != null) {
                        WorkItem input = finishingInput;
                        finishingInput = null;
                        awaitFinish(input);
                    }
                    waitNanos += System.nanoTime() - t;
                    done(index - 1);
                }
                if (readingAhead != null) {
                    t = System.nanoTime();
                    WorkItem ahead = readingAhead;
                    readingAhead = null;
                    awaitFinish(ahead);
                    waitNanos += System.nanoTime() - t;
                }
                closeQuietly(previous); // closed already by its finish, unless that failed
                previous = batch;
                batch = null;
                index++;
            }
            if (index != sink.batches()) {
                throw new IllegalStateException("the input has " + index + " batches, its footer said " + sink.batches());
            }
            if (index > 0) {
                // the last batch's finish shared with the pool: nothing else is left to run beside it
                if (sink.hasInputToFinish(index - 1)) {
                    finishingInput = pool.submit(inputFinisher(index - 1, previous));
                    finisher(index - 1, false, null).run();
                    WorkItem input = finishingInput;
                    finishingInput = null;
                    awaitFinish(input);
                } else {
                    finisher(index - 1, true, previous).run();
                }
                done(index - 1);
            }
        } finally {
            if (finishing != null) {
                awaitQuietly(finishing); // it writes from the input's pages and into the sink the caller is about to close
            }
            if (finishingInput != null) {
                awaitQuietly(finishingInput);
            }
            if (readingAhead != null) {
                awaitQuietly(readingAhead); // it maps the input's pages: the caller closes the source next
            }
            closeQuietly(batch);
            closeQuietly(previous);
        }
        return new Timings(readNanos + readAheadNanos, computeNanos, finishNanos + inputFinishNanos, waitNanos, firstBatchNanoTime, rows, batches);
    }

    private static void closeQuietly(InputBatch batch) {
        if (batch != null) {
            batch.close();
        }
    }

    /** Batch {@code index}'s finish; then {@code input}, the input batch, is closed unless null (another task uses it). */
    private Runnable finisher(int index, boolean withInput, InputBatch input) {
        return () -> {
            long t = System.nanoTime();
            try {
                sink.finish(index, withInput);
            } finally {
                closeQuietly(input); // the caller awaits this task before it closes the batch again (a no-op)
            }
            finishNanos += System.nanoTime() - t; // read by the caller after it awaited this task
        };
    }

    /**
     * The batch's kept input columns, a task beside {@link #finisher}'s: two threads share each
     * finish. The input batch is closed after it: nothing else uses its pages.
     */
    private Runnable inputFinisher(int index, InputBatch input) {
        return () -> {
            long t = System.nanoTime();
            try {
                sink.finishInput(index);
            } finally {
                closeQuietly(input);
            }
            inputFinishNanos += System.nanoTime() - t; // read by the caller after it awaited this task
        };
    }

    /** Batch {@code index}'s pages brought in, beside the tiles of the batch before it. */
    private Runnable readAhead(int index) {
        return () -> {
            long t = System.nanoTime();
            source.readAhead(index);
            readAheadNanos += System.nanoTime() - t; // read by the caller after it awaited this task
        };
    }

    private void done(int index) {
        rows += sink.rows(index);
        batches++;
        progress.batchDone(batches, rows);
    }

    /** Waits for the finish in flight, interrupts or not: it writes into the mapping. */
    private static void awaitFinish(WorkItem finishing) {
        SinkTaskWait.await(finishing, "finishing a batch");
    }

    private static void awaitQuietly(WorkItem finishing) {
        try {
            awaitFinish(finishing);
        } catch (RuntimeException | Error e) {
            // the failure that stopped the loop is the one to report
        }
    }
}
