package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.io.ArrowFiles;
import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The I/O names that moved from {@code compute} to {@code io} still work at their old place (docs/api.md). */
@SuppressWarnings("deprecation")
class DeprecatedNamesTest {
    @TempDir
    Path dir;

    @Test
    void theOldNamesReadAndWriteAsTheNewOnesDo() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path copy = dir.resolve("copy.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(x, Formats.Format.ARROW, allocator, 17, 3, 2, 5, 1);
            SyntheticData.writeWeights(w, allocator, 3, 4, 2);
            try (Tensor old = Weights.load(w, allocator); Tensor now = WeightsFile.load(w, allocator)) {
                assertArrayEquals(now.toArray(), old.toArray());
            }

            // the nested types are the io ones, so a Spec takes the old names
            assertSame(io.numarrow.io.Formats.Format.PARQUET, Formats.Format.parse("parquet"));
            assertSame(io.numarrow.io.Formats.Options.AUTO, new ComputeJob.Spec(x, w, copy, null, Ops.MATMUL, null,
                    true, Formats.Options.AUTO).formats());
            assertEquals(Formats.Format.ARROW, Formats.inputFormat(x, null));

            // copy x batch by batch through the old source and sink types
            int rows = 0;
            int batches = 0;
            try (BatchSource source = Formats.openSource(x, Formats.Format.ARROW, "features", allocator);
                 BatchSink sink = Formats.openSink(copy, Formats.Format.ARROW, source.schema(),
                         Formats.Compression.SNAPPY, source, allocator)) {
                assertTrue(source.dictionaries().getDictionaryIds().isEmpty(), "no dictionary-encoded column");
                for (InputBatch batch = source.next(); batch != null; batch = source.next()) {
                    try (InputBatch b = batch) {
                        assertEquals(batches++, b.index());
                        rows += b.root().getRowCount();
                        sink.write(b.root());
                    }
                }
                sink.commit();
            }
            assertEquals(17, rows);
            assertEquals(2, batches);
            try (IpcBatchSource source = IpcBatchSource.open(copy, allocator);
                 ArrowReader expected = ArrowFiles.read(x, allocator)) {
                VectorSchemaRoot want = expected.getVectorSchemaRoot();
                for (InputBatch batch = source.next(); batch != null; batch = source.next()) {
                    try (InputBatch b = batch) {
                        expected.loadNextBatch();
                        assertEquals(want.contentToTSVString(), b.root().contentToTSVString());
                    }
                }
                assertEquals(false, expected.loadNextBatch());
                Path empty = dir.resolve("empty.arrow");
                try (IpcBatchSink sink = IpcBatchSink.open(empty, source.schema(), allocator, null)) {
                    sink.commit();
                }
                assertTrue(Files.isRegularFile(empty));
            }
        }
    }
}
