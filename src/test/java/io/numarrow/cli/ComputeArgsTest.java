package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The {@code compute} line read without picocli sets every field as picocli does, or leaves the line to picocli. */
class ComputeArgsTest {
    @Test
    void knowsEveryOptionPicocliKnows() {
        Set<String> picocli = new CommandLine(new ComputeCommand()).getCommandSpec().options().stream()
                .flatMap(o -> Arrays.stream(o.names())).collect(Collectors.toCollection(TreeSet::new));
        picocli.removeAll(Set.of("-h", "--help", "-V", "--version")); // left to picocli on purpose
        Set<String> own = new TreeSet<>(ComputeArgs.VALUE_OPTIONS);
        own.addAll(ComputeArgs.FLAGS);
        assertEquals(picocli, own, "an option added to compute must be added to ComputeArgs (with its default)");
    }

    @Test
    void setsTheFieldsPicocliSets() {
        String[][] lines = {
                {"compute", "--input", "x.arrow", "--output", "o.arrow"},
                {"compute", "--output=o.parquet", "--input=parts/*.parquet", "--stats", "--quiet"},
                {"compute", "--input", "x.arrow", "--weights", "w.npy", "--bias", "b.arrow", "--output", "o.arrow",
                        "--ops", "matmul,softmax,argmax", "--prediction-column", "p", "--column", "f", "--output-column", "y",
                        "--drop-input", "--threads", "3", "--pin", "--numa", "off", "--verbose", "--input-format", "arrow",
                        "--output-format", "parquet", "--compression", "zstd"},
                {"compute", "--threads", "1", "--numa=preferred=0", "--input", "a b/x.arrow", "--output", "o=.arrow"},
        };
        for (String[] line : lines) {
            ComputeCommand fast = ComputeArgs.parse(line);
            assertNotNull(fast, String.join(" ", line));
            assertEquals(fields(picocli(line)), fields(fast), String.join(" ", line));
        }
    }

    @Test
    void leavesToPicocliWhatItMightReadOtherwise() {
        String[][] lines = {
                {},
                {"compute"},
                {"demo", "--input", "x", "--output", "o"},
                {"--verbose", "compute", "--input", "x", "--output", "o"},
                {"compute", "--input", "x.arrow"}, // --output missing: picocli says so
                {"compute", "--input", "x", "--output", "o", "--help"},
                {"compute", "--input", "x", "--output", "o", "-V"},
                {"compute", "--input", "x", "--output", "o", "--nope"},
                {"compute", "--input", "x", "--output", "o", "--input", "y"}, // repeated
                {"compute", "--input", "x", "--output", "o", "--stats", "--stats"},
                {"compute", "--input", "x", "--output", "-"}, // standard output: starts with '-'
                {"compute", "--input", "x", "--output", "o", "--threads", "two"},
                {"compute", "--input", "x", "--output", "o", "--threads", "-1"},
                {"compute", "--input", "x", "--output", ""},
                {"compute", "--input=", "--output", "o"},
                {"compute", "--input", "x", "--output", "o", "--stats=true"},
                {"compute", "--input", "x", "--output", "o", "--ops"}, // no value
                {"compute", "--input", "x", "--output", "o", "extra"},
                {"compute", "--input", "x\0y", "--output", "o"},
        };
        for (String[] line : lines) {
            assertNull(ComputeArgs.parse(line), String.join(" ", line));
        }
    }

    private static ComputeCommand picocli(String[] line) {
        CommandLine cli = new CommandLine(new ComputeCommand());
        cli.parseArgs(Arrays.copyOfRange(line, 1, line.length));
        return cli.getCommand();
    }

    /** Every option field of the command and its mixins, by name. */
    private static Map<String, Object> fields(ComputeCommand c) {
        Map<String, Object> values = new LinkedHashMap<>();
        try {
            for (Field f : ComputeCommand.class.getDeclaredFields()) {
                if (f.isAnnotationPresent(Option.class)) {
                    values.put(f.getName(), f.get(c));
                } else if (f.isAnnotationPresent(Mixin.class)) {
                    Object mixin = f.get(c);
                    for (Field m : f.getType().getDeclaredFields()) {
                        if (m.isAnnotationPresent(Option.class)) {
                            m.setAccessible(true);
                            values.put(f.getName() + "." + m.getName(), m.get(mixin));
                        }
                    }
                }
            }
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
        return values;
    }
}
