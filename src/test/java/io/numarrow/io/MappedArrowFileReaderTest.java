package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.util.TransferPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MappedArrowFileReaderTest {
    @TempDir
    Path dir;

    @Test
    void readsEveryBatchLikeArrowsOwnReaderWithOddShapes() throws Exception {
        int[][] shapes = {{1, 1, 1}, {3, 15, 17}, {2, 255, 1}, {1, 1000, 15}};
        try (BufferAllocator a = new RootAllocator()) {
            for (int[] s : shapes) {
                Path file = dir.resolve("f" + s[1] + "x" + s[2] + ".arrow");
                IpcTestFiles.write(file, a, s[0], s[1], s[2], null);
                List<String> expected = IpcTestFiles.readWithArrow(file, a);
                try (ArrowReader r = ArrowFiles.read(file, a)) {
                    assertInstanceOf(MappedArrowFileReader.class, r);
                    assertEquals(expected, IpcTestFiles.batches(r), "batches of " + file);
                    assertEquals(s[0], ((MappedArrowFileReader) r).getRecordBatchCount());
                }
                assertEquals(0, a.getAllocatedMemory(), "nothing left after " + file);
            }
        }
    }

    @Test
    void batchBuffersAreViewsOfTheMappingAndAllocateNothing() throws Exception {
        Path file = dir.resolve("views.arrow");
        try (BufferAllocator writer = new RootAllocator()) {
            IpcTestFiles.write(file, writer, 3, 1000, 16, null);
        }
        try (BufferAllocator numa = NumaAllocator.root(NumaPolicy.LOCAL);
             MappedArrowFileReader r = MappedArrowFileReader.openMapped(file, numa)) {
            VectorSchemaRoot root = r.getVectorSchemaRoot();
            // Arrow's reader gives the empty string column a 4-byte offset buffer before the first batch;
            // after that, batches add nothing
            assertTrue(r.loadNextBatch());
            long before = allocations(numa);
            long mapStart = 0;
            for (int batch = 1; batch < 3; batch++) {
                assertTrue(r.loadNextBatch());
                FixedSizeListVector v = (FixedSizeListVector) root.getVector("v");
                Float4Vector item = (Float4Vector) v.getDataVector();
                FileMappingProbe probe = FileMappingProbe.of(r);
                assertTrue(probe.contains(item.getDataBufferAddress(), 1000L * 16 * 4),
                        "features data is inside the file mapping");
                assertTrue(probe.contains(root.getVector("s").getDataBuffer().memoryAddress(), 1));
                mapStart = probe.start();
            }
            assertTrue(mapStart != 0);
            // no batch buffer came from the allocator's own memory: it only accounts for the mapped bodies
            assertEquals(before, allocations(numa));
            assertFalse(r.loadNextBatch());
            assertEquals(3, r.getRecordBatchCount());
            assertTrue(r.bytesRead() > 3 * 1000 * 16 * 4);
        }
    }

    @Test
    void theMappingLivesUntilTheLastBufferIsClosed() throws Exception {
        Path file = dir.resolve("lifetime.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            IpcTestFiles.write(file, a, 1, 100, 3, null);
            MappedArrowFileReader r = MappedArrowFileReader.openMapped(file, a);
            assertTrue(r.loadNextBatch());
            Float4Vector x = (Float4Vector) r.getVectorSchemaRoot().getVector("x");
            TransferPair move = x.getTransferPair(a);
            move.transfer();
            Float4Vector kept = (Float4Vector) move.getTo();
            r.close();
            assertTrue(r.isMapped(), "a vector still uses the mapping");
            assertEquals(99 * 0.25f, kept.get(99)); // readable after the reader closed
            kept.close();
            assertFalse(r.isMapped(), "the last buffer closed: unmapped");
            assertEquals(0, a.getAllocatedMemory());
        }
    }

    @Test
    void writingIntoALoadedVectorChangesNeitherTheFileNorCrashes() throws Exception {
        Path file = dir.resolve("cow.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            IpcTestFiles.write(file, a, 1, 10, 2, null);
            byte[] before = Files.readAllBytes(file);
            try (ArrowReader r = ArrowFiles.read(file, a)) {
                assertTrue(r.loadNextBatch());
                Float4Vector x = (Float4Vector) r.getVectorSchemaRoot().getVector("x");
                x.set(3, 123f);
                assertEquals(123f, x.get(3));
            }
            assertTrue(Arrays.equals(before, Files.readAllBytes(file)));
        }
    }

    @Test
    void aBatchPastTheAllocatorsLimitIsOutOfMemoryAndLeavesNothing() throws Exception {
        Path file = dir.resolve("limit.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            IpcTestFiles.write(file, a, 1, 1000, 64, null);
        }
        try (BufferAllocator small = new RootAllocator(64 << 10)) {
            MappedArrowFileReader r = MappedArrowFileReader.openMapped(file, small);
            assertThrows(OutOfMemoryException.class, r::loadNextBatch);
            // only the empty vectors' few bytes (see above) remain, and the reader frees them
            assertTrue(small.getAllocatedMemory() <= 64, "the failed batch left nothing accounted");
            r.close();
            assertEquals(0, small.getAllocatedMemory());
            assertFalse(r.isMapped());
            try (var buf = small.buffer(32 << 10)) { // the allocator is still usable
                buf.setZero(0, buf.capacity());
            }
        }
    }

    @Test
    void compressedFilesFallBackToArrowsReader() throws Exception {
        Path file = dir.resolve("lz4.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            IpcTestFiles.write(file, a, 2, 255, 17, CompressionUtil.CodecType.LZ4_FRAME);
            List<String> expected = IpcTestFiles.readWithArrow(file, a);
            try (ArrowReader r = ArrowFiles.read(file, a)) {
                assertInstanceOf(ArrowFileReader.class, r);
                assertEquals(expected, IpcTestFiles.batches(r));
            }
            BadInputException e = assertThrows(BadInputException.class, () -> MappedArrowFileReader.openMapped(file, a));
            assertTrue(e.getMessage().contains("cannot be read in place"), e.getMessage());
            assertEquals(0, a.getAllocatedMemory());
        }
    }

    @Test
    void aFileWithoutBatchesHasItsSchemaAndNoBatch() throws Exception {
        Path file = dir.resolve("empty-batches.arrow");
        try (BufferAllocator a = new RootAllocator()) {
            IpcTestFiles.write(file, a, 0, 0, 4, null);
            try (ArrowReader r = ArrowFiles.read(file, a)) {
                assertEquals(4, r.getVectorSchemaRoot().getSchema().getFields().size());
                assertFalse(r.loadNextBatch());
            }
        }
    }

    private static long allocations(BufferAllocator numa) {
        var stats = NumaAllocator.of(numa).orElseThrow().stats();
        return stats.smallAllocations() + stats.largeAllocations();
    }

    /** The mapping's address range, through the package-private accessors. */
    private record FileMappingProbe(long start, long size) {
        static FileMappingProbe of(MappedArrowFileReader r) throws Exception {
            var f = MappedArrowFileReader.class.getDeclaredField("mapping");
            f.setAccessible(true);
            FileMapping m = (FileMapping) f.get(r);
            return new FileMappingProbe(m.address(), m.size());
        }

        boolean contains(long address, long length) {
            return address >= start && address + length <= start + size;
        }
    }
}
