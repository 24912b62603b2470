package io.numarrow.io.parquet;

import io.numarrow.Settings;
import io.numarrow.io.BatchSink;
import io.numarrow.io.Formats;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * Run by {@link ParquetOutputDebrisTest} in a JVM of its own: writes batches to a Parquet output
 * in {@code args[0]} until DuckDB has put bytes in a file there, prints {@code writing} and the
 * folder's files, then waits on standard input, to be stopped by a signal (or, when standard input
 * closes, abandons the output).
 */
public final class ParquetSinkHolder {
    private static final int ROWS = 2048;
    private static final int D = 64;

    private ParquetSinkHolder() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        System.setProperty(Settings.PARQUET_ROW_GROUP_ROWS.name(), Integer.toString(ROWS)); // a row group per batch
        try (BufferAllocator allocator = new RootAllocator();
             FixedShapeTensorVector features = (FixedShapeTensorVector) FixedShapeTensorType.float32(D)
                     .getNewVector("features", null, allocator)) {
            TensorColumns.prepare(features, ROWS);
            SplittableRandom random = new SplittableRandom(27);
            try (Tensor x = TensorColumns.view(features)) {
                for (int r = 0; r < ROWS; r++) {
                    for (int c = 0; c < D; c++) {
                        x.set(r, c, (float) random.nextDouble()); // random: it does not compress away
                    }
                }
            }
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(features.getField()), List.of(features), ROWS);
            BatchSink sink = Formats.openSink(dir.resolve("out.parquet"), Formats.Format.PARQUET, root.getSchema(),
                    Formats.Compression.SNAPPY, null, allocator);
            for (int i = 0; i < 1000 && !somethingWritten(dir); i++) {
                sink.write(root);
            }
            System.out.println("writing " + names(dir));
            System.out.flush();
            System.in.read(); // until killed (or stdin closes)
            sink.close();
        }
    }

    private static boolean somethingWritten(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> {
                try {
                    return Files.size(p) > 0;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
