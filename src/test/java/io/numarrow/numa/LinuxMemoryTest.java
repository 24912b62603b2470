package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The FFM system calls on their own. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinuxMemoryTest {

    @Test
    void mapBindTouchAndUnmapAnonymousMemory() {
        long bytes = 3 * LinuxMemory.PAGE_SIZE;
        long address = LinuxMemory.mapAnonymous(bytes);
        try {
            assertEquals(0, address % LinuxMemory.PAGE_SIZE);
            LinuxMemory.mbind(address, bytes, LinuxMemory.MPOL_BIND, new int[] {0}, 0);
            MemorySegment s = MemorySegment.ofAddress(address).reinterpret(bytes);
            s.set(ValueLayout.JAVA_LONG, bytes - 8, 99L);
            assertEquals(99L, s.get(ValueLayout.JAVA_LONG, bytes - 8));
            assertEquals(0, LinuxMemory.nodeOfPage(address + 2 * LinuxMemory.PAGE_SIZE));
            LinuxMemory.PagePolicy policy = LinuxMemory.policyOfPage(address);
            assertEquals(LinuxMemory.MPOL_BIND, policy.mode());
            assertEquals(List.of(0), policy.nodes());
        } finally {
            LinuxMemory.unmap(address, bytes);
        }
    }

    @Test
    void refusedCallsReportTheirErrno() {
        long address = LinuxMemory.mapAnonymous(LinuxMemory.PAGE_SIZE);
        try {
            int missing = NumaNodes.detect().ids().getLast() + 1;
            LinuxMemory.NativeCallException e = assertThrows(LinuxMemory.NativeCallException.class,
                    () -> LinuxMemory.mbind(address, LinuxMemory.PAGE_SIZE, LinuxMemory.MPOL_BIND, new int[] {missing}, 0));
            assertEquals(LinuxMemory.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
            // not page-aligned
            assertThrows(LinuxMemory.NativeCallException.class,
                    () -> LinuxMemory.mbind(address + 1, 10, LinuxMemory.MPOL_BIND, new int[] {0}, 0));
        } finally {
            LinuxMemory.unmap(address, LinuxMemory.PAGE_SIZE);
        }
        assertThrows(IllegalArgumentException.class,
                () -> LinuxMemory.mbind(0, 0, LinuxMemory.MPOL_BIND, new int[] {LinuxMemory.MAX_NODES}, 0));
        assertThrows(LinuxMemory.NativeCallException.class, () -> LinuxMemory.openReadOnly("/no/such/file"));
    }
}
