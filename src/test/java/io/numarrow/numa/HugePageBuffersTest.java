package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HugePageBuffersTest {
    @Test
    void largeBuffersStartOnA2MiBBoundaryAndAreZeroed() {
        long bytes = 3L * 1024 * 1024 + 12;
        MemorySegment s = HugePageBuffers.allocate(bytes, 64);
        assertEquals(0, s.address() % (2L << 20), "2 MiB aligned");
        assertTrue(s.byteSize() >= bytes, "at least the bytes asked for: " + s.byteSize());
        for (long off = 0; off < bytes; off += 4096) {
            assertEquals(0, s.get(ValueLayout.JAVA_BYTE, off));
        }
        s.set(ValueLayout.JAVA_LONG, bytes - 12, 42L); // the last bytes asked for are writable
        assertEquals(42L, s.get(ValueLayout.JAVA_LONG, bytes - 12));
    }

    @Test
    void smallBuffersKeepTheirSizeAndAlignment() {
        MemorySegment s = HugePageBuffers.allocate(1000, 64);
        assertEquals(1000, s.byteSize());
        assertEquals(0, s.address() % 64);
        assertTrue(HugePageBuffers.MIN_BYTES > 1000);
    }
}
