package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Settings;
import io.numarrow.SystemProperties;
import io.numarrow.kernels.TuneCommandTestAccess;
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

    /**
     * A fresh JVM reads the file when it first chooses its tile: {@code topology} then shows the tuned row
     * block; a damaged file leaves the default, and the properties win over the file.
     */
    @Test
    void aFreshJvmUsesTheFileForThisMachineAndThePropertiesWin() throws Exception {
        Path file = dir.resolve("kernels.properties");
        String tile = TuneCommandTestAccess.defaultTileSpec();
        int mc = 2 * Integer.parseInt(tile.substring(0, tile.indexOf('x')));
        TuneCommandTestAccess.write(file, tile, mc, "2026-12-07T07:00:00Z");
        String tuned = topology();
        assertTrue(tuned.contains("tuned on 2026-12-07T07:00:00Z, " + file), tuned);
        assertTrue(tuned.contains("mc=" + mc + " (tuned)"), tuned);

        String mcProperty = topology("-D" + Settings.GEMM_MC.name() + "=" + 5 * mc);
        assertTrue(mcProperty.contains("mc=" + 5 * mc + " (L2 "), mcProperty);
        assertTrue(mcProperty.contains("set by -D" + Settings.GEMM_MC.name()), mcProperty);
        String tileProperty = topology("-D" + Settings.GEMM_TILE.name() + "=" + tile);
        assertFalse(tileProperty.contains("tuned"), "the property names the tile, the file is not used:\n" + tileProperty);

        Files.writeString(file, Files.readString(file).replace("mc=" + mc, "mc=" + 3 * mc)); // its CRC no longer matches
        String damaged = topology();
        assertFalse(damaged.contains("tuned"), damaged);
        assertTrue(damaged.contains("default (numarrow tune measures the others)"), damaged);
    }

    private String topology(String... properties) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")
                    && !arg.startsWith("-Dnumarrow.")) {
                command.add(arg);
            }
        }
        command.add("-D" + DIR + "=" + dir);
        command.addAll(List.of(properties));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "topology"));
        Path log = Files.createTempFile(dir.getParent(), "numarrow-topology", ".log");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("topology did not finish in 60 s");
            }
            String out = Files.readString(log);
            assertEquals(0, child.exitValue(), out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
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
