package io.numarrow.compute;

import io.numarrow.io.ArrowFiles;
import io.numarrow.io.BatchSink;
import io.numarrow.io.Formats;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Seeded synthetic feature batches and weights, the data the demo ships and tests use: columns
 * {@code id} (int64), {@code features} ({@code arrow.fixed_shape_tensor} of float32[d]) and
 * {@code label} (utf8), with every {@code nullEvery}-th feature row null.
 */
public final class SyntheticData {
    private SyntheticData() {
    }

    /**
     * Writes {@code rows} feature rows of width {@code d} in {@code batches} batches to {@code file}.
     *
     * @param nullEvery every how many rows a features value is null; 0 for none
     */
    public static void writeFeatures(Path file, BufferAllocator allocator, int rows, int d, int batches,
                                     int nullEvery, long seed) {
        writeFeatures(file, Formats.Format.ARROW, allocator, rows, d, batches, nullEvery, seed);
    }

    /** As {@link #writeFeatures(Path, BufferAllocator, int, int, int, int, long)}, in {@code format} (Parquet: snappy, a row group per batch or more). */
    public static void writeFeatures(Path file, Formats.Format format, BufferAllocator allocator, int rows, int d,
                                     int batches, int nullEvery, long seed) {
        if (batches < 1 || rows < 0 || d < 1) {
            throw new IllegalArgumentException("need rows >= 0, d >= 1, batches >= 1");
        }
        SplittableRandom random = new SplittableRandom(seed);
        try (BigIntVector id = new BigIntVector("id", allocator);
             FixedShapeTensorVector features = (FixedShapeTensorVector) FixedShapeTensorType.float32(d)
                     .getNewVector("features", null, allocator);
             VarCharVector label = new VarCharVector("label", allocator)) {
            List<FieldVector> vectors = List.of(id, features, label);
            VectorSchemaRoot root = new VectorSchemaRoot(vectors.stream().map(FieldVector::getField).toList(),
                    vectors, 0);
            try (BatchSink writer = Formats.openSink(file, format, root.getSchema(), Formats.Compression.SNAPPY, null, allocator)) {
                int per = (rows + batches - 1) / batches;
                for (int b = 0, start = 0; b < batches; b++, start += per) {
                    int n = Math.max(0, Math.min(per, rows - start));
                    id.allocateNew(n);
                    label.allocateNew(n);
                    TensorColumns.prepare(features, n);
                    try (Tensor x = TensorColumns.view(features)) {
                        for (int r = 0; r < n; r++) {
                            long row = start + r;
                            id.set(r, row);
                            label.setSafe(r, ("row-" + row).getBytes(StandardCharsets.UTF_8));
                            for (int c = 0; c < d; c++) {
                                x.set(r, c, (float) (random.nextDouble() * 2 - 1));
                            }
                            if (nullEvery > 0 && row % nullEvery == nullEvery - 1) {
                                features.getUnderlyingVector().setNull(r);
                            }
                        }
                    }
                    id.setValueCount(n);
                    label.setValueCount(n);
                    root.setRowCount(n);
                    writer.write(root);
                }
                writer.commit();
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + file, e);
            }
        }
    }

    /** Writes a {@code d×h} weight matrix, scaled by {@code 1/sqrt(d)}, as {@code d} rows of float32[h]. */
    public static void writeWeights(Path file, BufferAllocator allocator, int d, int h, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double scale = 1 / Math.sqrt(d);
        try (FixedShapeTensorVector w = TensorColumns.allocateTensorColumn("weights", allocator, d, h)) {
            try (Tensor view = TensorColumns.view(w)) {
                for (int r = 0; r < d; r++) {
                    for (int c = 0; c < h; c++) {
                        view.set(r, c, (float) ((random.nextDouble() * 2 - 1) * scale * 3));
                    }
                }
            }
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(w.getField()), List.of(w), d);
            ArrowFiles.write(file, root);
        }
    }
}
