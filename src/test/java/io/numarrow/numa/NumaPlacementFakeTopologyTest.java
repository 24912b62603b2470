package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The policy logic against a fake two-node machine: the planner alone, then the whole allocator
 * with a binder that records its calls instead of calling {@code mbind} (node 1 does not exist here).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NumaPlacementFakeTopologyTest {
    private static final NumaNodes TWO_NODES = NumaNodes.of(0, 1);

    /** Each mbind the allocator asked for: the range and its placement. */
    private record Bound(long address, long bytes, Placement placement) {
        boolean covers(long a, long len) {
            return a >= address && a + len <= address + bytes;
        }
    }

    private static final class RecordingBinder implements PageBinder {
        final List<Bound> calls = new ArrayList<>();

        @Override
        public synchronized void bind(long address, long bytes, Placement placement) {
            calls.add(new Bound(address, bytes, placement));
        }

        synchronized Placement placementOf(ArrowBuf b) {
            return calls.stream().filter(c -> c.covers(b.memoryAddress(), b.capacity())).map(Bound::placement)
                    .findFirst().orElseThrow(() -> new AssertionError("no mbind covers " + b));
        }
    }

    @Test
    void plannerInterleavesOverEveryNode() {
        PlacementPlanner p = new PlacementPlanner(TWO_NODES, NumaPolicy.INTERLEAVE, -1, () -> 1);
        assertEquals(List.of(Placement.interleave(new int[] {0, 1})), p.heaps());
        assertEquals(0, p.heapForThisAllocation());
        assertFalse(p.ordinaryMemoryOnly());
    }

    @Test
    void plannerLocalFollowsTheAllocatingThreadsNode() {
        AtomicInteger here = new AtomicInteger(0);
        PlacementPlanner p = new PlacementPlanner(TWO_NODES, NumaPolicy.LOCAL, -1, here::get);
        assertEquals(List.of(Placement.preferred(0), Placement.preferred(1)), p.heaps());
        assertEquals(0, p.heapForThisAllocation());
        here.set(1);
        assertEquals(1, p.heapForThisAllocation());
        here.set(5); // a CPU whose node has no memory: the first node's heap
        assertEquals(0, p.heapForThisAllocation());
    }

    @Test
    void plannerPreferredNamesOneNodeAndRejectsMissingOnes() {
        PlacementPlanner p = new PlacementPlanner(NumaNodes.of(0, 2), NumaPolicy.PREFERRED, 2, () -> 0);
        assertEquals(List.of(Placement.preferred(2)), p.heaps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PlacementPlanner(NumaNodes.of(0, 2), NumaPolicy.PREFERRED, 1, () -> 0));
        assertEquals("NUMA node 1 does not exist on this machine (memory nodes: [0, 2])", e.getMessage());
    }

    @Test
    void plannerOnOneNodeLeavesLocalAndInterleaveUnbound() {
        for (NumaPolicy policy : List.of(NumaPolicy.LOCAL, NumaPolicy.INTERLEAVE)) {
            PlacementPlanner p = new PlacementPlanner(NumaNodes.of(0), policy, -1, () -> 0);
            assertTrue(p.ordinaryMemoryOnly(), policy.toString());
        }
        assertFalse(new PlacementPlanner(NumaNodes.of(0), NumaPolicy.PREFERRED, 0, () -> 0).ordinaryMemoryOnly());
    }

    @Test
    void localAllocationsLandOnTheNodeOfTheAllocatingThread() {
        RecordingBinder binder = new RecordingBinder();
        AtomicInteger here = new AtomicInteger(0);
        try (BufferAllocator a = NumaAllocator.builder().nodes(TWO_NODES).policy(NumaPolicy.LOCAL)
                .binder(binder).currentNode(here::get).root()) {
            ArrowBuf small0 = a.buffer(4096);
            ArrowBuf large0 = a.buffer(1 << 20);
            here.set(1);
            ArrowBuf small1 = a.buffer(4096);
            ArrowBuf large1 = a.buffer(1 << 20);
            assertEquals(Placement.preferred(0), binder.placementOf(small0));
            assertEquals(Placement.preferred(0), binder.placementOf(large0));
            assertEquals(Placement.preferred(1), binder.placementOf(small1));
            assertEquals(Placement.preferred(1), binder.placementOf(large1));
            for (ArrowBuf b : List.of(small0, large0, small1, large1)) {
                b.close();
            }
            // a freed node-0 block is never handed to a node-1 allocation
            try (ArrowBuf again = a.buffer(1 << 20)) {
                assertEquals(Placement.preferred(1), binder.placementOf(again));
            }
            NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
            assertEquals(4, s.mbindCalls(), s.toString());
            assertEquals(2, s.mappedBytesByHeap().size(), s.toString());
            assertTrue(s.bindingActive());
        }
    }

    @Test
    void interleaveAndPreferredBindWithTheirMasks() {
        RecordingBinder binder = new RecordingBinder();
        try (BufferAllocator a = NumaAllocator.builder().nodes(TWO_NODES).policy(NumaPolicy.INTERLEAVE)
                .binder(binder).root(); ArrowBuf b = a.buffer(8 << 20)) {
            Placement p = binder.placementOf(b);
            assertEquals(LinuxMemory.MPOL_INTERLEAVE, p.mode());
            assertArrayEquals(new int[] {0, 1}, p.nodes());
        }
        RecordingBinder binder1 = new RecordingBinder();
        try (BufferAllocator a = NumaAllocator.builder().nodes(TWO_NODES).policy(NumaPolicy.PREFERRED).node(1)
                .binder(binder1).currentNode(() -> 0).root(); ArrowBuf b = a.buffer(100)) {
            assertEquals(Placement.preferred(1), binder1.placementOf(b));
        }
        assertThrows(IllegalArgumentException.class, () -> NumaAllocator.builder().nodes(TWO_NODES)
                .policy(NumaPolicy.PREFERRED).node(2).binder(new RecordingBinder()).root());
    }

    @Test
    void aRefusedMbindFallsBackToOrdinaryMemoryAndStopsAsking() {
        AtomicInteger attempts = new AtomicInteger();
        PageBinder refusing = (address, bytes, p) -> {
            attempts.incrementAndGet();
            throw new LinuxMemory.NativeCallException("mbind", LinuxMemory.EPERM);
        };
        try (BufferAllocator a = NumaAllocator.builder().nodes(TWO_NODES).policy(NumaPolicy.INTERLEAVE)
                .binder(refusing).root()) {
            for (int i = 0; i < 3; i++) {
                try (ArrowBuf b = a.buffer(4 << 20)) {
                    b.setLong(b.capacity() - 8, i); // ordinary memory, still usable
                    assertEquals(i, b.getLong(b.capacity() - 8));
                }
                try (ArrowBuf b = a.buffer(8 << 20)) {
                    b.setByte(0, 1);
                }
            }
            NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
            assertEquals(1, attempts.get(), "one refusal, then no more mbind calls");
            assertEquals(1, s.mbindRefused());
            assertFalse(s.bindingActive());
        }
    }
}
