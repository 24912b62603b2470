package io.numarrow.threading;

import java.lang.management.ManagementFactory;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What the JIT has done with some classes, from the same diagnostic commands as {@code jcmd
 * Compiler.codelist} and {@code Compiler.queue}: for a test that fails because Vector API code still
 * runs in a tier that boxes vectors, the message says which methods sit at which tier and how long the
 * compile queues are.
 */
final class JitState {
    private JitState() {
    }

    /** Compiled methods whose name starts with {@code prefix} (compile id, tier, state, method) and the queues. */
    static String describe(String prefix) {
        try {
            var server = ManagementFactory.getPlatformMBeanServer();
            var commands = new ObjectName("com.sun.management:type=DiagnosticCommand");
            String codelist = command(server, commands, "compilerCodelist");
            String queue = command(server, commands, "compilerQueue");
            String methods = codelist.lines().filter(l -> l.contains(" " + prefix))
                    .map(l -> l.replaceAll(" \\[0x.*", "")).collect(Collectors.joining("\n  "));
            return "compiled (id tier state method):\n  " + methods + "\nqueued: C1 " + queued(queue, "C1") + ", C2 "
                    + queued(queue, "C2");
        } catch (Exception | LinkageError e) {
            return "(no JIT state: " + e + ")";
        }
    }

    /**
     * Whether the JIT is compiling something or has compiles queued right now. A long C2 compile shows
     * here while it runs, not in the compilation time, which grows only when a compile ends. When the
     * JVM cannot say, the answer is yes: not settled.
     */
    static boolean isBusy() {
        try {
            String queue = command(ManagementFactory.getPlatformMBeanServer(),
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerQueue");
            boolean compiling = queue.lines().dropWhile(l -> !l.startsWith("Current compiles")).skip(1)
                    .takeWhile(l -> !l.isBlank()).findAny().isPresent();
            return compiling || queued(queue, "C1") + queued(queue, "C2") > 0;
        } catch (Exception | LinkageError e) {
            return true;
        }
    }

    /** Tasks in one compiler's queue, as {@code Compiler.queue} lists them ("Empty" when none). */
    private static long queued(String queue, String compiler) {
        return queue.lines().dropWhile(l -> !l.startsWith(compiler + " compile queue")).skip(1)
                .takeWhile(l -> !l.isBlank()).filter(l -> !l.strip().equals("Empty")).count();
    }

    private static String command(MBeanServer server, ObjectName commands, String name)
            throws Exception {
        return (String) server.invoke(commands, name, new Object[] {null}, new String[] {String[].class.getName()});
    }
}
