package io.numarrow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.LeakCheckedAllocator;
import java.lang.foreign.ValueLayout;
import org.apache.arrow.vector.Float4Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class TensorTest {
    @RegisterExtension
    final LeakCheckedAllocator allocator = new LeakCheckedAllocator();

    @ParameterizedTest
    @CsvSource({"1,1", "1,15", "17,1", "15,17", "255,3", "1000,17"})
    void fromArrayRoundTripsEveryElement(int rows, int cols) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.5f - 7;
        }
        try (Tensor t = Tensor.fromArray(allocator, rows, cols, data)) {
            assertEquals(rows, t.rows());
            assertEquals(cols, t.cols());
            assertArrayEquals(data, t.toArray());
            assertEquals(data[(rows - 1) * cols + cols - 1], t.get(rows - 1, cols - 1));
            assertEquals((long) rows * cols * Float.BYTES, t.segment().byteSize());
            assertEquals(rows * cols, t.vector().getValueCount());
            assertEquals(0, t.vector().getNullCount(), "tensor values are never null");
        }
    }

    @Test
    void allocateGivesZeros() {
        try (Tensor t = Tensor.allocate(allocator, 3, 5)) {
            for (float v : t.toArray()) {
                assertEquals(0f, v);
            }
        }
    }

    @Test
    void wrapSharesMemoryWithTheVectorAndLeavesItOpen() {
        try (Float4Vector v = new Float4Vector("v", allocator)) {
            v.allocateNew(6);
            for (int i = 0; i < 6; i++) {
                v.set(i, i);
            }
            v.setValueCount(6);
            try (Tensor t = Tensor.wrap(v, 2, 3)) {
                assertFalse(t.ownsVector());
                assertEquals(5f, t.get(1, 2));
                v.set(4, 42f);
                assertEquals(42f, t.get(1, 1), "a write to the vector shows in the tensor");
                t.set(0, 0, -1f);
                assertEquals(-1f, v.get(0), "a write to the tensor shows in the vector");
                assertEquals(v.getDataBufferAddress(), t.segment().address());
            }
            assertEquals(-1f, v.get(0), "closing the view leaves the vector usable");
        }
    }

    @Test
    void segmentReadsTheSameBytesAsTheVector() {
        try (Tensor t = Tensor.fromArray(allocator, 2, 2, new float[] {1, 2, 3, 4})) {
            assertEquals(3f, t.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 2));
            assertEquals(3f, t.vector().get(2));
        }
    }

    @Test
    void badShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(allocator, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(allocator, 1 << 20, 1 << 12));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.fromArray(allocator, 2, 3, new float[5]));
        assertTrue(e.getMessage().contains("2×3"), e.getMessage());
        try (Float4Vector v = new Float4Vector("v", allocator)) {
            v.allocateNew(4);
            assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(v, 100, 100));
        }
        try (Tensor t = Tensor.allocate(allocator, 2, 2)) {
            assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, -1));
        }
    }

    @Test
    void closeFreesOwnedMemoryAndIsIdempotent() {
        Tensor t = Tensor.allocate(allocator, 64, 64);
        assertTrue(allocator.getAllocatedMemory() >= 64 * 64 * 4);
        t.close();
        t.close();
        assertEquals(0, allocator.getAllocatedMemory());
    }

    @Test
    void emptyTensorsWork() {
        try (Tensor t = Tensor.allocate(allocator, 0, 7)) {
            assertEquals(0, t.toArray().length);
        }
    }
}
