package io.numarrow.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * The address-space limit this process runs under ({@code ulimit -v}), for a run that failed for
 * want of memory: the limit, not the machine, is then usually what to raise. The JVM reserves far
 * more address space than it touches, and mapped inputs and NUMA buffers add to it.
 */
final class MemoryLimit {
    private static final Path LIMITS = Path.of("/proc/self/limits");

    private MemoryLimit() {
    }

    /** What to add to the error line of {@code failure}: the limit to raise, or nothing. */
    static String hint(Throwable failure) {
        try {
            return hint(failure, Files.readString(LIMITS));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** {@link #hint(Throwable)} with the text of {@code /proc/self/limits}. */
    static String hint(Throwable failure, String limits) {
        long kib = addressSpaceKiB(limits);
        if (kib < 0 || !outOfMemory(failure)) {
            return "";
        }
        return "; this process may use only " + kib + " KiB of address space (ulimit -v): raise that limit"
                + " ('ulimit -v unlimited')";
    }

    /** The soft "Max address space" limit in KiB, or -1 when unlimited or not found. */
    static long addressSpaceKiB(String limits) {
        for (String line : limits.split("\\R")) {
            if (line.startsWith("Max address space")) {
                String[] words = line.substring("Max address space".length()).trim().split("\\s+");
                return words.length == 0 || words[0].equals("unlimited") ? -1 : Long.parseLong(words[0]) / 1024;
            }
        }
        return -1;
    }

    private static boolean outOfMemory(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError || t instanceof OutOfMemoryException) {
                return true;
            }
        }
        return false;
    }
}
