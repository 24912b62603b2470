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
        String warmed = out.get(indexOf(out, KernelCompileProbe.WARMED));
        assertTrue(warmed.endsWith(" c1=null"), "the directive is added by default: " + warmed);
        assertTrue(warmed.contains(" helpersLeft=0 "), "softmax's warm-up thread outlived the warm-up: " + warmed);
        checkCompiledBeforeTheBatch(out, false);
    }

    /**
     * Without the directive ({@code -Dnumarrow.kernels.skipC1=false}) the kernels are compiled before the batch all the
     * same (the packing of A aside: see {@link #checkCompiledBeforeTheBatch}).
     */
    @Test
    void withoutTheDirectiveTheKernelsAreCompiledAllTheSame() throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+PrintCompilation", "-Dnumarrow.kernels.skipC1=false"));
        String warmed = out.get(indexOf(out, KernelCompileProbe.WARMED));
        assertTrue(warmed.endsWith(" c1=off (-Dnumarrow.kernels.skipC1=false)"), warmed);
        checkCompiledBeforeTheBatch(out, true);
    }

    /**
     * Under the policy the directive (KernelDirective) keeps C1 off the kernel classes and C2 off the Vector
     * API's own methods: before the warm-up returns, no method of the tiles, softmax, its exp or sums, or
     * argmax is compiled at tiers 1-3, and no Vector API method is compiled by C2 on its own; it says so.
     */
    @Test
    void theKernelsSkipC1AndTheVectorApiSkipsC2() throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+PrintCompilation"));
        int warmed = indexOf(out, KernelCompileProbe.WARMED);
        assertTrue(out.get(warmed).endsWith(" c1=null"), out.get(warmed));
        List<String> c1 = new ArrayList<>();
        List<String> c2 = new ArrayList<>();
        for (String line : out.subList(0, warmed)) {
            Matcher m = COMPILE.matcher(line);
            if (!m.matches() || m.group(2).equals("0")) {
                continue;
            }
            if (m.group(3).matches("io\\.numarrow\\.kernels\\.(MicroKernel\\w+|Softmax|VectorExp|RowSum|RowArgmax)::.*")
                    && !m.group(2).equals("4")) {
                c1.add(line.strip());
            }
            if (m.group(3).matches("(jdk\\.incubator\\.vector\\.|jdk\\.internal\\.vm\\.vector\\.VectorSupport::).*") && m.group(2).equals("4")) {
                c2.add(line.strip());
            }
        }
        assertEquals(List.of(), c1, "first-tier compiles of the kernels");
        assertEquals(List.of(), c2, "C2 compiles of the Vector API's own methods");
    }

    /**
     * The directive keeps C2 off the JDK's class-file library (which spins lambdas' and method handles' classes):
     * once it is added, thousands of class files built make C1 compile the library's methods, never C2. Fails
     * without {@link KernelDirective#CLASS_FILE}: the stack-map generator and the constant pool reach C2.
     */
    @Test
    void theClassFileLibrarySkipsC2() throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+PrintCompilation"), "spin", "20000");
        int prepared = indexOf(out, KernelCompileProbe.PREPARED);
        assertTrue(out.get(prepared).endsWith(" c1=null"), out.get(prepared));
        int spun = indexOf(out, KernelCompileProbe.SPUN);
        List<String> c1 = new ArrayList<>();
        List<String> c2 = new ArrayList<>();
        for (String line : out.subList(prepared + 1, spun)) {
            Matcher m = COMPILE.matcher(line);
            if (m.matches() && m.group(3).matches("(jdk\\.internal\\.classfile\\.|java\\.lang\\.classfile\\.).*")
                    && !m.group(4).contains("made not entrant")) {
                (m.group(2).equals("4") ? c2 : c1).add(line.strip());
            }
        }
        assertTrue(c1.size() > 10, "the class-file library was not hot enough to be compiled: " + c1);
        assertEquals(List.of(), c2, "C2 compiles of the class-file library");
    }

    /**
     * A JVM that asks for C2 on the kernels first (as the CLI's compute does) gets its kernels compiled as any other,
     * and C2 compiles no other method while they compile: no C2 compile of another method asked for between the first
     * and the last kernel compile asked for before the warm-up returned (compile ids count the requests; one asked for
     * before may still run, and the directive comes off a little before the warm-up returns). Afterwards C2 compiles
     * other code again: a method of the probe's own, its caller waiting for each compile, reaches tier 4 (fails if
     * the directive stays on: C2 then refuses it and it keeps C1's code).
     */
    @Test
    void aJobsJvmHasC2OnTheKernelsAloneUntilTheyAreCompiled() throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+PrintCompilation",
                "-XX:CompileCommand=BackgroundCompilation,io.numarrow.jit.KernelCompileProbe::mix,false"), "kernelsFirst");
        int warmed = indexOf(out, KernelCompileProbe.WARMED);
        int mixed = indexOf(out, KernelCompileProbe.MIXED);
        checkCompiledBeforeTheBatch(out, false);
        long firstKernel = Long.MAX_VALUE;
        long lastKernel = Long.MIN_VALUE;
        List<String> c2 = new ArrayList<>();
        for (String line : out.subList(0, warmed)) {
            Matcher m = COMPILE.matcher(line);
            if (m.matches() && m.group(2).equals("4") && !m.group(4).contains("made not entrant")) {
                c2.add(line.strip());
                if (m.group(3).startsWith("io.numarrow.kernels.")) {
                    long id = compileId(line);
                    firstKernel = Math.min(firstKernel, id);
                    lastKernel = Math.max(lastKernel, id);
                }
            }
        }
        assertTrue(firstKernel < Long.MAX_VALUE, "no kernel compiled by C2 before the warm-up returned");
        long first = firstKernel;
        long last = lastKernel;
        List<String> others = c2.stream().filter(l -> !l.contains(" io.numarrow.kernels.")
                && compileId(l) > first && compileId(l) < last).toList();
        assertEquals(List.of(), others, "C2 compiles of other code asked for while the kernels compiled");
        assertTrue(out.subList(warmed, mixed).stream().map(COMPILE::matcher).anyMatch(m -> m.matches() && m.group(2).equals("4")
                        && m.group(3).equals("io.numarrow.jit.KernelCompileProbe::mix") && !m.group(4).contains("made not entrant")),
                "C2 did not compile other code after the warm-up:\n" + String.join("\n", out.subList(warmed, mixed + 1)));
    }

    /** A {@code -XX:+PrintCompilation} line's compile id (its second field), which counts the compile requests. */
    private static long compileId(String line) {
        return Long.parseLong(line.strip().split("\\s+")[1]);
    }

    /**
     * A JVM started without jvm.flags' opening of the diagnostic command still gets its kernels compiled
     * before the batch (C1 then compiles them first), says why C1 was not skipped, and prints no warning.
     */
    @Test
    void withoutTheOpeningTheKernelsAreCompiledAllTheSame() throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+PrintCompilation"), List.of(KernelDirective.OPENS));
        int warmed = indexOf(out, KernelCompileProbe.WARMED);
        assertTrue(out.get(warmed).contains("c1=diagnostic command not reachable"), out.get(warmed));
        checkCompiledBeforeTheBatch(out, true);
        assertEquals(List.of(), out.stream().filter(l -> l.contains("WARNING") && (l.contains("jdk.management")
                || l.contains("directive") || l.contains("io.numarrow"))).toList());
    }

    /**
     * The tile and softmax's exp at C2 when the warm-up returned, and during the batch no tile compiled, no kernel's
     * C2 code thrown away, nothing boxed. With C1 on the kernels ({@code firstTierOn}), the packing of A is left out
     * of the thrown-away check: its copy loops run fast enough at C1's tier 3 for the warm-up to end before they reach
     * C2, on a busy machine, and C2's first code for them, compiled during the batch from the warm-up's profile,
     * was seen trapping (profile_predicate) and compiled again (session 11's CI); it copies, it does not box.
     */
    private static void checkCompiledBeforeTheBatch(List<String> out, boolean firstTierOn) {
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
                    && m.group(4).contains("made not entrant") && !(firstTierOn && m.group(3).startsWith("io.numarrow.kernels.Packing::"))) {
                dropped.add(line.strip());
            }
        }
        assertEquals(List.of(), during, "tile compiles (or compiled tiles dropped) during the batch");
        assertEquals(List.of(), dropped, "kernels' C2 code thrown away during the batch");
        long allocated = Long.parseLong(out.get(done).replaceAll(".*allocated=", ""));
        assertTrue(allocated < 1 << 20, "the batch allocated " + allocated + " bytes: kernels compiled with boxed vectors");
    }

    /**
     * {@link KernelCompile#prepare()}, which the command line's compile thread runs while the main thread
     * starts slf4j, adds the directive and loads no slf4j class: a logger made on a second thread while slf4j
     * starts gets a substitute, and slf4j prints a warning when it replays its calls (session 8's CI).
     */
    @Test
    void preparingMakesNoLogger() throws Exception {
        List<String> out = runProbe(true, List.of("-Xlog:class+load=info"), "prepare");
        int prepared = indexOf(out, KernelCompileProbe.PREPARED);
        assertTrue(out.get(prepared).endsWith(" c1=null"), out.get(prepared));
        assertTrue(out.subList(0, prepared).stream().anyMatch(l -> l.contains("io.numarrow.jit.KernelDirective")),
                "no class loading in the output");
        assertEquals(List.of(), out.subList(0, prepared).stream().filter(l -> l.contains("org.slf4j")).toList());
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

    /**
     * Every loop of softmax, its exp and argmax compiles whole without type profiles, for long rows (256
     * columns: the row-at-a-time passes). With C2 told to ignore receiver profiles, no C2 compile of these
     * classes (on-stack replacements aside, see {@link #checkNoTypeProfileNeeded}) leaves a Vector API call
     * virtual (a virtual call boxes its vectors), and a 4000-row batch's matmul, softmax and argmax allocate
     * nothing.
     * A call on a loop's running vector ({@code sum.add(y)}, {@code m.blend(x, ...)}, {@code m.max(x)}, the
     * lane folds' loop) was resolved only by the profile the Vector API method shares with every caller in
     * the JVM, and a compile without it ran boxed (docs/performance.md). Fails on those loops: 31 MB
     * allocated, the maximum's and the folds' calls virtual.
     */
    @Test
    void kernelLoopsNeedNoTypeProfile() throws Exception {
        checkNoTypeProfileNeeded(256, List.of("io.numarrow.kernels.Softmax::", "io.numarrow.kernels.VectorExp::",
                "io.numarrow.kernels.RowArgmax::"));
    }

    /** The same for short rows (100 columns: the passes over blocks of rows, Softmax.shortRows). */
    @Test
    void shortRowLoopsNeedNoTypeProfile() throws Exception {
        checkNoTypeProfileNeeded(100, List.of("io.numarrow.kernels.Softmax::maxima", "io.numarrow.kernels.VectorExp::expRowsAndScales"));
    }

    /**
     * The probe for {@code n} columns with {@code -XX:-UseTypeProfile}: the batch's matmul, softmax and argmax
     * allocate (almost) nothing, and no C2 compile of the classes softmax and argmax run leaves a Vector API call
     * virtual, where each of {@code mustCompile} (method name prefixes) had at least one such compile.
     * On-stack replacement compiles are left out: their vectors live at the loop's entry come from the
     * interpreter's frame, of a class C2 knows only from the method's own profile (kept by
     * {@code -XX:-UseTypeProfile} off, by the method's own earlier tier otherwise), and the warm-up's calls
     * leave them behind for whole-method compiles, which the batch runs.
     */
    private void checkNoTypeProfileNeeded(int n, List<String> mustCompile) throws Exception {
        List<String> out = runProbe(true, List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:-UseTypeProfile", "-XX:+PrintCompilation",
                "-XX:CompileCommand=PrintInlining,io.numarrow.kernels.Softmax::*",
                "-XX:CompileCommand=PrintInlining,io.numarrow.kernels.VectorExp::*",
                "-XX:CompileCommand=PrintInlining,io.numarrow.kernels.RowSum::*",
                "-XX:CompileCommand=PrintInlining,io.numarrow.kernels.RowArgmax::*"), String.valueOf(n));
        String done = out.get(indexOf(out, KernelCompileProbe.BATCH_DONE));
        for (String kernel : List.of("matmul", "softmax", "argmax")) {
            long bytes = Long.parseLong(done.replaceAll(".* " + kernel + "=(\\d+).*", "$1"));
            // a kernel compiled boxed allocates at least a vector per row: hundreds of kB for 4000 rows
            assertTrue(bytes < 64 << 10, kernel + " allocated " + bytes + " bytes: compiled with boxed vectors\n" + done);
        }
        List<String> compiled = new ArrayList<>();
        List<String> virtual = new ArrayList<>();
        String method = null;
        for (String line : out) {
            Matcher m = COMPILE.matcher(line);
            if (m.matches()) {
                boolean ours = m.group(2).equals("4") && !m.group(1).contains("%") && !m.group(4).contains("made not entrant")
                        && m.group(3).matches("io\\.numarrow\\.kernels\\.(Softmax|VectorExp|RowSum|RowArgmax)::.*");
                method = ours ? m.group(3) : null;
                if (ours) {
                    compiled.add(method);
                }
            } else if (method != null && line.contains("jdk.incubator.vector.") && line.contains("failed to inline: virtual call")
                    && !line.contains("callee changed")) { // "callee changed": resolved later, once the receiver's class was known
                virtual.add(method + ": " + line.strip());
            }
        }
        for (String prefix : mustCompile) {
            assertTrue(compiled.stream().anyMatch(c -> c.startsWith(prefix)), "no C2 compile of " + prefix + "* seen: " + compiled);
        }
        assertTrue(virtual.isEmpty(), "Vector API calls left virtual:\n" + String.join("\n", virtual));
    }

    /** The probe in a JVM of its own with {@code extra} flags; {@code policy} false drops jvm.flags' compile commands. */
    private List<String> runProbe(boolean policy, List<String> extra, String... probeArgs) throws Exception {
        return runProbe(policy, extra, List.of(), probeArgs);
    }

    /** The same, without the flags in {@code dropped}. */
    private List<String> runProbe(boolean policy, List<String> extra, List<String> dropped, String... probeArgs) throws Exception {
        List<String> command = new ArrayList<>();
        for (String arg : ChildJvm.command(KernelCompileProbe.class, probeArgs)) {
            if ((policy || !arg.startsWith("-XX:CompileCommand=")) && !dropped.contains(arg)) {
                command.add(arg);
            }
        }
        command.addAll(1, extra);
        Path log = dir.resolve("probe.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "probe did not finish");
        List<String> out = markersOnLinesOfTheirOwn(Files.readAllLines(log, StandardCharsets.UTF_8));
        assertEquals(0, p.exitValue(), String.join("\n", out));
        return out;
    }

    /**
     * The probe's lines with each marker line split off a compile line it was written into: the JVM
     * prints -XX:+PrintCompilation's lines on the same standard output, and one may not have ended yet.
     */
    private static List<String> markersOnLinesOfTheirOwn(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            int at = line.indexOf("=== ");
            if (at > 0) {
                out.add(line.substring(0, at));
                out.add(line.substring(at));
            } else {
                out.add(line);
            }
        }
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
