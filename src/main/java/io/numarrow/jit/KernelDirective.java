package io.numarrow.jit;

import io.numarrow.Settings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps HotSpot's first-tier compiler (C1) off the matmul kernels' register tiles ({@link #CLASSES}), so
 * that each goes from the interpreter to C2 once. Under the compile policy the thread
 * that reaches a threshold waits for the compile, C1's too: C1 compiles of code that runs a few dozen calls
 * before C2 replaces it, on the first batch's critical path (docs/performance.md, session 9).
 *
 * <p>Not softmax's classes: from the interpreter's shorter profiles C2 compiled {@code VectorExp}'s exp
 * with boxed vectors in 2 of 3 JVMs (13 MB allocated in a 4000-row batch, KernelCompileTest); the tiles
 * came out clean every time. Not {@code Packing}: its scalar outer loops, interpreted until C2 (which the
 * warm-up's few calls do not reach), slowed the first batch by more than their C1 compiles cost.
 *
 * <p>How: a compiler directive ({@code c1: {Exclude: true}} for the classes jvm.flags' policy names), added
 * at run time through the JVM's {@code Compiler.directives_add} diagnostic command, the one {@code jcmd}
 * sends. The flag that would add it at start-up ({@code -XX:CompilerDirectivesFile}) is a diagnostic one,
 * takes a path that jvm.flags cannot give every JVM it serves, and prints a line on standard output; the
 * public route to the command (the platform MBean server) costs 0.1 s. The command is reached through a
 * JDK-internal class that jvm.flags opens ({@value #OPENS}); without that (a JVM started without
 * jvm.flags' lines, or another JDK's internals) nothing is added and C1 compiles the kernels first, as
 * before: the directive only makes the compile sooner.
 *
 * <p>Only with the policy active ({@link CompilePolicy#active()}): on a JVM without C2 the directive would
 * leave the kernels interpreted. Off unless {@code -Dnumarrow.kernels.skipC1=true}: with the tiles on
 * C2's queue sooner, the JVM more often gave {@code VectorExp.expPairs} C1's counting code (no profile)
 * and C2 then compiled it from that, with boxed vectors (docs/performance.md, session 9).
 */
final class KernelDirective {
    /** The classes (as the policy's lines name them) that skip C1, those of them that the policy covers. */
    static final List<String> CLASSES = List.of("io.numarrow.kernels.MicroKernel*");

    /** The jvm.flags line that opens the diagnostic command's class to numarrow. */
    static final String OPENS = "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED";

    private KernelDirective() {
    }

    /**
     * Adds the directive for the policy's classes unless this JVM lacks the policy or the access; returns
     * null when added, else why not, in a few words.
     */
    static String add() {
        if (!Settings.kernelsSkipC1()) {
            return "off (-Dnumarrow.kernels.skipC1=true turns it on)";
        }
        if (!CompilePolicy.active()) {
            return CompilePolicy.whyNot();
        }
        List<String> patterns = policyPatterns(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (patterns.isEmpty()) {
            return "no policy classes";
        }
        Path file = null;
        try {
            file = Files.createTempFile("numarrow-kernels", ".json");
            Files.writeString(file, json(patterns), StandardCharsets.UTF_8);
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

    /** The directive file's text: C1 excluded for methods matching {@code patterns}. */
    static String json(List<String> patterns) {
        StringBuilder b = new StringBuilder("[{ match: [");
        for (int i = 0; i < patterns.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(patterns.get(i)).append('"');
        }
        return b.append("], c1: { Exclude: true } }]\n").toString();
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
