package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-machine choice of {@code numarrow tune}: kept, keyed, ignored when it does not apply, overridden. */
class TuningCacheTest {
    @TempDir
    Path dir;

    private static TuningCache.Choice choice(TileShape tile, int mc) {
        return new TuningCache.Choice(TileChoice.spec(tile), mc, "2026-12-07T07:00:00Z");
    }

    private static TileShape tallestSafe() {
        return TileChoice.safeChoices(TileChoice.widthDefault()).getLast();
    }

    @Test
    void aWrittenChoiceReadsBackUnderTheSameKey() throws IOException {
        Path file = dir.resolve("sub").resolve(TuningCache.FILE_NAME);
        TuningCache.Choice c = choice(tallestSafe(), 3 * tallestSafe().mr * 16);
        TuningCache.write(file, TuningCache.Key.current(), c);
        assertEquals(Optional.of(c), TuningCache.read(file, TuningCache.Key.current()));
        assertEquals(Optional.of(c), TuningCache.readIfPresent(file));
        try (var left = Files.list(file.getParent())) {
            assertEquals(1, left.count(), "the temporary file is gone");
        }
    }

    @Test
    void aChoiceFromAnotherCpuModelJdkOrWidthIsIgnored() throws IOException {
        TuningCache.Key here = TuningCache.Key.current();
        // another model than this machine's, whichever of the two seen here it is
        String otherCpu = here.cpu().startsWith("AMD") ? "Intel(R) Xeon(R) Processor (family 6 model 167)"
                : "AMD EPYC (family 25 model 17)";
        TuningCache.Key[] others = {
                new TuningCache.Key(otherCpu, here.features(), here.jvm(), here.jdk(), here.width()),
                new TuningCache.Key(here.cpu(), here.features() + " amx_fp16", here.jvm(), here.jdk(), here.width()),
                new TuningCache.Key(here.cpu(), here.features(), here.jvm(), "24.0.2+12", here.width()),
                new TuningCache.Key(here.cpu(), here.features(), here.jvm(), here.jdk(), here.width() / 2)};
        for (TuningCache.Key other : others) {
            Path file = dir.resolve(TuningCache.FILE_NAME);
            TuningCache.write(file, other, choice(TileChoice.widthDefault(), 96));
            assertEquals(Optional.empty(), TuningCache.read(file, here), other.toString());
            assertEquals(Optional.empty(), TuningCache.readIfPresent(file), other.toString());
            assertTrue(TuningCache.read(file, other).isPresent(), "the same file under its own key");
        }
    }

    @Test
    void aDamagedOrMissingFileIsIgnoredWithoutAnError() throws IOException {
        Path file = dir.resolve(TuningCache.FILE_NAME);
        assertEquals(Optional.empty(), TuningCache.readIfPresent(file), "no file");
        TuningCache.write(file, TuningCache.Key.current(), choice(TileChoice.widthDefault(), 96));
        byte[] whole = Files.readAllBytes(file);
        String text = new String(whole, StandardCharsets.UTF_8);
        for (int cut = 0; cut < whole.length; cut++) {
            Files.write(file, java.util.Arrays.copyOf(whole, cut));
            assertEquals(Optional.empty(), TuningCache.readIfPresent(file), "cut at " + cut + " of " + whole.length);
        }
        String[] damaged = {text.replace("mc=96", "mc=ninety"), text.replace("mc=96", "mc=-6"),
                text.replaceAll("tile=[0-9x]+", "tile=big"), text.replace("format=1", "format=2"),
                text.replaceAll("date=.*", ""), "\u0000\u0001\\u12", ""};
        for (String d : damaged) {
            Files.writeString(file, d);
            assertEquals(Optional.empty(), TuningCache.readIfPresent(file), d);
        }
        String tile = TileChoice.spec(TileChoice.widthDefault());
        TuningCache.Choice[] unusable = {new TuningCache.Choice("big", 96, "d"), new TuningCache.Choice(tile, -6, "d"),
                new TuningCache.Choice(tile, 0, "d"), new TuningCache.Choice(tile, 96, " ")};
        for (TuningCache.Choice c : unusable) {
            TuningCache.write(file, TuningCache.Key.current(), c);
            assertEquals(Optional.empty(), TuningCache.readIfPresent(file), c.toString());
        }
        Path aDirectory = dir.resolve("d");
        Files.createDirectories(aDirectory);
        assertEquals(Optional.empty(), TuningCache.readIfPresent(aDirectory));
    }

    @Test
    void theTunedTileRunsOnlyWithoutTheProperty() throws Exception {
        TileShape width = TileChoice.widthDefault();
        for (TileShape t : TileChoice.safeChoices(width)) {
            assertEquals(t, TileChoice.choose("", () -> Optional.of(choice(t, 96))));
            assertEquals(t, TileChoice.choose(null, () -> Optional.of(choice(t, 96))));
            for (TileShape named : TileChoice.sameBits(width)) {
                assertEquals(named, TileChoice.choose(TileChoice.spec(named), () -> fail("the property spares the cache")));
            }
        }
        assertEquals(width, TileChoice.choose("", Optional::empty));
        assertEquals(width, TileChoice.choose("", () -> Optional.of(new TuningCache.Choice("5x32", 96, "d"))),
                "a tile this JVM does not offer falls back to the default");
        for (TileShape tall : TileChoice.sameBits(width)) {
            if (!TileChoice.safeChoices(width).contains(tall)) {
                assertEquals(width, TileChoice.choose("", () -> Optional.of(choice(tall, 96))),
                        "a tile this JVM's flags do not compile reliably is not taken from the cache");
            }
        }
    }

    @Test
    void theTunedRowBlockAppliesToItsTileAndYieldsToTheProperty() {
        TileShape t = tallestSafe();
        Optional<TuningCache.Choice> tuned = Optional.of(choice(t, 4 * t.mr));
        assertEquals(4 * t.mr, GemmBlocking.mcOverride(t, 0, tuned));
        assertEquals(7 * t.mr, GemmBlocking.mcOverride(t, 7 * t.mr, tuned), "the property wins");
        assertEquals(0, GemmBlocking.mcOverride(t, 0, Optional.empty()));
        for (TileShape other : TileShape.values()) {
            if (other != t) {
                assertEquals(0, GemmBlocking.mcOverride(other, 0, tuned), other.name());
            }
        }
        assertEquals(4 * t.mr, GemmBlocking.of(t, CacheSizes.current(), 0, GemmBlocking.mcOverride(t, 0, tuned)).mc());
    }
}
