package io.numarrow.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Data cache sizes of this machine, read once from Linux sysfs ({@code /sys/devices/system/cpu/cpu0/cache}),
 * with defaults typical of current x86 and ARM server cores where sysfs says nothing (other systems,
 * containers that hide it). Used to size the matmul's K and M blocks.
 *
 * @param l1Data bytes of level-1 data cache per core
 * @param l2     bytes of level-2 cache per core
 */
record CacheSizes(long l1Data, long l2) {
    static final long DEFAULT_L1 = 32 * 1024;
    static final long DEFAULT_L2 = 1024 * 1024;
    private static final Path SYSFS = Path.of("/sys/devices/system/cpu/cpu0/cache");

    private static final CacheSizes DETECTED = detect(SYSFS);

    static CacheSizes current() {
        return DETECTED;
    }

    /** Reads {@code dir/index*}; any level it cannot read keeps its default. */
    static CacheSizes detect(Path dir) {
        long l1 = DEFAULT_L1;
        long l2 = DEFAULT_L2;
        for (int i = 0; i < 8; i++) {
            Path index = dir.resolve("index" + i);
            if (!Files.isDirectory(index)) {
                continue;
            }
            try {
                int level = Integer.parseInt(Files.readString(index.resolve("level")).trim());
                String type = Files.readString(index.resolve("type")).trim();
                long size = parseSize(Files.readString(index.resolve("size")).trim());
                if (size <= 0) {
                    continue;
                }
                if (level == 1 && type.equalsIgnoreCase("Data")) {
                    l1 = size;
                } else if (level == 2 && !type.equalsIgnoreCase("Instruction")) {
                    l2 = size;
                }
            } catch (IOException | RuntimeException e) {
                // An unreadable entry leaves the default in place: blocking stays correct, only less tuned.
            }
        }
        return new CacheSizes(l1, l2);
    }

    /** Parses sysfs sizes such as {@code 32K}, {@code 1024K}, {@code 2M}; -1 when it cannot. */
    static long parseSize(String text) {
        String t = text.toUpperCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1024;
        } else if (t.endsWith("M")) {
            unit = 1024 * 1024;
        } else if (t.endsWith("G")) {
            unit = 1024L * 1024 * 1024;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            return Long.parseLong(digits) * unit;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
