package io.numarrow.kernels;

import io.numarrow.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import jdk.incubator.vector.FloatVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The matmul choice {@code numarrow tune} measured on this machine, kept in {@code kernels.properties}
 * under {@link Settings#cacheDir()}. Only choices with identical bits are kept (a tile of the preferred
 * width's columns, and the row block {@code mc}), so a cache changes speed alone.
 *
 * <p>The file is keyed by the CPU model and features, the JVM's vector ISA, the JDK version and the vector
 * width; a file for another key, or one that does not parse, is ignored with a debug line, never an error.
 * It is read once per JVM, when the matmul first chooses its tile, and only when it exists: with no file,
 * start-up pays nothing (not even {@link CpuIdentity}).
 */
public final class TuningCache {
    static final String FILE_NAME = "kernels.properties";
    private static final Logger LOG = LoggerFactory.getLogger(TuningCache.class);
    private static final String FORMAT = "1";
    private static final String CHECK = "crc32";

    private TuningCache() {
    }

    /**
     * What the file says for this machine: a tile of the preferred width ({@code ROWSxCOLS}, checked by
     * {@link TileChoice} against the tiles this JVM offers), its row block, and when it was measured.
     */
    record Choice(String tile, int mc, String measuredOn) {
    }

    /** What a cached choice must have been measured on to be used here. */
    record Key(String cpu, String features, String jvm, String jdk, int width) {
        static Key current() {
            CpuIdentity id = CpuIdentity.current();
            return new Key(id.model(), id.features(), id.jvmIsa(), Runtime.version().toString(),
                    FloatVector.SPECIES_PREFERRED.vectorBitSize());
        }
    }

    /** Where this JVM reads and {@code numarrow tune} writes the choice. */
    public static Path file() {
        return Settings.cacheDir().resolve(FILE_NAME);
    }

    /** This machine's cached choice, read once (the first call); empty when none applies. */
    static Optional<Choice> inForce() {
        return Loaded.CHOICE;
    }

    /** Deferred to the first matmul, so that a JVM that never multiplies never looks. */
    private static final class Loaded {
        static final Optional<Choice> CHOICE = readIfPresent(file());
    }

    /** The choice in {@code file} for this machine, or empty; never throws. */
    static Optional<Choice> readIfPresent(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return read(file, Key.current());
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("kernel tuning cache {} not used: {}", file, e.toString());
            return Optional.empty();
        }
    }

    /** The choice in {@code file} if it was measured under {@code key}; empty (with a debug line) otherwise. */
    static Optional<Choice> read(Path file, Key key) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.debug("kernel tuning cache {} unreadable, ignored: {}", file, e.toString());
            return Optional.empty();
        }
        // the last line checks the rest, so a file cut short or edited by hand is ignored whole
        int last = text.lastIndexOf("\n" + CHECK + "=");
        if (last < 0 || !text.endsWith("\n") || !text.substring(last + CHECK.length() + 2, text.length() - 1)
                .equals(crc(text.substring(0, last + 1)))) {
            LOG.debug("kernel tuning cache {} is damaged or cut short: ignored", file);
            return Optional.empty();
        }
        Map<String, String> p = new HashMap<>();
        for (String line : text.substring(0, last).split("\n")) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                p.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        if (!FORMAT.equals(p.get("format"))) {
            LOG.debug("kernel tuning cache {} has format {}, not {}: ignored", file, p.get("format"), FORMAT);
            return Optional.empty();
        }
        Key cached = new Key(p.get("cpu"), p.get("features"), p.get("jvm"), p.get("jdk"), parseInt(p.get("width")));
        if (!cached.equals(key)) {
            LOG.debug("kernel tuning cache {} was measured on {}, this is {}: ignored", file, cached, key);
            return Optional.empty();
        }
        // the tile is checked by TileChoice when it chooses: checking it here would make the two classes'
        // initialisations depend on each other
        String tile = p.get("tile");
        int mc = parseInt(p.get("mc"));
        String date = p.get("date");
        if (tile == null || !tile.matches("[0-9]{1,2}x[0-9]{1,3}") || mc <= 0 || date == null || date.isBlank()) {
            LOG.debug("kernel tuning cache {} holds no usable choice (tile {}, mc {}, date {}): ignored", file,
                    tile, p.get("mc"), date);
            return Optional.empty();
        }
        return Optional.of(new Choice(tile, mc, date));
    }

    /** Writes {@code choice} for {@code key}, replacing the file whole (a reader sees the old or the new one). */
    static void write(Path file, Key key, Choice choice) throws IOException {
        StringBuilder text = new StringBuilder(
                "# numarrow tune: matmul choices with identical bits, measured on this machine (docs/api.md)\n");
        String[][] entries = {{"format", FORMAT}, {"cpu", key.cpu()}, {"features", key.features()}, {"jvm", key.jvm()},
                {"jdk", key.jdk()}, {"width", String.valueOf(key.width())}, {"tile", choice.tile()},
                {"mc", String.valueOf(choice.mc())}, {"date", choice.measuredOn()}};
        for (String[] e : entries) {
            if (e[1].contains("\n")) {
                throw new IllegalArgumentException(e[0] + " holds a line break: " + e[1]);
            }
            text.append(e[0]).append('=').append(e[1]).append('\n');
        }
        String check = crc(text.toString()); // before the line that holds it is begun
        text.append(CHECK).append('=').append(check).append('\n');
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, FILE_NAME, ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String crc(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    private static int parseInt(String text) {
        try {
            return text == null ? -1 : Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
