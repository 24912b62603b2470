package io.numarrow.compute;

import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * The old name of {@link io.numarrow.io.InputBatch}.
 *
 * @deprecated moved to {@code io}: use {@link io.numarrow.io.InputBatch}
 */
@Deprecated
public interface InputBatch extends io.numarrow.io.InputBatch {
    /** See {@link io.numarrow.io.InputBatch#ofReusedRoot}. */
    static InputBatch ofReusedRoot(VectorSchemaRoot root, int index) {
        return Forwarding.batch(io.numarrow.io.InputBatch.ofReusedRoot(root, index));
    }
}
