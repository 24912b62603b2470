package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import io.numarrow.JvmFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The check a task runs before numarrow loads Arrow or the kernels, in JVMs with and without the flags. */
class ExecutorJvmCheckTest {
    @TempDir
    Path dir;

    /** The flag of jvm.flags that starts with {@code prefix}. */
    static String flag(String prefix) {
        return JvmFlags.ofThisRepository().stream().filter(f -> f.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("jvm.flags has no " + prefix + " flag"));
    }

    @Test
    void theJarCarriesJvmFlags() {
        assertEquals(JvmFlags.ofThisRepository(), ExecutorJvmCheck.requiredFlags());
    }

    @Test
    void aJvmWithNumarrowsFlagsPasses() {
        assertEquals(List.of(), ExecutorJvmCheck.missing(ExecutorJvmCheck.requiredFlags()));
        ExecutorJvmCheck.require();
    }

    @Test
    void flagsThisJvmWasNotStartedWithAreMissing() {
        assertFalse(ExecutorJvmCheck.inEffect("--add-modules=jdk.no.such.module"));
        assertFalse(ExecutorJvmCheck.inEffect("--add-opens=java.base/java.lang.ref=ALL-UNNAMED"));
        assertTrue(ExecutorJvmCheck.inEffect("--add-opens=java.base/java.util=ALL-UNNAMED"), "given by the pom's Spark flags");
        assertTrue(ExecutorJvmCheck.inEffect("-Dsome.property=1"), "what cannot be seen from inside counts as given");
    }

    @Test
    @Timeout(60)
    void aJvmWithoutTheVectorModuleOrJavaNioIsToldWhichFlagsToAdd() throws Exception {
        String vector = flag("--add-modules");
        String nio = flag("--add-opens=java.base/java.nio");
        String out = probe(vector, nio);
        assertTrue(out.contains("MissingJvmFlagException: this executor's JVM was started without " + vector + " " + nio
                + "; add the flags of numarrow's jvm.flags to spark.executor.extraJavaOptions"), out);
    }

    @Test
    @Timeout(60)
    void aJvmWithoutNativeAccessIsToldToo() throws Exception {
        String nativeAccess = flag("--enable-native-access");
        String out = probe(nativeAccess);
        assertTrue(out.contains("started without " + nativeAccess + ";"), out);
    }

    /** Runs {@link Probe} in a JVM started like this one, less {@code dropped}; returns its output. */
    private String probe(String... dropped) throws Exception {
        List<String> command = new ArrayList<>(ChildJvm.command(Probe.class));
        command.removeAll(List.of(dropped));
        Path log = dir.resolve("probe.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(50, TimeUnit.SECONDS));
        String out = Files.readString(log);
        assertEquals(3, p.exitValue(), out);
        return out;
    }

    /** Runs the check and prints what it throws; exit 3 when it threw. */
    static final class Probe {
        public static void main(String[] args) {
            try {
                ExecutorJvmCheck.require();
                System.out.println("no flag missing");
            } catch (MissingJvmFlagException e) {
                System.out.println(e);
                System.exit(3);
            }
        }
    }
}
