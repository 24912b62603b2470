package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.numarrow.tensor.Tensor;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Weights load the same from a mapped file (copied straight from the mapping) and a compressed one. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WeightsLoadTest {
    @TempDir
    Path dir;

    @Test
    void multiBatchWeightsLoadRowByRowFromBothPaths() throws Exception {
        int[][] shapes = {{1, 1, 1}, {3, 5, 17}, {2, 255, 15}, {1, 1000, 3}};
        try (BufferAllocator a = new RootAllocator()) {
            for (int[] s : shapes) {
                for (CompressionUtil.CodecType codec : new CompressionUtil.CodecType[] {null,
                        CompressionUtil.CodecType.LZ4_FRAME}) {
                    Path file = dir.resolve("w" + s[0] + "-" + s[1] + "-" + s[2] + "-" + codec + ".arrow");
                    IpcTestFiles.write(file, a, s[0], s[1], s[2], codec);
                    try (Tensor w = WeightsFile.load(file, a)) {
                        assertEquals(s[0] * s[1], w.rows(), file.toString());
                        assertEquals(s[2], w.cols());
                        for (int r = 0; r < w.rows(); r++) {
                            for (int c = 0; c < w.cols(); c++) {
                                // IpcTestFiles writes row g, column c as g + c/100
                                assertEquals(r + c / 100f, w.get(r, c), 0f, file + " at " + r + "," + c);
                            }
                        }
                    }
                    assertEquals(0, a.getAllocatedMemory());
                }
            }
        }
    }
}
