package io.numarrow.jit;

import io.numarrow.Settings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps each compiler on the work that matters before a job's first batch, through one compiler directive:
 *
 * <ul>
 *   <li>C1 (the first tier) off the kernel classes the policy covers ({@link #CLASSES}: the register tiles,
 *       softmax's, its exp's and sum's, argmax's), so that each goes from the interpreter to C2 once. Under
 *       the compile policy the thread that reaches a threshold waits for the compile, C1's too: C1 compiles
 *       of code that runs a few dozen calls before C2 replaces it were on the first batch's critical path.
 *       Not {@code Packing}: its scalar outer loops, interpreted until C2 (which the warm-up's few calls do
 *       not reach), slowed the first batch by more than their C1 compiles cost.</li>
 *   <li>C2 off the Vector API's own methods as compiles of their own ({@link #FALLBACKS}). Kernels still
 *       inline them (a directive matches the method compiled, not its callees); what C2 no longer compiles
 *       is their Java fallbacks ({@code ldLongOp}, {@code stLongOp}, {@code tOp}, ...), which run only while
 *       the kernels run boxed, before C2 has compiled them: hot then, they took more of C2's one thread
 *       before the first batch than the kernels themselves (docs/performance.md, session 10). C1 still
 *       compiles them.</li>
 *   <li>C2 off the JDK's class-file library ({@link #CLASS_FILE}), which spins the hidden classes of lambdas and
 *       method handles (hundreds at a start, none archived: the AOT cache keeps no linked classes while the
 *       incubator module is in the boot layer). It gets hot at start-up, and a C2 compile of its stack-map
 *       generator (2767 bytes, 80-140 ms) that is under way when a kernel's blocking compile is queued holds
 *       the kernel up for as long: a compile in progress is not interrupted. C1 compiles it instead (at its
 *       first tier, without profiling, once C2 is ruled out), fast enough for code that runs at start-up.</li>
 * </ul>
 *
 * <p>A JVM started to run one job (the CLI's) also gets a second directive on top while the kernels compile: C2 on
 * the kernels' package alone ({@link #addKernelsFirst()}), taken off once they are compiled.
 *
 * <p>Softmax's classes skip C1 only since their loops need no type profile (no loop's running vector is a
 * Vector API call's receiver, KernelCompileTest): before, C2 compiled from the interpreter's shorter
 * profiles sometimes gave {@code VectorExp}'s exp boxed vectors (docs/performance.md, session 9).
 *
 * <p>How: the directive is added at run time through the JVM's {@code Compiler.directives_add} diagnostic
 * command, the one {@code jcmd} sends. The flag that would add it at start-up
 * ({@code -XX:CompilerDirectivesFile}) is a diagnostic one, takes a path that jvm.flags cannot give every
 * JVM it serves, and prints a line on standard output; the public route to the command (the platform MBean
 * server) costs 0.1 s. The command is reached through a JDK-internal class that jvm.flags opens
 * ({@value #OPENS}); without that (a JVM started without jvm.flags' lines, or another JDK's internals)
 * nothing is added and the compilers work as without numarrow: the directive only makes the compile sooner.
 *
 * <p>Only with the policy active ({@link CompilePolicy#active()}): on a JVM without C2 the directive would
 * leave the kernels interpreted. {@code -Dnumarrow.kernels.skipC1=false} leaves it out.
 */
final class KernelDirective {
    /** The classes (as the policy's lines name them) that skip C1, those of them that the policy covers. */
    static final List<String> CLASSES = List.of("io.numarrow.kernels.MicroKernel*", "io.numarrow.kernels.Softmax",
            "io.numarrow.kernels.VectorExp", "io.numarrow.kernels.RowSum", "io.numarrow.kernels.RowArgmax");

    /** The Vector API's methods, as directive patterns: C2 does not compile them on their own. */
    static final List<String> FALLBACKS = List.of("jdk/incubator/vector/*.*", "jdk/internal/vm/vector/VectorSupport.*");

    /** The JDK's class-file library, as directive patterns: C2 does not compile it. */
    static final List<String> CLASS_FILE = List.of("jdk/internal/classfile/*.*", "java/lang/classfile/*.*");

    /** The kernels' package as a directive pattern (the tiles, packing, softmax and the matmul's own loops). */
    static final String KERNELS_PACKAGE = "io/numarrow/kernels/*.*";

    /** The jvm.flags line that opens the diagnostic command's class to numarrow. */
    static final String OPENS = "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED";

    private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private KernelDirective() {
    }

    /**
     * Adds the directive for the policy's classes unless this JVM lacks the policy or the access; returns
     * null when added, else why not, in a few words.
     */
    static String add() {
        if (!Settings.kernelsSkipC1()) {
            return "off (-Dnumarrow.kernels.skipC1=false)";
        }
        if (!CompilePolicy.active()) {
            return CompilePolicy.whyNot();
        }
        List<String> patterns = policyPatterns(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (patterns.isEmpty()) {
            return "no policy classes";
        }
        return added(json(patterns, c2Off()));
    }

    /**
     * Puts {@link #kernelsFirst()} on top of the directives until {@link #dropKernelsFirst()}: C2 compiles the kernels'
     * package and nothing else meanwhile. Returns whether the JVM took it. For a JVM started to run one job (the CLI's):
     * on two cores, C2's compiles of the start-up code that gets hot beside the kernels' (the JDK's strings and maps,
     * Arrow's reading, the pool) took CPU from the kernels' compiles and the main thread, both on the first batch's
     * path, and sometimes held a kernel's compile up behind them. The cost, why not for every JVM: a method that
     * reaches C2's threshold meanwhile is marked as not for C2 for good and keeps C1's code.
     */
    static boolean addKernelsFirst() {
        return added(kernelsFirst()) == null;
    }

    /** Takes {@link #kernelsFirst()}'s two directives off the top again: C2 compiles any code from here on. */
    static void dropKernelsFirst() {
        try {
            execute("Compiler.directives_remove");
            execute("Compiler.directives_remove");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // reached a moment ago; if not now, C2 keeps to the kernels, as a JVM without C2 for the rest would
        }
    }

    /** The directive {@link #addKernelsFirst()} adds: C2 on for the kernels' package, off for every other method. */
    static String kernelsFirst() {
        return "[{ match: [\"" + KERNELS_PACKAGE + "\"], c2: { Exclude: false } }, { match: [\"*.*\"], c2: { Exclude: true } }]\n";
    }

    /** Adds directive text {@code json} through a file of its own; returns null when the JVM took it, else why not. */
    private static String added(String json) {
        Path file = null;
        try {
            file = directiveFile();
            Files.writeString(file, json, StandardCharsets.UTF_8);
            String reply = execute("Compiler.directives_add " + file);
            return reply != null && reply.contains("directives added") ? null : "the JVM answered: " + reply;
        } catch (ReflectiveOperationException | RuntimeException | IOException | LinkageError e) {
            return "diagnostic command not reachable (" + e.getClass().getSimpleName() + ")";
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file of a few bytes left behind
                }
            }
        }
    }

    /** What C2 leaves alone: the Vector API's fallbacks and the class-file library. */
    static List<String> c2Off() {
        List<String> off = new ArrayList<>(FALLBACKS);
        off.addAll(CLASS_FILE);
        return off;
    }

    /**
     * A new, empty file for the directive, readable by its owner only. Not {@code Files.createTempFile}: its
     * random name comes from a {@code SecureRandom}, whose start-up (25-30 ms) came before the kernels' first
     * compile. The name is this process's id and a clock reading; a file of that name already there (left by
     * a process of the same id, or put there by someone else) is never opened: the temporary folder's
     * random name is the fallback.
     */
    static Path directiveFile() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        Path file = dir.resolve("numarrow-kernels-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".json");
        try {
            return Files.createFile(file, OWNER_ONLY);
        } catch (FileAlreadyExistsException | UnsupportedOperationException e) {
            return Files.createTempFile("numarrow-kernels", ".json");
        }
    }

    /**
     * The directive's method patterns ({@code io/numarrow/kernels/MicroKernel*.*}), one per class of
     * {@link #CLASSES} that a {@code CompileThresholdScaling} line of the policy among JVM arguments
     * {@code args} names.
     */
    static List<String> policyPatterns(List<String> args) {
        List<String> patterns = new ArrayList<>();
        for (String arg : args) {
            if (!arg.startsWith(CompilePolicy.SOON_MARK)) {
                continue;
            }
            String method = arg.substring(arg.indexOf(',') + 1, arg.lastIndexOf(','));
            int sep = method.indexOf("::");
            if (sep <= 0) {
                continue;
            }
            String cls = method.substring(0, sep);
            if (!CLASSES.contains(cls)) {
                continue;
            }
            String pattern = cls.replace('.', '/') + ".*";
            if (!patterns.contains(pattern)) {
                patterns.add(pattern);
            }
        }
        return patterns;
    }

    /** The directive file's text: C1 excluded for methods matching {@code c1Off}, C2 for those matching {@code c2Off}. */
    static String json(List<String> c1Off, List<String> c2Off) {
        return "[" + entry(c1Off, "c1") + ", " + entry(c2Off, "c2") + "]\n";
    }

    private static String entry(List<String> patterns, String compiler) {
        StringBuilder b = new StringBuilder("{ match: [");
        for (int i = 0; i < patterns.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(patterns.get(i)).append('"');
        }
        return b.append("], ").append(compiler).append(": { Exclude: true } }").toString();
    }

    /** Runs diagnostic command {@code command} in this JVM; returns its output. */
    private static String execute(String command) throws ReflectiveOperationException {
        // the provider's class initialiser loads the native library the command class calls into
        Class.forName("com.sun.management.internal.PlatformMBeanProviderImpl");
        Class<?> impl = Class.forName("com.sun.management.internal.DiagnosticCommandImpl");
        Method bean = impl.getDeclaredMethod("getDiagnosticCommandMBean");
        bean.setAccessible(true);
        Method execute = impl.getDeclaredMethod("executeDiagnosticCommand", String.class);
        execute.setAccessible(true);
        return (String) execute.invoke(bean.invoke(null), command);
    }
}
