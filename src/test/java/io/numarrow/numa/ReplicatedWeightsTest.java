package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.numarrow.compute.ReplicatedWeights;
import io.numarrow.tensor.Tensor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Weights copied onto NUMA nodes (node 0 here: the only one). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReplicatedWeightsTest {

    @Test
    void eachNodesCopyHoldsTheSameWeightsOnThatNode() {
        for (int[] shape : new int[][] {{1, 1}, {15, 17}, {255, 3}, {64, 1000}}) {
            float[] values = new float[shape[0] * shape[1]];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) Math.sin(i);
            }
            try (BufferAllocator a = new RootAllocator();
                 Tensor w = Tensor.fromArray(a, shape[0], shape[1], values);
                 ReplicatedWeights r = ReplicatedWeights.of(w, List.of(0))) {
                Tensor local = r.forCurrentNode();
                assertNotEquals(w.segment().address(), local.segment().address(), "a copy, not a view");
                assertArrayEquals(values, local.toArray());
                assertEquals(shape[0], r.rows());
                assertEquals(shape[1], r.cols());
                assertEquals(0, LinuxMemory.nodeOfPage(local.segment().address() & -LinuxMemory.PAGE_SIZE));
                assertEquals(LinuxMemory.MPOL_PREFERRED,
                        LinuxMemory.policyOfPage(local.segment().address()).mode());
                assertSame(local, r.forNode(0));
                assertSame(local, r.forNode(5), "a node without a copy reads the first one");
                assertEquals(List.of(0), r.nodes());
            }
        }
    }

    @Test
    void aNodeThatDoesNotExistIsAnErrorAndLeavesNothingOpen() {
        try (BufferAllocator a = new RootAllocator(); Tensor w = Tensor.allocate(a, 2, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ReplicatedWeights.of(w, List.of(0, 3)));
            assertEquals(true, e.getMessage().contains("NUMA node 3 does not exist"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ReplicatedWeights.of(w, List.of()));
        }
    }
}
