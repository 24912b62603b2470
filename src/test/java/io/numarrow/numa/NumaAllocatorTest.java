package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.Float4Vector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The NUMA allocator on this machine's real pages (one node, node 0). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NumaAllocatorTest {

    @Test
    void forNodeZeroPlacesAndBindsRealPagesOnNodeZero() {
        try (BufferAllocator a = NumaAllocator.forNode(0);
             ArrowBuf small = a.buffer(4096);
             ArrowBuf large = a.buffer(3 << 20)) {
            NumaStats stats = NumaAllocator.of(a).orElseThrow().stats();
            assumeTrue(stats.mbindRefused() == 0, "this kernel refuses mbind: " + stats);
            for (ArrowBuf b : List.of(small, large)) {
                b.setZero(0, b.capacity()); // touch every page so it has a node
                long lastPage = (b.memoryAddress() + b.capacity() - 1) & -LinuxMemory.PAGE_SIZE;
                assertEquals(0, LinuxMemory.nodeOfPage(b.memoryAddress()));
                assertEquals(0, LinuxMemory.nodeOfPage(lastPage));
                LinuxMemory.PagePolicy policy = LinuxMemory.policyOfPage(b.memoryAddress());
                assertEquals(LinuxMemory.MPOL_PREFERRED, policy.mode(), "policy of " + b);
                assertEquals(List.of(0), policy.nodes());
            }
            assertTrue(stats.bindingActive());
            assertTrue(stats.mbindCalls() >= 2, stats.toString());
        }
    }

    @Test
    void anUnknownNodeIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NumaAllocator.forNode(7));
        assertTrue(e.getMessage().contains("NUMA node 7 does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains(NumaNodes.detect().ids().toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NumaAllocator.root(NumaPolicy.PREFERRED, -1));
    }

    @Test
    void oneNodeLocalAndInterleaveGiveOrdinaryMemory() {
        assumeTrue(NumaNodes.detect().count() == 1, "a multi-node machine");
        for (NumaPolicy p : List.of(NumaPolicy.LOCAL, NumaPolicy.INTERLEAVE)) {
            try (BufferAllocator a = NumaAllocator.root(p); ArrowBuf b = a.buffer(1 << 20)) {
                b.setLong(0, 42);
                NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
                assertFalse(s.bindingActive(), s.toString());
                assertEquals(0, s.mbindCalls());
                assertEquals(LinuxMemory.MPOL_DEFAULT, LinuxMemory.policyOfPage(b.memoryAddress()).mode());
            }
        }
    }

    @Test
    void buffersAreAlignedSixtyFourBytesPagesForLargeHugePagesAboveTheThreshold() {
        long[] sizes = {1, 15, 17, 64, 255, 1000, 4096, 65_536, 65_537, 1_000_000, 2 << 20, 5_000_000};
        try (BufferAllocator a = NumaAllocator.builder().policy(NumaPolicy.LOCAL).root()) {
            List<ArrowBuf> live = new ArrayList<>();
            for (long size : sizes) {
                ArrowBuf b = a.buffer(size);
                live.add(b);
                long address = b.memoryAddress();
                assertEquals(0, address % 64, size + " bytes at " + Long.toHexString(address));
                if (b.capacity() > NumaAllocator.DEFAULT_SMALL_LIMIT) {
                    assertEquals(0, address % LinuxMemory.PAGE_SIZE, size + " bytes not page-aligned");
                }
                if (b.capacity() >= NumaAllocator.DEFAULT_HUGE_PAGE_THRESHOLD) {
                    assertEquals(0, address % (2 << 20), size + " bytes not huge-page aligned");
                }
                b.setByte(b.capacity() - 1, 1); // the whole requested length is usable
            }
            live.forEach(ArrowBuf::close);
            NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
            // Arrow rounds 65,537 up to 128 KiB: past the 64 KiB small limit
            assertEquals(8, s.smallAllocations(), s.toString());
            assertEquals(4, s.largeAllocations(), s.toString());
        }
    }

    @Test
    void hugePagesAreAdvisedAboveAConfigurableThreshold() {
        try (BufferAllocator a = NumaAllocator.builder().hugePageThreshold(1 << 20).smallLimit(0).root();
             ArrowBuf below = a.buffer(512 << 10);
             ArrowBuf above = a.buffer(1 << 20)) {
            NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
            assumeTrue(s.hugePageAdvice() > 0, "this kernel has no transparent huge pages");
            assertEquals(1, s.hugePageAdvice(), "only the 1 MiB buffer is advised: " + s);
            assertEquals(0, above.memoryAddress() % (2 << 20));
            assertNotEquals(0, below.capacity());
        }
    }

    @Test
    void smallBuffersShareChunksInsteadOfOneMappingEach() {
        try (BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL)) {
            List<ArrowBuf> live = new ArrayList<>();
            Set<Long> addresses = new HashSet<>();
            for (int i = 0; i < 1000; i++) {
                ArrowBuf b = a.buffer(i % 2 == 0 ? 4096 : 100);
                b.setInt(0, i);
                assertTrue(addresses.add(b.memoryAddress()), "two live buffers share an address");
                live.add(b);
            }
            for (int i = 0; i < live.size(); i++) {
                assertEquals(i, live.get(i).getInt(0), "buffer " + i + " was overwritten");
            }
            live.forEach(ArrowBuf::close);
            NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
            // 500 × 4 KiB + 500 × 128 B fit in two 2 MiB chunks
            assertTrue(s.mmapCalls() <= 2, "one mapping per chunk, not per buffer: " + s);
            assertEquals(1000, s.smallAllocations());
        }
    }

    @Test
    void freedLargeBuffersAreReusedWithoutNewMappings() {
        try (BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL)) {
            for (int i = 0; i < 50; i++) {
                try (ArrowBuf b = a.buffer(1 << 20)) {
                    b.setLong(b.capacity() - 8, i);
                }
            }
            NumaStats s = NumaAllocator.of(a).orElseThrow().stats();
            assertEquals(1, s.mmapCalls(), s.toString());
            assertEquals(49, s.largeReused(), s.toString());
            assertEquals(0, a.getAllocatedMemory());
        }
    }

    @Test
    void allocationPastTheLimitIsArrowsOutOfMemoryAndLeavesTheAllocatorUsable() {
        try (BufferAllocator a = NumaAllocator.builder().limit(1 << 20).root()) {
            ArrowBuf held = a.buffer(512 << 10);
            assertThrows(OutOfMemoryException.class, () -> a.buffer(1 << 20));
            assertEquals(512 << 10, a.getAllocatedMemory(), "the failed request left nothing accounted");
            held.close();
            assertEquals(0, a.getAllocatedMemory());
            try (BufferAllocator child = a.newChildAllocator("child", 0, 256 << 10)) {
                assertThrows(OutOfMemoryException.class, () -> child.buffer(300 << 10));
                try (ArrowBuf ok = child.buffer(200 << 10)) {
                    ok.setZero(0, ok.capacity());
                }
            }
            try (ArrowBuf again = a.buffer(1 << 20)) {
                again.setByte(0, 1);
                assertEquals(1 << 20, a.getAllocatedMemory());
            }
        }
    }

    @Test
    void memoryTheKernelCannotMapIsArrowsOutOfMemoryWithNothingAccounted() {
        try (BufferAllocator a = NumaAllocator.forNode(0)) {
            // 1 PiB: more address space than x86-64 and arm64 user space have
            OutOfMemoryException e = assertThrows(OutOfMemoryException.class, () -> a.buffer(1L << 50));
            assertTrue(e.getMessage().contains("cannot map"), e.getMessage());
            assertEquals(0, a.getAllocatedMemory());
            try (ArrowBuf b = a.buffer(1 << 20)) {
                b.setByte(0, 1);
            }
        }
    }

    @Test
    void aLeakedBufferFailsTheRootsClose() {
        BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL);
        ArrowBuf leaked = a.buffer(1000);
        leaked.setInt(0, 7);
        IllegalStateException e = assertThrows(IllegalStateException.class, a::close);
        assertTrue(e.getMessage().contains("leaked"), e.getMessage());
        // the closed root keeps a leaked buffer's memory mapped: a late reader reads, never crashes
        assertEquals(7, leaked.getInt(0));
    }

    @Test
    void arrowVectorsWorkOverNumaMemory() {
        try (BufferAllocator root = NumaAllocator.root(NumaPolicy.INTERLEAVE);
             BufferAllocator child = root.newChildAllocator("vectors", 0, Long.MAX_VALUE);
             Float4Vector v = new Float4Vector("v", child)) {
            int n = 1000;
            v.allocateNew(n);
            for (int i = 0; i < n; i++) {
                if (i % 17 == 0) {
                    v.setNull(i);
                } else {
                    v.set(i, i * 0.5f);
                }
            }
            v.setValueCount(n);
            assertEquals(0, v.getDataBufferAddress() % 64);
            for (int i = 0; i < n; i++) {
                assertEquals(i % 17 == 0, v.isNull(i));
                if (i % 17 != 0) {
                    assertEquals(i * 0.5f, v.get(i));
                }
            }
        }
    }

    @Test
    void concurrentAllocationsNeverShareMemory() throws Exception {
        try (BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL)) {
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        for (int round = 0; round < 200; round++) {
                            List<ArrowBuf> mine = new ArrayList<>();
                            for (int i = 0; i < 20; i++) {
                                ArrowBuf b = a.buffer(64L << (i % 12));
                                b.setLong(0, id * 1_000_000L + i);
                                mine.add(b);
                            }
                            for (int i = 0; i < mine.size(); i++) {
                                if (mine.get(i).getLong(0) != id * 1_000_000L + i) {
                                    throw new AssertionError("thread " + id + " buffer " + i + " overwritten");
                                }
                                mine.get(i).close();
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(List.of(), failures);
            assertEquals(0, a.getAllocatedMemory());
        }
    }
}
