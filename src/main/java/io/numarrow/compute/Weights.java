package io.numarrow.compute;

import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The old name of {@link WeightsFile}.
 *
 * @deprecated moved to {@code io}: use {@link WeightsFile#load}
 */
@Deprecated
public final class Weights {
    private Weights() {
    }

    /** See {@link WeightsFile#load}. */
    public static Tensor load(Path file, BufferAllocator allocator) {
        return WeightsFile.load(file, allocator);
    }
}
