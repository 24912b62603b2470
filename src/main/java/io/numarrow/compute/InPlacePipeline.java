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
 * the other one ends it; batch i-1 is closed (its pages unmapped) once both have ended.
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

    /** Busy times: reading, computing, finishing (on the pool), and the caller's wait for a finish after its compute. */
    record Timings(long readNanos, long computeNanos, long finishNanos, long waitNanos, long firstBatchNanoTime,
                   long rows, int batches) {
    }

    /** Runs every batch through and finishes the last; returns once all are finished (the caller commits). */
    Timings run() throws IOException {
        WorkItem finishing = null;
        WorkItem finishingInput = null;
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
                if (index > 0) {
                    finishingInput = sink.hasInputToFinish(index - 1) ? pool.submit(inputFinisher(index - 1)) : null;
                    finishing = pool.submit(finisher(index - 1, finishingInput == null));
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
                closeQuietly(previous); // its pages leave the process
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
                    finishingInput = pool.submit(inputFinisher(index - 1));
                    finisher(index - 1, false).run();
                    WorkItem input = finishingInput;
                    finishingInput = null;
                    awaitFinish(input);
                } else {
                    finisher(index - 1, true).run();
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
            closeQuietly(batch);
            closeQuietly(previous);
        }
        return new Timings(readNanos, computeNanos, finishNanos + inputFinishNanos, waitNanos, firstBatchNanoTime, rows, batches);
    }

    private static void closeQuietly(InputBatch batch) {
        if (batch != null) {
            batch.close();
        }
    }

    private Runnable finisher(int index, boolean withInput) {
        return () -> {
            long t = System.nanoTime();
            sink.finish(index, withInput);
            finishNanos += System.nanoTime() - t; // read by the caller after it awaited this task
        };
    }

    /** The batch's kept input columns, a task beside {@link #finisher}'s: two threads share each finish. */
    private Runnable inputFinisher(int index) {
        return () -> {
            long t = System.nanoTime();
            sink.finishInput(index);
            inputFinishNanos += System.nanoTime() - t; // read by the caller after it awaited this task
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
