package io.numarrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The one list of numarrow.* settings: nothing else reads one, docs/api.md names each, and a bad value is
 * one line naming the property.
 */
class SettingsTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", "."));
    /** A quoted name of a numarrow.* property, such as {@code "numarrow.gemm.kc"}. */
    private static final Pattern PROPERTY_LITERAL = Pattern.compile("\"(numarrow\\.[A-Za-z][A-Za-z0-9.]*)");
    private static final Path SETTINGS = Path.of("src/main/java/io/numarrow/Settings.java");

    /**
     * Shipped code (main, benchmarks, jcstress) names no numarrow.* property outside Settings; tests may
     * name their own harness properties (numarrow.repo, numarrow.test.*, ...) but read numarrow's through
     * Settings too.
     */
    @Test
    void noClassButSettingsNamesANumarrowProperty() throws IOException {
        Set<String> settings = Settings.all().stream().map(Settings.Setting::name).collect(Collectors.toSet());
        List<String> offenders = new ArrayList<>();
        for (String root : List.of("src/main/java", "src/jmh/java", "src/jcstress/java", "src/test/java")) {
            boolean shipped = !root.equals("src/test/java");
            for (Path file : javaFiles(REPO.resolve(root))) {
                Path relative = REPO.relativize(file);
                if (relative.equals(SETTINGS) || file.getFileName().toString().equals("SettingsTest.java")) {
                    continue;
                }
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).strip();
                    if (line.startsWith("*") || line.startsWith("/*") || line.startsWith("//")) {
                        continue; // comments may name a property
                    }
                    Matcher m = PROPERTY_LITERAL.matcher(line);
                    while (m.find()) {
                        if (shipped || settings.contains(m.group(1))) {
                            offenders.add(relative + ":" + (i + 1) + ": " + m.group(1));
                        }
                    }
                }
            }
        }
        assertTrue(offenders.isEmpty(), "numarrow.* properties are read through io.numarrow.Settings only:\n"
                + String.join("\n", offenders));
    }

    /** Shown to find a property read behind Settings' back: the pattern matches the forms the code used. */
    @Test
    void thePatternFindsTheWaysPropertiesWereRead() {
        for (String read : List.of("Integer.getInteger(\"numarrow.gemm.kc\", 0)", "System.getProperty(\"numarrow.home\", \".\")",
                "static final String PROPERTY = \"numarrow.warmup\";", "Boolean.getBoolean(\"numarrow.tensor.unscoped\")")) {
            assertTrue(PROPERTY_LITERAL.matcher(read).find(), read);
        }
        assertFalse(PROPERTY_LITERAL.matcher("command.add(\"-Dnumarrow.warmup=false\")").find(),
                "a flag handed to a child JVM is not a read");
    }

    @Test
    void apiMdNamesEverySettingWithItsDefault() throws IOException {
        String api = Files.readString(REPO.resolve("docs/api.md"));
        for (Settings.Setting s : Settings.all()) {
            assertTrue(api.contains("`" + s.name() + "`"), "docs/api.md does not name " + s.name());
            String row = api.lines().filter(l -> l.contains("`" + s.name() + "`")).findFirst().orElseThrow();
            assertTrue(row.contains("`" + s.defaultValue() + "`") || s.defaultValue().isEmpty(),
                    "docs/api.md's line for " + s.name() + " does not give its default " + s.defaultValue() + ": " + row);
        }
    }

    @Test
    void defaultsWhenUnset() {
        withProperty("numarrow.parquet.rowGroupRows", null, () -> assertEquals(0, Settings.parquetRowGroupRows()));
        withProperty("numarrow.gemm.tile", null, () -> assertEquals("", Settings.gemmTile()));
        withProperty("numarrow.stderr.terminal", null, () -> assertEquals(Optional.empty(), Settings.stderrTerminal()));
        withProperty("numarrow.numa.cacheLimit", null, () -> assertEquals(256L << 20, Settings.numaCacheLimit()));
        withProperty("numarrow.home", null, () -> assertEquals(Path.of("."), Settings.home()));
        for (Settings.Setting s : Settings.all()) {
            withProperty(s.name(), null, () -> {
                assertFalse(s.isSet());
                assertEquals(s.defaultValue(), s.inForce());
                assertTrue(Settings.problems().isEmpty(), "the default of " + s.name() + " parses");
            });
        }
    }

    @Test
    void setValuesAreRead() {
        withProperty("numarrow.parquet.rowGroupRows", "4096", () -> assertEquals(4096, Settings.parquetRowGroupRows()));
        withProperty("numarrow.gemm.tile", " 12X32 ", () -> assertEquals("12x32", Settings.gemmTile()));
        withProperty("numarrow.stderr.terminal", "TRUE", () -> assertEquals(Optional.of(true), Settings.stderrTerminal()));
        withProperty("numarrow.stderr.terminal", "false", () -> assertEquals(Optional.of(false), Settings.stderrTerminal()));
        withProperty("numarrow.numa.hugePageThreshold", " 8388608 ", () -> assertEquals(8L << 20, Settings.numaHugePageThreshold()));
        withProperty("numarrow.gemm.kc", "256", () -> {
            assertTrue(Settings.GEMM_KC.isSet());
            assertEquals(256, Settings.gemmKc());
        });
    }

    @Test
    void aBadValueIsOneLineNamingTheProperty() {
        record Bad(String property, String value, String expected) {
        }
        for (Bad bad : List.of(new Bad("numarrow.gemm.kc", "big", "a whole number from 0 to 2147483647"),
                new Bad("numarrow.gemm.packAPanels", "0", "a whole number from 1 to 2147483647"),
                new Bad("numarrow.gemm.mc", "99999999999", "a whole number from 0 to 2147483647"),
                new Bad("numarrow.numa.cacheLimit", "-1", "a whole number from 0 up"),
                new Bad("numarrow.gemm.aLayout", "columns", "rows or interleaved"),
                new Bad("numarrow.gemm.tile", "12 by 32", "ROWSxCOLS, e.g. 12x32, or nothing"),
                new Bad("numarrow.warmup", "yes", "true or false"),
                new Bad("numarrow.stderr.terminal", "1", "true or false"))) {
            withProperty(bad.property(), bad.value(), () -> {
                List<String> problems = Settings.problems();
                assertEquals(1, problems.size(), problems.toString());
                String line = problems.getFirst();
                assertTrue(line.startsWith("-D" + bad.property() + "=" + bad.value() + ": expected " + bad.expected() + " ("),
                        line);
                assertFalse(line.contains("\n"), line);
                Settings.Setting setting = Settings.all().stream().filter(s -> s.name().equals(bad.property())).findFirst().orElseThrow();
                assertTrue(line.endsWith("(" + setting.meaning() + ")"), line);
            });
        }
        withProperty("numarrow.gemm.kc", "big", () -> {
            BadInputException e = assertThrows(BadInputException.class, Settings::gemmKc);
            assertTrue(e.getMessage().startsWith("-Dnumarrow.gemm.kc=big: expected a whole number"), e.getMessage());
        });
    }

    private static void withProperty(String property, String value, Runnable check) {
        try {
            SystemProperties.with(property, value, () -> {
                check.run();
                return null;
            });
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<Path> javaFiles(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
    }
}
