package io.numarrow.io;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * Writes Arrow IPC record batches to a temporary file beside the target and renames it onto the
 * target in {@link #commit()} ({@link AtomicOutput}: no debris after a failure, SIGINT or SIGTERM,
 * and special files are never replaced). Closing without a commit deletes the temporary file, so a
 * failed run leaves nothing at the target path.
 */
public final class AtomicArrowWriter implements AutoCloseable {
    private final AtomicOutput output;
    private final ArrowFileWriter writer;

    private AtomicArrowWriter(AtomicOutput output, ArrowFileWriter writer) {
        this.output = output;
        this.writer = writer;
    }

    static AtomicArrowWriter open(Path target, VectorSchemaRoot root, DictionaryProvider dictionaries) {
        AtomicOutput output = AtomicOutput.create(target);
        try {
            ArrowFileWriter writer = new ArrowFileWriter(root, dictionaries, output.channel());
            writer.start();
            return new AtomicArrowWriter(output, writer);
        } catch (IOException e) {
            output.close();
            throw output.writeFailure(e);
        } catch (RuntimeException e) {
            output.close();
            throw e;
        }
    }

    /** Writes the root's current contents as one record batch. */
    public void writeBatch() {
        try {
            writer.writeBatch();
        } catch (IOException e) {
            throw output.writeFailure(e);
        }
    }

    /** Finishes the file and moves it onto the target. */
    public void commit() {
        try {
            writer.end();
        } catch (IOException e) {
            throw output.writeFailure(e);
        }
        output.commit();
    }

    public Path target() {
        return output.target();
    }

    @Override
    public void close() {
        output.closeAfter(() -> {
            try {
                writer.close(); // the vectors stay open: they belong to the caller's root
            } catch (RuntimeException e) {
                // the file is abandoned or already complete
            }
        });
    }
}
