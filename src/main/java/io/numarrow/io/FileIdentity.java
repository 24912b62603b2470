package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Whether two paths are one file: the same device and inode ({@link BasicFileAttributes#fileKey()}),
 * however they are named, through symbolic links or hard links alike. A job checks its output
 * against its inputs with it before anything is written, because the output's rename would
 * otherwise replace an input the user still needs.
 */
public final class FileIdentity {
    private FileIdentity() {
    }

    /** Whether {@code a} and {@code b} both exist and are the same file (links followed). */
    public static boolean sameFile(Path a, Path b) {
        Object ka = key(a);
        return ka != null && ka.equals(key(b));
    }

    /**
     * Refuses an {@code output} that is the file {@code input} (the {@code role} it plays, e.g.
     * "weights file"), under its own name or another. Standard output and a missing input pass.
     *
     * @throws BadInputException naming both
     */
    public static void refuseOutputOver(Path output, String role, Path input) {
        if (input == null || AtomicOutput.isStandardOutput(output) || !sameFile(output, input)) {
            return;
        }
        boolean sameName = output.toAbsolutePath().normalize().equals(input.toAbsolutePath().normalize());
        throw new BadInputException(output + ": is the " + role + (sameName ? "" : " " + input
                + " under another name (a hard or symbolic link)")
                + "; writing the output there would replace it: choose another --output");
    }

    /** The file's identity, or null when it cannot be read (missing, not permitted). */
    private static Object key(Path p) {
        try {
            return Objects.requireNonNullElse(Files.readAttributes(p, BasicFileAttributes.class).fileKey(),
                    p.toRealPath());
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
