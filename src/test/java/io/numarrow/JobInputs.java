package io.numarrow;

import io.numarrow.compute.SyntheticData;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** A job's two input files in one folder: {@code x.arrow} (seeded feature rows) and {@code w.arrow} (d×h weights). */
public record JobInputs(Path x, Path w) {

    /** Writes them: {@code rows} rows of {@code d} features in {@code batches} batches, every {@code nullEvery}-th row null (0: none). */
    public static JobInputs write(Path folder, int rows, int d, int h, int batches, int nullEvery) {
        JobInputs in = new JobInputs(folder.resolve("x.arrow"), folder.resolve("w.arrow"));
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(in.x, allocator, rows, d, batches, nullEvery, 5);
            SyntheticData.writeWeights(in.w, allocator, d, h, 6);
        }
        return in;
    }
}
