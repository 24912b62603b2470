package io.numarrow.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15, item 1: every use of a closed tensor, or of one whose buffer was released, throws
 * IllegalStateException; before, these read or wrote freed memory (wrong values or SIGSEGV).
 * Sizes include ones big enough for the parallel, unchecked matmul tiles.
 */
@Timeout(60)
class TensorUseAfterCloseTest {
    private BufferAllocator allocator;
    private ThreadPool pool;
    private ParallelOps ops;

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
        ops = new ParallelOps(pool);
    }

    @AfterEach
    void close() {
        pool.close();
        allocator.close(); // fails the test if a buffer leaked
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 255})
    void getSetAndToArrayOnAClosedTensorThrow(int n) {
        Tensor t = Tensor.allocate(allocator, n, n);
        t.set(0, 0, 2f);
        MemorySegment kept = t.segment();
        t.close();
        assertFalse(t.isLive());
        assertThrows(IllegalStateException.class, () -> t.get(0, 0));
        assertThrows(IllegalStateException.class, () -> t.set(0, 0, 1f));
        assertThrows(IllegalStateException.class, t::toArray);
        assertThrows(IllegalStateException.class, t::segment);
        // a segment taken before close is invalid too: its arena is closed
        assertThrows(IllegalStateException.class, () -> kept.get(ValueLayout.JAVA_FLOAT, 0));
        t.close(); // idempotent
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 255})
    void kernelsOnAClosedOperandThrowAndWriteNothing(int n) {
        try (Tensor a = Tensor.allocate(allocator, n, n); Tensor out = Tensor.allocate(allocator, n, n)) {
            Tensor b = Tensor.allocate(allocator, n, n);
            b.close();
            out.set(0, 0, 42f);
            assertThrows(IllegalStateException.class, () -> ops.matmulInto(a, b, out));
            assertThrows(IllegalStateException.class, () -> ops.matmulSoftmaxInto(a, b, out));
            assertThrows(IllegalStateException.class, () -> ops.matmul(b, a, allocator));
            assertThrows(IllegalStateException.class, () -> ops.softmaxInto(b, out));
            assertThrows(IllegalStateException.class, () -> ops.softmax(b, allocator));
            assertEquals(42f, out.get(0, 0), "nothing was written");
            Tensor closedOut = Tensor.allocate(allocator, n, n);
            closedOut.close();
            assertThrows(IllegalStateException.class, () -> ops.matmulInto(a, a, closedOut));
            assertThrows(IllegalStateException.class, () -> ops.softmaxInto(a, closedOut));
        }
    }

    @Test
    void aViewNoticesItsVectorWasClosed() {
        Float4Vector v = new Float4Vector("x", allocator);
        v.allocateNew(300 * 300);
        v.setValueCount(300 * 300);
        Tensor view = Tensor.wrap(v, 300, 300);
        assertTrue(view.isLive());
        v.close();
        assertFalse(view.isLive());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> view.get(299, 299));
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        try (Tensor other = Tensor.allocate(allocator, 300, 300)) {
            assertThrows(IllegalStateException.class, () -> ops.matmul(view, other, allocator));
            assertThrows(IllegalStateException.class, () -> ops.softmaxInto(other, view));
        }
        view.close();
    }

    @Test
    void aViewNoticesItsVectorWasReallocated() {
        try (Float4Vector v = new Float4Vector("x", allocator)) {
            v.allocateNew(64);
            v.setValueCount(64);
            Tensor view = Tensor.wrap(v, 8, 8);
            v.clear();
            v.allocateNew(1 << 16); // new data buffer; the view's one is freed
            assertThrows(IllegalStateException.class, () -> view.set(7, 7, 1f));
            view.close();
        }
    }

    @Test
    void closingAViewLeavesTheVectorUsable() {
        try (Float4Vector v = new Float4Vector("x", allocator)) {
            v.allocateNew(4);
            v.setValueCount(4);
            Tensor view = Tensor.wrap(v, 2, 2);
            view.set(1, 1, 3f);
            view.close();
            assertThrows(IllegalStateException.class, () -> view.get(1, 1));
            assertEquals(3f, v.getDataBuffer().getFloat(3L * Float.BYTES));
        }
    }

    @Test
    void emptyTensorsFollowTheSameRule() {
        Tensor t = Tensor.allocate(allocator, 0, 5);
        assertEquals(0, t.toArray().length);
        t.close();
        assertThrows(IllegalStateException.class, t::toArray);
    }
}
