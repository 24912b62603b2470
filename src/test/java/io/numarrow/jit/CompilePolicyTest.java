package io.numarrow.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.JvmFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class CompilePolicyTest {
    private static final List<String> POLICY = JvmFlags.ofThisRepository().stream()
            .filter(f -> f.startsWith("-XX:CompileCommand=")).toList();

    @Test
    void jvmFlagsCarryThePolicy() {
        assertNull(CompilePolicy.whyNot(POLICY, "mixed mode, sharing"), POLICY.toString());
    }

    /** Surefire starts the test JVM with jvm.flags. */
    @Test
    void theTestJvmRunsIt() {
        assertTrue(CompilePolicy.active(), CompilePolicy.whyNot());
    }

    @Test
    void withoutItsLinesOrWithoutC2ItIsOff() {
        assertEquals("no compile policy (the -XX:CompileCommand lines of jvm.flags)",
                CompilePolicy.whyNot(List.of("-Xmx1g"), "mixed mode"));
        assertEquals("no compile policy (the -XX:CompileCommand lines of jvm.flags)",
                CompilePolicy.whyNot(POLICY.stream().filter(f -> !f.contains("BackgroundCompilation")).toList(), "mixed mode"));
        assertEquals("-Xint: nothing is compiled", CompilePolicy.whyNot(with("-Xint"), "interpreted mode, sharing"));
        assertEquals("-XX:TieredStopAtLevel=1: no C2", CompilePolicy.whyNot(with("-XX:TieredStopAtLevel=1"), "mixed mode"));
        assertNull(CompilePolicy.whyNot(with("-XX:TieredStopAtLevel=4"), "mixed mode"));
    }

    /**
     * Every kernel class that computes with vectors is in the policy, both lines: a class left out runs
     * boxed until the JIT's default counts, seconds into a job. Packing is in: it packs A on every call.
     * Left out on purpose: FmaPeak (a probe).
     */
    @Test
    void everyVectorKernelClassIsCovered() throws Exception {
        Set<String> leftOut = Set.of("FmaPeak");
        Path kernels = JvmFlags.repositoryRoot().resolve("src/main/java/io/numarrow/kernels");
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.list(kernels)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                String name = file.getFileName().toString().replace(".java", "");
                String source = Files.readString(file, StandardCharsets.UTF_8);
                boolean vectors = source.contains("FloatVector.fromMemorySegment(") || source.contains("FloatVector.broadcast(")
                        || source.contains("FloatVector.zero(");
                if (vectors && !leftOut.contains(name)
                        && !(covers(CompilePolicy.WAIT_MARK, name) && covers(CompilePolicy.SOON_MARK, name))) {
                    missing.add(name);
                }
            }
        }
        assertEquals(List.of(), missing, "vector kernel classes without jvm.flags' compile policy lines");
    }

    /** Whether a policy line starting with {@code mark} names class {@code name} (exactly, or by a trailing '*'). */
    private static boolean covers(String mark, String name) {
        for (String flag : POLICY) {
            if (flag.startsWith(mark)) {
                String pattern = flag.substring(mark.length(), flag.indexOf("::"));
                if (pattern.equals(name) || pattern.endsWith("*") && name.startsWith(pattern.substring(0, pattern.length() - 1))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> with(String flag) {
        List<String> args = new ArrayList<>(POLICY);
        args.add(flag);
        return args;
    }
}
