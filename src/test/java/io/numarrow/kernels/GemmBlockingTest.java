package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Cache sizes from a sysfs-like tree, their defaults, and the blocking derived from them. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class GemmBlockingTest {
    @TempDir
    Path dir;

    @Test
    void readsLevelOneDataAndLevelTwoFromSysfs() throws IOException {
        cache("index0", 1, "Data", "48K");
        cache("index1", 1, "Instruction", "32K");
        cache("index2", 2, "Unified", "2048K");
        cache("index3", 3, "Unified", "32M");
        CacheSizes c = CacheSizes.detect(dir);
        assertEquals(48 * 1024, c.l1Data());
        assertEquals(2 * 1024 * 1024, c.l2());
    }

    @Test
    void missingOrGarbledEntriesKeepTheDefaults() throws IOException {
        assertEquals(new CacheSizes(CacheSizes.DEFAULT_L1, CacheSizes.DEFAULT_L2), CacheSizes.detect(dir.resolve("absent")));
        cache("index0", 1, "Data", "lots");
        cache("index2", 2, "Unified", "");
        assertEquals(new CacheSizes(CacheSizes.DEFAULT_L1, CacheSizes.DEFAULT_L2), CacheSizes.detect(dir));
    }

    @Test
    void parsesSysfsSizeSuffixes() {
        assertEquals(32 * 1024, CacheSizes.parseSize("32K"));
        assertEquals(2 * 1024 * 1024, CacheSizes.parseSize("2M"));
        assertEquals(512, CacheSizes.parseSize("512"));
        assertEquals(-1, CacheSizes.parseSize("x"));
    }

    @Test
    void blocksFitTheCachesAndTheTile() {
        for (TileShape shape : TileShape.values()) {
            GemmBlocking b = GemmBlocking.of(shape, new CacheSizes(32 * 1024, 1024 * 1024), 0, 0);
            assertTrue((long) b.kc() * shape.nr * Float.BYTES <= 2 * 32 * 1024, "B panel fits two L1s for " + shape);
            assertTrue((long) b.kc() * b.mc() * Float.BYTES <= 1024 * 1024 / 2, "A block fits half of L2 for " + shape);
            assertEquals(0, b.mc() % shape.mr, "whole row tiles per block for " + shape);
            assertEquals(0, b.kc() % 8);
        }
        GemmBlocking tiny = GemmBlocking.of(TileShape.W512, new CacheSizes(1024, 4096), 0, 0);
        assertEquals(64, tiny.kc(), "kc is clamped from below");
        assertEquals(TileShape.W512.mr, tiny.mc(), "mc is at least one row tile");
        GemmBlocking forced = GemmBlocking.of(TileShape.W256, new CacheSizes(32 * 1024, 1024 * 1024), 200, 100);
        assertEquals(200, forced.kc());
        assertEquals(96, forced.mc());
    }

    private void cache(String index, int level, String type, String size) throws IOException {
        Path d = Files.createDirectories(dir.resolve(index));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }
}
