package io.numarrow;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A JVM of its own for a test's probe: same flags and class path as this one, less agents. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * Whether this process ignores signal {@code name} ({@code INT}, {@code TERM}, ...), as a child then does
     * too: a shell starts a background job with SIGINT ignored, and the JVM leaves an ignored signal alone.
     */
    public static boolean ignoresSignal(String name) throws IOException {
        int number = switch (name) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "KILL" -> 9; // never ignored
            case "TERM" -> 15;
            default -> throw new IllegalArgumentException(name);
        };
        for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << (number - 1))) != 0;
            }
        }
        return false;
    }

    /** The command that runs {@code main} of {@code probe} with {@code args}. */
    public static List<String> command(Class<?> probe, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")
                    && !arg.startsWith("-Xmx")) {
                command.add(arg);
            }
        }
        command.add("-Xmx1g");
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), probe.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Reads {@code child}'s standard output up to the first line starting with {@code prefix} and
     * returns that line, or null when the output ends first (the child died or never got there).
     */
    public static String awaitLine(Process child, String prefix) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
            line = out.readLine();
        } while (line != null && !line.startsWith(prefix));
        return line;
    }

    /** Starts the probe with its output (stdout and stderr) going to {@code log}. */
    public static Process start(Path log, Class<?> probe, String... args) throws IOException {
        return new ProcessBuilder(command(probe, args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * Runs the probe to its end under {@code -Xlog:class+load} (60 s at most), its output going to {@code log},
     * and returns the output's lines, which show every class it loaded; a probe that fails or hangs fails the caller.
     */
    public static List<String> runLoggingClassLoads(Path log, Class<?> probe, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(command(probe, args));
        command.add(1, "-Xlog:class+load=info");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(probe.getSimpleName() + " did not finish");
        }
        List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(probe.getSimpleName() + " exited with " + p.exitValue() + ":\n" + String.join("\n", out));
        }
        return out;
    }
}
