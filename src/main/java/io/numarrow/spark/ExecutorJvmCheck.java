package io.numarrow.spark;

import io.numarrow.jit.CompilePolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Checks, before a task touches Arrow or the kernels, that this executor JVM was started with the
 * flags of numarrow's {@code jvm.flags} (which the build puts in the jar). A missing one fails the task
 * with a message naming it, instead of a {@code NoClassDefFoundError} in the kernels or an
 * {@code IllegalAccessError} in Arrow. The result is kept: a JVM's flags cannot change.
 */
final class ExecutorJvmCheck {
    static final String FLAGS_RESOURCE = "/io/numarrow/jvm.flags";
    private static final String ALL_UNNAMED = "ALL-UNNAMED";

    private static final List<String> MISSING = missing(requiredFlags());

    private ExecutorJvmCheck() {
    }

    /** Throws naming every missing flag; returns at once when none is. */
    static void require() {
        if (!MISSING.isEmpty()) {
            throw new MissingJvmFlagException(message(MISSING));
        }
    }

    static String message(List<String> missing) {
        return "this executor's JVM was started without " + String.join(" ", missing)
                + "; add the flags of numarrow's jvm.flags to spark.executor.extraJavaOptions"
                + " (and spark.driver.extraJavaOptions), e.g. --conf \"spark.executor.extraJavaOptions="
                + String.join(" ", missing) + "\"";
    }

    /**
     * The flags of {@code jvm.flags}, one per line, {@code #} comments and blank lines skipped; none
     * (and a warning) from a build that left the file out of the jar.
     */
    static List<String> requiredFlags() {
        try (InputStream in = ExecutorJvmCheck.class.getResourceAsStream(FLAGS_RESOURCE)) {
            if (in == null) {
                LoggerFactory.getLogger(ExecutorJvmCheck.class).warn("numarrow: the jar lacks {} (the build copies"
                        + " jvm.flags there), so executors' JVM flags go unchecked", FLAGS_RESOURCE);
                return List.of();
            }
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .map(line -> line.replaceFirst("#.*", "").strip())
                    .filter(flag -> !flag.isEmpty())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Those of {@code flags} whose effect this JVM lacks. */
    static List<String> missing(List<String> flags) {
        return flags.stream().filter(flag -> !inEffect(flag)).toList();
    }

    /**
     * Whether this JVM shows the effect of {@code flag}: its modules resolved, its package opened to
     * numarrow's (unnamed) module, native access enabled. A flag whose effect cannot be seen from
     * inside counts as given: {@code --sun-misc-unsafe-memory-access}, whose absence JDK 25 only warns about.
     */
    static boolean inEffect(String flag) {
        if (CompilePolicy.onlySooner(flag)) {
            return true; // without it the kernels compile later, nothing fails
        }
        Module ours = ExecutorJvmCheck.class.getModule();
        String value = flag.substring(flag.indexOf('=') + 1);
        if (flag.startsWith("--add-modules=")) {
            for (String module : value.split(",")) {
                if (ModuleLayer.boot().findModule(module).isEmpty()) {
                    return false;
                }
            }
            return true;
        }
        if (flag.startsWith("--add-opens=") && value.endsWith("=" + ALL_UNNAMED)) {
            String[] modulePackage = value.substring(0, value.indexOf('=')).split("/", 2);
            Optional<Module> module = ModuleLayer.boot().findModule(modulePackage[0]);
            return module.isPresent() && module.get().isOpen(modulePackage[1], ours);
        }
        if (flag.equals("--enable-native-access=" + ALL_UNNAMED)) {
            return ours.isNativeAccessEnabled();
        }
        return true;
    }
}
