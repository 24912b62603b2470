package io.numarrow.cli;

import io.numarrow.numa.NumaOption;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads a plain {@code compute} command line without picocli, for the job's start-up: picocli's classes
 * are Java 5 class files, which the JVM's AOT cache does not store, so a fresh JVM loads and verifies
 * about 180 of them and builds the model of every subcommand by reflection, on a core the kernels'
 * compile needs (docs/performance.md, issue 29's start-up).
 *
 * <p>It takes only what picocli would read the same way: {@code compute}, then each option of the
 * command at most once as {@code --name value} or {@code --name=value}, flags bare, {@code --input} and
 * {@code --output} given. Anything else (help, version, an unknown or repeated option, a value that is
 * empty or starts with '-', a {@code --threads} that is not an int, a path the file system refuses)
 * gives null and picocli reads the line, so its messages and exit statuses stay as they are. The
 * defaults are ComputeCommand's and the mixins' own constants; ComputeArgsTest checks that picocli sets
 * every field the same way and that this class knows every option picocli knows.
 */
final class ComputeArgs {
    /** The options that take a value. */
    static final Set<String> VALUE_OPTIONS = Set.of("--input", "--weights", "--bias", "--output", "--input-format",
            "--output-format", "--compression", "--ops", "--prediction-column", "--column", "--output-column",
            "--threads", "--numa");
    /** The options that take none. */
    static final Set<String> FLAGS = Set.of("--drop-input", "--stats", "--pin", "--verbose", "--quiet");

    private ComputeArgs() {
    }

    /** The command {@code args} asks for, its fields set as picocli would set them; null when picocli must read it. */
    static ComputeCommand parse(String... args) {
        if (args.length == 0 || !args[0].equals("compute")) {
            return null;
        }
        ComputeCommand c = new ComputeCommand();
        c.resources = new ResourceOptions();
        c.common = new CommonOptions();
        c.compression = ComputeCommand.DEFAULT_COMPRESSION;
        c.ops = ComputeCommand.DEFAULT_OPS;
        c.predictionColumn = ComputeCommand.DEFAULT_PREDICTION_COLUMN;
        c.column = ComputeCommand.DEFAULT_COLUMN;
        c.outputColumn = ComputeCommand.DEFAULT_OUTPUT_COLUMN;
        c.resources.numa = NumaOption.DEFAULT;
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            String value = null;
            int eq = name.indexOf('=');
            if (name.startsWith("--") && eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (!seen.add(name)) {
                return null;
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    return null;
                }
                setFlag(c, name);
                continue;
            }
            if (!VALUE_OPTIONS.contains(name)) {
                return null;
            }
            if (value == null) {
                if (i + 1 == args.length) {
                    return null;
                }
                value = args[++i];
            }
            if (value.isEmpty() || value.startsWith("-") || !setValue(c, name, value)) {
                return null;
            }
        }
        return c.input != null && c.output != null ? c : null;
    }

    private static void setFlag(ComputeCommand c, String name) {
        switch (name) {
            case "--drop-input" -> c.dropInput = true;
            case "--stats" -> c.stats = true;
            case "--pin" -> c.resources.pin = true;
            case "--verbose" -> c.common.verbose = true;
            case "--quiet" -> c.common.quiet = true;
            default -> throw new IllegalArgumentException(name);
        }
    }

    /** Sets the option; false when picocli would not take the value as it stands. */
    private static boolean setValue(ComputeCommand c, String name, String value) {
        try {
            switch (name) {
                case "--input" -> c.input = Path.of(value);
                case "--weights" -> c.weights = Path.of(value);
                case "--bias" -> c.bias = Path.of(value);
                case "--output" -> c.output = Path.of(value);
                case "--input-format" -> c.inputFormat = value;
                case "--output-format" -> c.outputFormat = value;
                case "--compression" -> c.compression = value;
                case "--ops" -> c.ops = value;
                case "--prediction-column" -> c.predictionColumn = value;
                case "--column" -> c.column = value;
                case "--output-column" -> c.outputColumn = value;
                case "--threads" -> c.resources.threads = Integer.valueOf(value); // picocli's converter
                case "--numa" -> c.resources.numa = value;
                default -> throw new IllegalArgumentException(name);
            }
            return true;
        } catch (NumberFormatException | InvalidPathException e) {
            return false;
        }
    }
}
