package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.numarrow.compute.SyntheticData;
import io.numarrow.io.BatchSource.Totals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A source tells what its input holds from the metadata it read to open it, so that nothing else opens the input. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatchSourceTotalsTest {
    @TempDir
    Path dir;

    @Test
    void anIpcFileTellsItsRowsAndBatchesFromItsFooterWhicheverReaderReadsIt() throws Exception {
        FuzzSeeds.main(new String[] {dir.toString()}); // plain-file, zstd-file: 2 batches of 5 rows
        try (BufferAllocator allocator = new RootAllocator()) {
            Path features = dir.resolve("x.arrow");
            SyntheticData.writeFeatures(features, allocator, 1003, 4, 100, 7, 1);
            assertTotals(new Totals(1003, 100, Files.size(features)), features, allocator);
            assertTotals(new Totals(10, 2, Files.size(dir.resolve("plain-file"))), dir.resolve("plain-file"), allocator);
            // compressed and dictionary-encoded files are read by Arrow's reader, after the same checked footer
            assertTotals(new Totals(10, 2, Files.size(dir.resolve("zstd-file"))), dir.resolve("zstd-file"), allocator);
            assertTotals(new Totals(4, 1, Files.size(dir.resolve("dictionary-file"))), dir.resolve("dictionary-file"),
                    allocator);
            // a stream has no footer: its size only
            assertTotals(new Totals(-1, -1, Files.size(dir.resolve("stream"))), dir.resolve("stream"), allocator);
        }
    }

    @Test
    void parquetFilesTellTheirRowsFromTheirFootersAndNotTheirBatches() throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            Path a = dir.resolve("part-a.parquet");
            Path b = dir.resolve("part-b.parquet");
            SyntheticData.writeFeatures(a, Formats.Format.PARQUET, allocator, 1000, 4, 3, 7, 1);
            SyntheticData.writeFeatures(b, Formats.Format.PARQUET, allocator, 17, 4, 1, 0, 2);
            try (BatchSource source = Formats.openSource(dir.resolve("part-*.parquet"), Formats.Format.PARQUET,
                    "features", allocator)) {
                assertEquals(new Totals(1017, -1, Files.size(a) + Files.size(b)), source.totals());
            }
        }
    }

    private static void assertTotals(Totals expected, Path file, BufferAllocator allocator) throws Exception {
        try (IpcBatchSource source = IpcBatchSource.open(file, allocator)) {
            assertEquals(expected, source.totals(), file.toString());
            long rows = 0;
            int batches = 0;
            for (InputBatch b = source.next(); b != null; b = source.next(), batches++) {
                rows += b.root().getRowCount();
                b.close();
            }
            if (expected.rows() >= 0) {
                assertEquals(expected.rows(), rows, file + ": the totals match what the batches hold");
                assertEquals(expected.batches(), batches, file.toString());
            }
        }
    }
}
