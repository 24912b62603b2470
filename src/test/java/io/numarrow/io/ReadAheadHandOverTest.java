package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.SyntheticData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source that reads ahead in {@code next()} hands that to its caller only where it can: a mapped
 * IPC file takes it (and its batches are the same whether the caller reads ahead or not, on another
 * thread or for no batch at all); Arrow's reader of a stream or compressed file does not.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadAheadHandOverTest {
    @TempDir
    Path dir;

    @Test
    void aMappedFileHandsItsReadAheadOverAndGivesTheSameBatches() throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            Path features = dir.resolve("x.arrow");
            SyntheticData.writeFeatures(features, allocator, 1003, 4, 17, 7, 1);
            List<String> itsOwn = read(features, allocator, false);
            List<String> handedOver = read(features, allocator, true);
            assertEquals(17, itsOwn.size());
            assertEquals(itsOwn, handedOver);
        }
    }

    @Test
    void arrowsOwnReaderKeepsItsWay() throws Exception {
        FuzzSeeds.main(new String[] {dir.toString()});
        try (BufferAllocator allocator = new RootAllocator()) {
            for (String name : new String[] {"stream", "zstd-file"}) {
                try (IpcBatchSource source = IpcBatchSource.open(dir.resolve(name), allocator)) {
                    assertFalse(source.leaveReadAheadToCaller(), name);
                    source.readAhead(0); // a hint: nothing to do
                }
            }
        }
    }

    /** Every batch's rows as text; with {@code handOver}, each next batch read ahead on another thread, and past the end. */
    private static List<String> read(Path file, BufferAllocator allocator, boolean handOver) throws Exception {
        List<String> out = new ArrayList<>();
        try (IpcBatchSource source = IpcBatchSource.open(file, allocator)) {
            if (handOver) {
                assertTrue(source.leaveReadAheadToCaller());
            }
            int i = 0;
            for (InputBatch b = source.next(); b != null; b = source.next(), i++) {
                if (handOver) {
                    int next = i + 1;
                    Thread t = Thread.ofPlatform().start(() -> source.readAhead(next));
                    t.join();
                }
                out.add(b.root().contentToTSVString());
                b.close();
            }
            source.readAhead(i + 5); // past the end: nothing
        }
        return out;
    }
}
