package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Settings;
import io.numarrow.SystemProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code numarrow tune}: prints what it measured and what it chose, and keeps it in the cache directory. */
@Timeout(120)
class TuneCommandTest {
    private static final String DIR = Settings.CACHE_DIR.name();

    @TempDir
    Path dir;

    private CliBadInputTest.Run tune(String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "tune";
        System.arraycopy(args, 0, all, 1, args.length);
        return SystemProperties.with(DIR, dir.toString(), () -> CliBadInputTest.cli(all));
    }

    @Test
    void itPrintsTheTableAndWritesTheFileADamagedOneIncluded() throws Exception {
        Path file = dir.resolve("kernels.properties");
        Files.writeString(file, "format=1\ncpu=Intel Xe"); // cut short
        CliBadInputTest.Run run = tune("--rounds", "1");
        assertEquals(0, run.status(), run.stderr());
        String out = run.stdout();
        assertTrue(out.contains("8192×256·256×256"), out);
        assertTrue(out.contains("(default)"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("Chosen: tile ")), out);
        assertTrue(out.contains("Saved to " + file), out);
        assertFalse(out.contains("DIFFER"), "every variant gives the default's bits:\n" + out);
        String saved = Files.readString(file);
        String chosen = out.lines().filter(l -> l.startsWith("Chosen: tile ")).findFirst().orElseThrow();
        String tile = chosen.substring("Chosen: tile ".length(), chosen.indexOf(','));
        String mc = chosen.substring(chosen.indexOf("mc=") + 3).split("\\D")[0];
        assertTrue(saved.contains("\ntile=" + tile + "\n"), saved);
        assertTrue(saved.contains("\nmc=" + mc + "\n"), saved);
        assertTrue(saved.lines().anyMatch(l -> l.startsWith("crc32=")), saved);
    }

    @Test
    void aDryRunLeavesTheCacheAlone() throws Exception {
        CliBadInputTest.Run run = tune("--rounds", "1", "--dry-run");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("Not saved (--dry-run)."), run.stdout());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void badRoundsAreExit2AndOneLine() throws Exception {
        for (String rounds : List.of("0", "51")) {
            CliBadInputTest.Run run = tune("--rounds", rounds);
            assertEquals(Main.EXIT_BAD_INPUT, run.status(), run.stderr());
            assertEquals(List.of("numarrow: --rounds " + rounds + ": expected 1..50"), run.errLines());
            assertEquals("", run.stdout());
        }
        CliBadInputTest.Run run = tune("--rounds", "many");
        assertEquals(Main.EXIT_BAD_INPUT, run.status());
        assertTrue(run.errLines().getFirst().startsWith("numarrow: Invalid value for option '--rounds'"), run.stderr());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "bad usage writes nothing");
        }
    }
}
