package io.numarrow.io;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Batches written to an Arrow IPC file through {@link AtomicArrowWriter}: each batch's buffers are
 * handed to the writer's root by reference (no copy) and go from there straight to the file.
 */
public final class IpcBatchSink implements BatchSink {
    private final VectorSchemaRoot root;
    private final AtomicArrowWriter writer;
    private boolean closed;

    private IpcBatchSink(VectorSchemaRoot root, AtomicArrowWriter writer) {
        this.root = root;
        this.writer = writer;
    }

    /** Starts writing batches of {@code schema} to a temporary file beside {@code target}. */
    public static IpcBatchSink open(Path target, Schema schema, BufferAllocator allocator, DictionaryProvider dictionaries) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        try {
            return new IpcBatchSink(root, ArrowFiles.write(target, root, dictionaries));
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    @Override
    public void write(VectorSchemaRoot batch) {
        try (ArrowRecordBatch buffers = new VectorUnloader(batch).getRecordBatch()) {
            new VectorLoader(root).load(buffers);
        }
        try {
            writer.writeBatch();
        } finally {
            root.clear(); // let go of the batch's buffers
        }
    }

    @Override
    public void commit() {
        writer.commit();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                writer.close();
            } finally {
                root.close();
            }
        }
    }
}
