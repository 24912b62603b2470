package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodePagesAndOptionTest {

    @Test
    void movingARangeSetsItsWholePagesToTheNode() {
        try (BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL); ArrowBuf b = a.buffer(64 << 10)) {
            b.setZero(0, b.capacity());
            MemorySegment region = MemorySegment.ofAddress(b.memoryAddress() + 100).reinterpret(5 * 4096);
            assertEquals(4 * 4096, NodePages.place(region, 0), "the four whole pages inside the range");
            LinuxMemory.PagePolicy p = LinuxMemory.policyOfPage(b.memoryAddress() + 4096);
            assertEquals(LinuxMemory.MPOL_PREFERRED, p.mode());
            assertEquals(List.of(0), p.nodes());
            assertEquals(0, LinuxMemory.nodeOfPage(b.memoryAddress() + 4096));
            assertEquals(0, NodePages.place(MemorySegment.ofAddress(b.memoryAddress() + 1).reinterpret(100), 0));
        }
    }

    @Test
    void theCallingThreadsNodeIsAMemoryNode() {
        assertTrue(NumaNodes.detect().contains(LinuxMemory.currentNode()));
    }

    @Test
    void theNumaOptionParsesEveryForm() {
        assertEquals(new NumaOption(null, -1), NumaOption.parse("off"));
        assertEquals(new NumaOption(NumaPolicy.LOCAL, -1), NumaOption.parse("local"));
        assertEquals(new NumaOption(NumaPolicy.LOCAL, -1), NumaOption.parse(null));
        assertEquals(new NumaOption(NumaPolicy.INTERLEAVE, -1), NumaOption.parse("Interleave"));
        assertEquals(new NumaOption(NumaPolicy.PREFERRED, 0), NumaOption.parse("preferred=0"));
        assertEquals("preferred=0", NumaOption.parse("preferred=0").toString());
        for (String bad : List.of("fast", "preferred=", "preferred=x", "preferred=-1")) {
            BadInputException e = assertThrows(BadInputException.class, () -> NumaOption.parse(bad));
            assertTrue(e.getMessage().startsWith("--numa " + bad), e.getMessage());
        }
    }

    @Test
    void eachOptionGivesAWorkingAllocatorAndAMissingNodeIsBadInput() {
        for (String v : List.of("off", "local", "interleave", "preferred=0")) {
            try (BufferAllocator a = NumaOption.parse(v).newRootAllocator(); ArrowBuf b = a.buffer(1000)) {
                b.setInt(996, 5);
                assertEquals(5, b.getInt(996));
                assertEquals(!v.equals("off"), NumaAllocator.of(a).isPresent(), v);
            }
        }
        BadInputException e = assertThrows(BadInputException.class,
                () -> NumaOption.parse("preferred=9").newRootAllocator());
        assertTrue(e.getMessage().contains("NUMA node 9 does not exist"), e.getMessage());
    }
}
