package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.ChildJvm;
import io.numarrow.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TileChoiceTest {
    @Test
    void everyTileOfThePreferredWidthIsNamedByItsRowsAndColumns() {
        TileShape width = TileChoice.preferredFrom(null);
        assertEquals(width, TileChoice.preferredFrom(" "));
        for (TileShape t : TileChoice.sameBits(width)) {
            assertEquals(t, TileChoice.preferredFrom(t.mr + "x" + t.nr));
            assertEquals(t, TileChoice.preferredFrom(" " + t.mr + "X" + t.nr + " "));
            assertEquals(width.bits, t.bits);
            assertEquals(width.nr, t.nr, "a tile of other columns would change kc, hence the bits");
        }
    }

    @Test
    void aTileThisWidthDoesNotHaveIsOneLineNamingTheProperty() {
        BadInputException e = assertThrows(BadInputException.class, () -> TileChoice.preferredFrom("5x32"));
        assertTrue(e.getMessage().startsWith("-Dnumarrow.gemm.tile=5x32: expected one of this JVM's "), e.getMessage());
        assertTrue(e.getMessage().contains(TileChoice.preferredFrom(null).mr + "x"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void tallTilesAreOfferedOnlyWhereTheJvmCompilesThem() {
        TileShape width = TileChoice.preferredFrom(null);
        boolean tallOk = TileChoice.tallTilesCompile();
        for (TileShape t : TileChoice.sameBits(width)) {
            assertEquals(TileChoice.firstTierCompiles(t) || tallOk, TileChoice.safeChoices(width).contains(t), t.name());
        }
    }

    @Test
    void tallTilesAreOfferedAndTakenFromTheCacheOnceC1IsKeptOffTheTiles() {
        TileShape width = TileChoice.widthDefault();
        List<TileShape> tall = TileChoice.sameBits(width).stream().filter(t -> !TileChoice.firstTierCompiles(t)).toList();
        assertTrue(!tall.isEmpty() || width.bits != 512, "the 512-bit width has a tile over " + TileChoice.SAFE_ROWS + " rows");
        for (TileShape t : tall) {
            assertTrue(TileChoice.safeChoices(width, true).contains(t), t.name());
            assertTrue(!TileChoice.safeChoices(width, false).contains(t), t.name());
            TuningCache.Choice tuned = new TuningCache.Choice(TileChoice.spec(t), 2 * t.mr, "d");
            assertEquals(t, TileChoice.choose("", () -> Optional.of(tuned), true), "C1 kept off: the tuned tall tile runs");
            assertEquals(width, TileChoice.choose("", () -> Optional.of(tuned), false), "C1 may compile it: the default runs");
        }
        assertEquals(TileChoice.safeChoices(width, false), TileChoice.sameBits(width).stream()
                .filter(t -> TileChoice.firstTierCompiles(t)).toList());
    }

    @Test
    void topologySaysWhyTheTallTilesAreOrAreNotOffered() {
        String note = TileChoice.tallTilesNote();
        assertEquals(1, note.lines().count(), note);
        assertTrue(note.startsWith("tiles over " + TileChoice.SAFE_ROWS + " rows "), note);
        assertEquals(TileChoice.tallTilesCompile(), !note.contains("not offered"), note);
        if (!TileChoice.tallTilesCompile()) {
            assertTrue(note.contains(Settings.KERNELS_SKIP_C1.name()), note);
        }
        assertTrue(Matmul.kernelChoice().contains(note), Matmul.kernelChoice().toString());
    }

    @Test
    void aTallTileNamedWithoutTheDelayFlagGetsOneWarningNamingTheFlag() {
        for (TileShape t : TileChoice.sameBits(TileChoice.widthDefault())) {
            boolean tall = !TileChoice.firstTierCompiles(t);
            assertEquals(tall, TileChoice.tallTileWarning(t, false).isPresent(), t.name());
            assertTrue(TileChoice.tallTileWarning(t, true).isEmpty(), t + ": the flag is there, nothing to warn of");
            TileChoice.tallTileWarning(t, false).ifPresent(w -> {
                assertTrue(w.startsWith("-Dnumarrow.gemm.tile=" + TileChoice.spec(t) + " without -XX:Tier3DelayOn=10000"), w);
                assertEquals(1, w.lines().count(), w);
            });
        }
    }

    /**
     * The kernels' warm-up keeps C1 off the tiles as the matmul's first touch: a tall tile named by the
     * property is then taken without the warning, which would name a flag it does not need.
     */
    @Test
    void aTallTileNamedWhereC1IsKeptOffTheTilesIsTakenWithoutAWarning() throws Exception {
        for (TileShape t : TileChoice.sameBits(TileChoice.widthDefault())) {
            if (TileChoice.firstTierCompiles(t)) {
                continue;
            }
            List<String> command = new ArrayList<>(ChildJvm.command(TileOsrProbe.class, "skipFirstTier"));
            command.add(command.indexOf("-cp"), "-D" + Settings.GEMM_TILE.name() + "=" + TileChoice.spec(t));
            Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
            List<String> lines = new String(child.getInputStream().readAllBytes()).lines().toList();
            assertTrue(child.waitFor(120, TimeUnit.SECONDS), t + ": the probe did not finish");
            assertEquals(0, child.exitValue(), t + ": " + String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.contains("ran " + TileChoice.spec(t))), t + ": " + String.join("\n", lines));
            assertTrue(lines.stream().noneMatch(l -> l.contains("without -XX:Tier3DelayOn")), t + ": " + String.join("\n", lines));
        }
    }

    /**
     * The bound behind {@link TileChoice#SAFE_ROWS}: in a JVM whose loops reach the first tier (C1) on stack
     * replacement before their method does, every tile of at most that many rows compiles there, and a
     * taller one does not (C1 runs out of virtual registers; such a JVM stays in slow code, which is why
     * the tall tiles need the flags of {@link TileChoice#tallTilesCompile}). Each tile in a child JVM
     * stopped at C1, with a low back-edge threshold.
     */
    @Test
    void tilesUpToTheSafeRowsCompileAtTheFirstTierOnStackReplacement() throws Exception {
        for (TileShape t : TileChoice.sameBits(TileChoice.widthDefault())) {
            List<String> output = runOsrProbe(t);
            List<String> osr = output.stream().filter(l -> l.contains("io.numarrow.kernels.MicroKernel")
                    && l.contains("::sumsUnchecked @")).toList();
            assertTrue(!osr.isEmpty(), "no on-stack-replacement compile of " + t + "'s K loop was tried");
            boolean skipped = osr.stream().anyMatch(l -> l.contains("COMPILE SKIPPED"));
            // the probe names the tile without -XX:Tier3DelayOn: a tall one is warned of, once
            long warnings = output.stream().filter(l -> l.contains("without -XX:Tier3DelayOn")).count();
            assertEquals(!TileChoice.firstTierCompiles(t) ? 1 : 0, warnings, t + ": " + String.join("\n", output));
            assertEquals(!TileChoice.firstTierCompiles(t), skipped, t + ": " + String.join("\n", osr));
        }
    }

    private static List<String> runOsrProbe(TileShape tile) throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(TileOsrProbe.class));
        // jvm.flags' policy scales the kernels' thresholds by 1/50: a back edge threshold of 1000 is then 20,
        // reached in the first call, before the method's own compile; the flags after this JVM's own win
        command.addAll(command.indexOf("-cp"), List.of("-XX:TieredStopAtLevel=3", "-XX:Tier3BackEdgeThreshold=1000",
                "-XX:+PrintCompilation", "-Dnumarrow.gemm.tile=" + TileChoice.spec(tile)));
        Path log = Files.createTempFile("numarrow-tile-osr", ".log");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!child.waitFor(120, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("the probe of " + tile + " did not finish in 120 s");
            }
            List<String> lines = Files.readAllLines(log);
            assertEquals(0, child.exitValue(), tile + ": " + String.join("\n", lines));
            // contains, not a whole line: the JVM's compile lines share standard output and may run into it
            assertTrue(lines.stream().anyMatch(l -> l.contains("ran " + TileChoice.spec(tile))),
                    tile + ": " + String.join("\n", lines));
            return lines;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
