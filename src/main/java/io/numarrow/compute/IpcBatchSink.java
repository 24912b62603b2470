package io.numarrow.compute;

import io.numarrow.io.ArrowFiles;
import io.numarrow.io.AtomicArrowWriter;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Batches to an Arrow IPC file through an {@link AtomicArrowWriter}, which is bound to one root:
 * the first root written (or an empty one of the schema, for an input without batches).
 */
final class IpcBatchSink implements BatchSink {
    private final Path target;
    private final Schema schema;
    private final DictionaryProvider dictionaries;
    private final BufferAllocator allocator;
    private AtomicArrowWriter writer;
    private VectorSchemaRoot root;
    private VectorSchemaRoot emptyRoot;

    IpcBatchSink(Path target, Schema schema, DictionaryProvider dictionaries, BufferAllocator allocator) {
        this.target = target;
        this.schema = schema;
        this.dictionaries = dictionaries;
        this.allocator = allocator;
    }

    @Override
    public void write(VectorSchemaRoot batch) {
        if (writer == null) {
            bind(batch);
        } else if (batch != root) {
            throw new IllegalArgumentException("an Arrow IPC sink writes the root it was first given");
        }
        writer.writeBatch();
    }

    @Override
    public void commit() {
        if (writer == null) {
            emptyRoot = VectorSchemaRoot.create(schema, allocator);
            bind(emptyRoot);
        }
        writer.commit();
    }

    private void bind(VectorSchemaRoot batch) {
        writer = ArrowFiles.write(target, batch, dictionaries);
        root = batch;
    }

    @Override
    public void close() {
        try {
            if (writer != null) {
                writer.close();
            }
        } finally {
            if (emptyRoot != null) {
                emptyRoot.close();
            }
        }
    }
}
