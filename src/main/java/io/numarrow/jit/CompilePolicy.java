package io.numarrow.jit;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Whether this JVM will compile the kernels early: it runs with the compile policy of {@code jvm.flags}
 * (per-method {@code -XX:CompileCommand} lines for the classes in {@code io.numarrow.kernels}) and with C2
 * (not {@code -Xint}, not stopped at a C1 tier). Read once from the JVM's own arguments.
 */
public final class CompilePolicy {
    /** The policy line that makes the calling thread wait for a kernel's compiled code. */
    static final String WAIT_MARK = "-XX:CompileCommand=BackgroundCompilation,io.numarrow.kernels.";
    /** The policy line that has the kernels compiled after a few calls. */
    static final String SOON_MARK = "-XX:CompileCommand=CompileThresholdScaling,io.numarrow.kernels.";

    private static final String WHY_NOT = whyNot(ManagementFactory.getRuntimeMXBean().getInputArguments(),
            System.getProperty("java.vm.info", ""));

    private CompilePolicy() {
    }

    /** Whether the kernels compile with C2 after a few calls, the caller waiting for them. */
    public static boolean active() {
        return WHY_NOT == null;
    }

    /** Why the policy is not active in this JVM, in a few words; null when it is. */
    public static String whyNot() {
        return WHY_NOT;
    }

    /**
     * Whether {@code flag}, a line of jvm.flags, only makes the kernels compile sooner, so that a JVM
     * without it computes the same: the policy's {@code -XX:CompileCommand} lines and the opening that lets
     * the kernels skip C1 ({@link KernelDirective}).
     */
    public static boolean onlySooner(String flag) {
        return flag.startsWith("-XX:CompileCommand=") || flag.equals(KernelDirective.OPENS);
    }

    /** Why JVM arguments {@code args} (and {@code java.vm.info}) give no early C2 compile, or null. */
    static String whyNot(List<String> args, String vmInfo) {
        if (vmInfo.contains("interpreted mode") || args.contains("-Xint")) {
            return "-Xint: nothing is compiled";
        }
        for (String arg : args) {
            if (arg.startsWith("-XX:TieredStopAtLevel=") && !arg.endsWith("=4")) {
                return arg + ": no C2";
            }
            if (arg.equals("-XX:-UseCompiler")) {
                return arg + ": nothing is compiled";
            }
        }
        boolean waits = args.stream().anyMatch(a -> a.startsWith(WAIT_MARK));
        boolean soon = args.stream().anyMatch(a -> a.startsWith(SOON_MARK));
        return waits && soon ? null : "no compile policy (the -XX:CompileCommand lines of jvm.flags)";
    }
}
