package io.numarrow.cli;

import io.numarrow.compute.SyntheticData;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A valid job in a fresh folder for each test, for the tests that spoil one part of it: {@link #x} holds
 * 50 rows of 8 features in 3 batches (every 10th row null), {@link #w} 8×5 weights; {@link #out} is not
 * written yet.
 */
abstract class GoodJobFiles {
    @TempDir
    Path dir;
    Path x;
    Path w;
    Path out;

    @BeforeEach
    void writeGoodInputs() {
        x = dir.resolve("x.arrow");
        w = dir.resolve("w.arrow");
        out = dir.resolve("out.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(x, allocator, 50, 8, 3, 10, 1);
            SyntheticData.writeWeights(w, allocator, 8, 5, 2);
        }
    }
}
