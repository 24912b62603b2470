package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.compute.SyntheticData;
import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Loading weights once per JVM, replacing them when the file changes, copying from Hadoop filesystems. */
class WeightsCacheTest {
    @TempDir
    Path dir;

    private static WeightsSource local(Path file, long modified) {
        return new WeightsSource(file.toUri().toString(), modified, 0, null);
    }

    @Test
    @Timeout(20)
    void loadsOnceAndFreesAReplacedVersionWhenItsLastHolderLetsGo() {
        Path file = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeWeights(file, allocator, 15, 17, 1);
            WeightsCache cache = new WeightsCache(allocator);

            WeightsCache.Lease a = cache.acquire(local(file, 1));
            WeightsCache.Lease b = cache.acquire(local(file, 1));
            assertSame(a.weights(), b.weights());
            assertEquals(1, cache.loads());
            assertEquals(15, a.weights().rows());
            assertEquals(17, a.weights().cols());
            long one = allocator.getAllocatedMemory();

            WeightsCache.Lease newer = cache.acquire(local(file, 2));
            assertEquals(2, cache.loads());
            assertTrue(allocator.getAllocatedMemory() >= 2 * one - 64, "old and new both held");
            a.close();
            a.close(); // twice is harmless
            assertTrue(allocator.getAllocatedMemory() >= 2 * one - 64, "b still holds the old version");
            b.close();
            assertEquals(one, allocator.getAllocatedMemory(), "the old version is freed");

            newer.close();
            cache.closeAll();
        } // the allocator fails the test here if anything leaked
    }

    @Test
    @Timeout(20)
    void aBadWeightsFileNamesTheFile() throws Exception {
        Path file = dir.resolve("broken.arrow");
        Files.writeString(file, "not arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            WeightsCache cache = new WeightsCache(allocator);
            BadInputException e = assertThrows(BadInputException.class, () -> cache.acquire(local(file, 1)));
            assertTrue(e.getMessage().contains("broken.arrow"), e.getMessage());
            assertEquals(0, cache.loads());
        }
    }

    @Test
    @Timeout(20)
    void aHadoopFilesystemCopyLoadsTheSameMatrix() throws Exception {
        Path file = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeWeights(file, allocator, 33, 9, 5);
            FileSystem fs = FileSystem.getLocal(new Configuration());
            Path copy = WeightsSource.copyToLocal(fs, new org.apache.hadoop.fs.Path(file.toUri()));
            try (Tensor original = WeightsFile.load(file, allocator); Tensor copied = WeightsFile.load(copy, allocator)) {
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(copy));
                assertArrayEquals(original.toArray(), copied.toArray());
            } finally {
                Files.delete(copy);
            }
        }
    }
}
