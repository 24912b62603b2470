package io.numarrow.io.parquet;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * Reads the batches of an {@link ArrowReader} on a thread of its own, a few ahead of the caller,
 * so that DuckDB decodes the next batch while the job computes this one (and while the kernels are
 * still being compiled, when the CPUs are not yet busy). Batches cross as {@link ArrowRecordBatch}es
 * holding references to the reader's buffers: no copy.
 */
final class ReadAhead implements AutoCloseable {
    private static final Object END = new Object();

    private final ArrowReader reader;
    private final BlockingQueue<Object> queue;
    private final Thread thread;
    private volatile boolean closed;
    private boolean ended;

    ReadAhead(ArrowReader reader, int depth) {
        this.reader = reader;
        this.queue = new ArrayBlockingQueue<>(depth);
        this.thread = Thread.ofPlatform().name("numarrow-parquet-reader").daemon().unstarted(this::readAll);
        thread.start();
    }

    private void readAll() {
        Object item;
        try {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (!closed && reader.loadNextBatch()) {
                if (!offer(new VectorUnloader(root).getRecordBatch())) {
                    return;
                }
            }
            item = END;
        } catch (Throwable e) {
            item = e;
        }
        offer(item);
    }

    /** Queues {@code item}, waiting while the queue is full; false (and {@code item} released) once closed. */
    private boolean offer(Object item) {
        try {
            while (!queue.offer(item, 20, TimeUnit.MILLISECONDS)) {
                if (closed) {
                    release(item);
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            release(item);
            return false;
        }
    }

    /**
     * Loads the next batch into {@code root} (releasing what it held); false at the end. A failure of
     * the reader is rethrown here, after the reading thread has stopped.
     */
    boolean loadInto(VectorSchemaRoot root) throws IOException {
        if (ended) {
            return false;
        }
        Object item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for the next Parquet batch");
        }
        if (item instanceof ArrowRecordBatch batch) {
            try (batch) {
                new VectorLoader(root).load(batch);
            }
            return true;
        }
        ended = true;
        join();
        if (item instanceof IOException e) {
            throw e;
        }
        if (item instanceof RuntimeException e) {
            throw e;
        }
        if (item instanceof Error e) {
            throw e;
        }
        return false;
    }

    /** Stops the reading thread and releases the batches it queued; the reader itself is the caller's. */
    @Override
    public void close() {
        closed = true;
        Object item;
        while ((item = queue.poll()) != null) {
            release(item);
        }
        join();
        while ((item = queue.poll()) != null) {
            release(item);
        }
    }

    private void join() {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void release(Object item) {
        if (item instanceof ArrowRecordBatch batch) {
            batch.close();
        }
    }
}
