package io.numarrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags numarrow needs, read from {@code jvm.flags} at the repository root: the one copy that
 * the launcher, the pom, the tests that start JVMs of their own and the benchmarks' forks all read.
 * A line is one flag; {@code #} starts a comment; blank lines are skipped (the launcher and the pom
 * parse it the same way, and {@code JvmFlagsTest} checks that they do).
 */
public final class JvmFlags {
    public static final String FILE_NAME = "jvm.flags";
    /** Spark's own flags for JVMs that run Spark without spark-submit (the tests, examples/run-local.sh). */
    public static final String SPARK_FILE_NAME = "spark.jvm.flags";

    private JvmFlags() {
    }

    /**
     * The flags of the repository this JVM runs from: {@code numarrow.repo} (set by the build for
     * tests), else {@code numarrow.home} (set by the launcher), else the working directory.
     */
    public static List<String> ofThisRepository() {
        return read(repositoryRoot().resolve(FILE_NAME));
    }

    public static Path repositoryRoot() {
        String root = System.getProperty("numarrow.repo", Settings.home().toString());
        return Path.of(root);
    }

    public static List<String> read(Path file) {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the JVM flags numarrow needs from " + file, e);
        }
    }

    static List<String> parse(List<String> lines) {
        List<String> flags = new ArrayList<>();
        for (String line : lines) {
            int comment = line.indexOf('#');
            String flag = (comment >= 0 ? line.substring(0, comment) : line).strip();
            if (!flag.isEmpty()) {
                flags.add(flag);
            }
        }
        return List.copyOf(flags);
    }
}
