package io.numarrow.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The big-endian fixtures in data/interop/big-endian are what their generator writes: it runs again
 * (Arrow JS from the npm registry, as for the Parquet interop test; skipped without Node.js) and
 * every file must come out byte for byte the same.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BigEndianFixturesTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", "."));

    @Test
    void theGeneratorWritesTheCheckedInFiles(@TempDir Path dir) throws Exception {
        Path npm = NodeTools.installed();
        Path interop = REPO.resolve("data/interop");
        for (String f : List.of("arrowjs-features.arrow", "arrowjs-weights.arrow")) {
            Files.copy(interop.resolve(f), dir.resolve(f));
        }
        Process p = new ProcessBuilder("node", REPO.resolve("tools/interop/make-big-endian-fixtures.mjs").toAbsolutePath().toString(),
                dir.toString()).directory(npm.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("node.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the generator finished");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("node.log")));
        Path checkedIn = interop.resolve("big-endian");
        List<Path> files;
        try (Stream<Path> s = Files.list(checkedIn)) {
            files = s.sorted().toList();
        }
        assertEquals(9, files.size(), files.toString());
        for (Path f : files) {
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(dir.resolve("big-endian").resolve(f.getFileName())),
                    f.getFileName() + " is what the generator writes");
        }
    }
}
