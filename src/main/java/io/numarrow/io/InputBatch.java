package io.numarrow.io;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * One record batch read from a {@link BatchSource}. It owns its buffers until {@link #close()}, so a
 * pipeline can hold a few batches at once (one being read ahead, one computed, one being written).
 */
public interface InputBatch extends AutoCloseable {
    /** The batch's columns, valid until {@link #close()}. */
    VectorSchemaRoot root();

    /** Position of this batch in its source, from 0. */
    int index();

    /** Releases the batch's buffers; idempotent. */
    @Override
    void close();

    /** A batch whose first {@link #close()} runs {@code release}, which frees what it owns; later closes do nothing. */
    static InputBatch of(VectorSchemaRoot root, int index, Runnable release) {
        return new InputBatch() {
            private boolean closed;

            @Override
            public VectorSchemaRoot root() {
                return root;
            }

            @Override
            public int index() {
                return index;
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    release.run();
                }
            }
        };
    }

    /** A batch that is a source's reused root, valid until the source's next call; closing it does nothing. */
    static InputBatch ofReusedRoot(VectorSchemaRoot root, int index) {
        return of(root, index, () -> {
            // the source reloads the root at its next call
        });
    }
}
