package io.numarrow.io.parquet;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A hidden temporary file beside an output file, moved onto it once complete, as
 * {@link io.numarrow.io.AtomicArrowWriter} does for IPC: the output path never holds half a file.
 */
final class TempBesideTarget {
    private TempBesideTarget() {
    }

    /** Checks that {@code target} can be written and makes the temporary file beside it. */
    static Path create(Path target) {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new BadInputException(target + ": output folder " + folder + " does not exist");
        }
        if (Files.isDirectory(absolute)) {
            throw new BadInputException(target + ": is a folder; give a file path for the output");
        }
        try {
            Path temp = Files.createTempFile(folder, "." + absolute.getFileName() + ".", ".tmp");
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its defaults
            }
            return temp;
        } catch (IOException e) {
            throw new BadInputException(target + ": cannot write in " + folder + " (" + e.getMessage() + ")", e);
        }
    }

    static void moveOnto(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target.toAbsolutePath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // a leftover temp file is hidden (dot-prefixed) and harmless
        }
    }
}
