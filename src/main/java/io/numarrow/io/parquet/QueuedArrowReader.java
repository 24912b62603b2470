package io.numarrow.io.parquet;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * An {@link ArrowReader} whose batches are pushed in by another thread: the writer hands batches
 * ({@link ArrowRecordBatch}es holding references to its buffers, not copies) to DuckDB, which pulls
 * them through the C stream interface while it writes the file. The queue is short, so a writer
 * ahead of DuckDB waits.
 */
final class QueuedArrowReader extends ArrowReader {
    private static final ArrowRecordBatch END = new ArrowRecordBatch(0, List.of(), List.of());

    private final Schema schema;
    private final BlockingQueue<ArrowRecordBatch> queue = new ArrayBlockingQueue<>(2);
    private volatile boolean aborted;

    QueuedArrowReader(BufferAllocator allocator, Schema schema) {
        super(allocator);
        this.schema = schema;
    }

    /**
     * Queues {@code batch} (taking ownership) for the consumer; waits while the queue is full,
     * checking {@code consumerAlive} so that a consumer that failed does not leave the caller waiting.
     */
    void put(ArrowRecordBatch batch, BooleanSupplier consumerAlive) throws InterruptedException {
        try {
            while (!queue.offer(batch, 50, TimeUnit.MILLISECONDS)) {
                if (!consumerAlive.getAsBoolean()) {
                    throw new IllegalStateException("the Parquet writer stopped");
                }
            }
        } catch (InterruptedException | RuntimeException e) {
            if (batch != END) {
                batch.close(); // not queued: still ours
            }
            throw e;
        }
    }

    void end(BooleanSupplier consumerAlive) throws InterruptedException {
        put(END, consumerAlive);
    }

    /** Makes the consumer's next read fail, so that its statement ends; drops what was queued. */
    void abort() {
        aborted = true;
        drop();
        queue.offer(END);
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        ArrowRecordBatch batch;
        try {
            batch = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for a batch to write");
        }
        if (aborted) {
            if (batch != END) {
                batch.close();
            }
            throw new IOException("writing was cancelled");
        }
        if (batch == END) {
            return false;
        }
        try (batch) {
            new VectorLoader(getVectorSchemaRoot()).load(batch);
        }
        return true;
    }

    private void drop() {
        ArrowRecordBatch b;
        while ((b = queue.poll()) != null) {
            if (b != END) {
                b.close();
            }
        }
    }

    @Override
    public long bytesRead() {
        return 0;
    }

    @Override
    protected void closeReadSource() {
        drop();
    }

    @Override
    protected Schema readSchema() {
        return schema;
    }
}
