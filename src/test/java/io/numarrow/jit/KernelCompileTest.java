package io.numarrow.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KernelCompileTest {
    /** A {@code -XX:+PrintCompilation} line: flags ({@code %} on-stack replacement), tier, method, rest. */
    private static final Pattern COMPILE = Pattern.compile("^\\s*\\d+\\s+\\d+\\s+([%sbn! ]*?)\\s*(\\d)\\s+(\\S+::\\S+)(.*)$");
    /** The classes jvm.flags' compile policy covers. */
    private static final Pattern POLICY_CLASS = Pattern.compile(
            "io\\.numarrow\\.kernels\\.(MicroKernel\\w+|Softmax|VectorExp|RowSum|RowArgmax|Packing)::.*");

    @TempDir
    Path dir;

    /**
     * In a fresh JVM with jvm.flags, the warm-up returns with the preferred width's tile and softmax's
     * exp compiled by C2, and a 4000×256→256 batch afterwards allocates nothing (no vector op ran outside
     * C2's code: boxed vectors allocate), compiles no tile and throws no kernel's C2 code away (a trap: C2
     * had compiled it for operands unlike a job's, seen when the warm-up's segments had a scope of their
     * own). (Softmax's small outer methods, fast enough at C1, may reach C2 during the batch when a busy
     * machine kept the compiler's queue long.)
     */
    @Test
    void theKernelsAreCompiledWhenItReturnsAndABatchCompilesNothingMore() throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+PrintCompilation"));
        int warmed = indexOf(out, KernelCompileProbe.WARMED);
        int done = indexOf(out, KernelCompileProbe.BATCH_DONE);
        assertTrue(out.get(warmed).contains("ran=true compiled=true"), out.get(warmed));
        // the width's tile classes: MicroKernel512 (6 rows) and MicroKernel512x8x2 (8 rows, the default) alike
        String tile = "io.numarrow.kernels.MicroKernel" + FloatVector.SPECIES_PREFERRED.vectorBitSize();
        List<String> c2 = new ArrayList<>();
        for (String line : out.subList(0, warmed)) {
            Matcher m = COMPILE.matcher(line);
            if (m.matches() && POLICY_CLASS.matcher(m.group(3)).matches() && !m.group(4).contains("made not entrant")) {
                if (m.group(2).equals("4")) {
                    c2.add(m.group(3));
                }
            }
        }
        assertTrue(c2.stream().anyMatch(s -> s.startsWith(tile)), "no " + tile + " method at tier 4 before the warm-up returned: " + c2);
        assertTrue(c2.stream().anyMatch(s -> s.startsWith("io.numarrow.kernels.VectorExp::")),
                "no VectorExp method at tier 4 before the warm-up returned: " + c2);
        List<String> during = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String line : out.subList(warmed + 1, done)) {
            Matcher m = COMPILE.matcher(line);
            if (m.matches() && m.group(3).startsWith(tile)) {
                during.add(line.strip());
            }
            if (m.matches() && m.group(2).equals("4") && POLICY_CLASS.matcher(m.group(3)).matches()
                    && m.group(4).contains("made not entrant")) {
                dropped.add(line.strip());
            }
        }
        assertEquals(List.of(), during, "tile compiles (or compiled tiles dropped) during the batch");
        assertEquals(List.of(), dropped, "kernels' C2 code thrown away during the batch");
        long allocated = Long.parseLong(out.get(done).replaceAll(".*allocated=", ""));
        assertTrue(allocated < 1 << 20, "the batch allocated " + allocated + " bytes: kernels compiled with boxed vectors");
    }

    /** Without the policy lines the kernels would compile only after thousands of calls: it does nothing. */
    @Test
    void withoutThePolicyItDoesNothing() throws Exception {
        List<String> out = runProbe(false, List.of());
        String line = out.get(indexOf(out, KernelCompileProbe.WARMED));
        assertTrue(line.contains("ran=false") && line.contains("no compile policy"), line);
    }

    @Test
    void oncePerJvm() {
        KernelCompile.Result first = KernelCompile.compile(64, 40, true, true);
        assertSame(first, KernelCompile.compile(256, 256, true, false));
        assertSame(first, KernelCompile.result());
    }

    @Test
    void veryWideRowsWarmOnANarrowerWidthWithTheSameEdges() {
        assertEquals(256, KernelCompile.warmWidth(256));
        assertEquals(KernelCompile.MAX_WARM_WIDTH, KernelCompile.warmWidth(KernelCompile.MAX_WARM_WIDTH));
        int wide = KernelCompile.warmWidth(100_003);
        assertTrue(wide <= KernelCompile.MAX_WARM_WIDTH + 256, "" + wide);
        assertEquals(100_003 % 256, wide % 256);
    }

    /** The probe in a JVM of its own with {@code extra} flags; {@code policy} false drops jvm.flags' compile commands. */
    private List<String> runProbe(boolean policy, List<String> extra) throws Exception {
        List<String> command = new ArrayList<>();
        for (String arg : ChildJvm.command(KernelCompileProbe.class)) {
            if (policy || !arg.startsWith("-XX:CompileCommand=")) {
                command.add(arg);
            }
        }
        command.addAll(1, extra);
        Path log = dir.resolve("probe.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "probe did not finish");
        List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join("\n", out));
        return out;
    }

    private static int indexOf(List<String> out, String marker) {
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).startsWith(marker)) {
                return i;
            }
        }
        throw new AssertionError("no '" + marker + "' in the probe's output:\n" + String.join("\n", out));
    }
}
