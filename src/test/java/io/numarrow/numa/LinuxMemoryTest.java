package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * {@code writeFully} puts every byte at its offset (a hole before it reads as zeros), through an
     * interrupt of the calling thread, and names the errno of a refused write.
     */
    @Test
    void writeFullyWritesAtTheOffsetAndReportsErrno(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("f");
        Files.createFile(file);
        byte[] bytes = new byte[300_001];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        int fd = LinuxMemory.open(file.toString(), LinuxMemory.O_RDWR);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment from = arena.allocate(bytes.length);
            from.copyFrom(MemorySegment.ofArray(bytes));
            Thread.currentThread().interrupt();
            try {
                LinuxMemory.writeFully(fd, from.address(), bytes.length, 4099);
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt is left as it was");
            }
        } finally {
            LinuxMemory.closeFd(fd);
        }
        byte[] read = Files.readAllBytes(file);
        assertEquals(4099 + bytes.length, read.length);
        for (int i = 0; i < 4099; i++) {
            assertEquals(0, read[i], "hole byte " + i);
        }
        assertArrayEquals(bytes, Arrays.copyOfRange(read, 4099, read.length));
        int readOnly = LinuxMemory.openReadOnly(file.toString());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(1);
            LinuxMemory.NativeCallException e = assertThrows(LinuxMemory.NativeCallException.class,
                    () -> LinuxMemory.writeFully(readOnly, one.address(), 1, 0));
            assertEquals(9, e.errno(), "EBADF: a descriptor opened read-only");
        } finally {
            LinuxMemory.closeFd(readOnly);
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

    /**
     * A job's file calls, in a JVM of its own, do what they say and link one downcall handle between them
     * (the raw {@code syscall}) where the system call numbers are known: each handle linked spins classes
     * of its own at a JVM's start (docs/performance.md, issue 29, session 14).
     */
    @Test
    void aJobsFileCallsLinkOneHandle(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(LinuxMemory.numaCallsAvailable(), "system call numbers known for " + System.getProperty("os.arch"));
        List<String> out = ChildJvm.runLoggingClassLoads(dir.resolve("probe.log"), FileCallsProbe.class, dir.toString());
        String done = out.stream().filter(l -> l.startsWith(FileCallsProbe.DONE)).findFirst().orElse("");
        long page = LinuxMemory.PAGE_SIZE;
        assertEquals(FileCallsProbe.DONE + " locked=true size=" + 3 * page + " copied=" + page + " mapped=42 pwritten=7 input=0",
                done, String.join("\n", out));
        List<String> stubs = out.stream().filter(l -> l.contains("DowncallStub")).toList();
        assertEquals(1, stubs.size(), "downcall stubs spun: " + stubs);
    }
}
