package io.numarrow.compute;

import java.io.IOException;

/**
 * The old name of {@link io.numarrow.io.BatchSource}; its batches are the old {@link InputBatch}.
 *
 * @deprecated moved to {@code io}: use {@link io.numarrow.io.BatchSource}
 */
@Deprecated
public interface BatchSource extends io.numarrow.io.BatchSource {
    @Override
    InputBatch next() throws IOException;
}
