package io.numarrow.io.parquet;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The Parquet files an {@code --input} names: one file, every {@code *.parquet} in a folder, or the
 * files a glob in the last part of the path matches ({@code data/part-*.parquet}), in name order.
 * Each file is checked to start and end with Parquet's {@code PAR1} before DuckDB sees it, so a
 * truncated file gets a message of ours.
 */
final class ParquetInput {
    private static final int MAGIC_LENGTH = 4;
    /** PAR1, a footer length and PAR1. */
    private static final long MIN_SIZE = 2L * MAGIC_LENGTH + 4;

    private ParquetInput() {
    }

    static List<Path> resolve(Path input) {
        List<Path> files;
        String name = input.getFileName() == null ? "" : input.getFileName().toString();
        if (isGlob(input.toString())) {
            Path folder = input.toAbsolutePath().getParent();
            if (folder == null || isGlob(folder.toString())) {
                throw new BadInputException(input + ": only the last part of an input path may be a glob");
            }
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + name);
            files = list(folder, input, p -> matcher.matches(p.getFileName()));
            if (files.isEmpty()) {
                throw new BadInputException(input + ": the glob matches no file in " + folder);
            }
        } else if (Files.isDirectory(input)) {
            files = list(input, input, p -> p.getFileName().toString().endsWith(".parquet"));
            if (files.isEmpty()) {
                throw new BadInputException(input + ": the folder has no *.parquet file");
            }
        } else if (Files.exists(input)) {
            files = List.of(input);
        } else {
            throw new BadInputException(input + ": no such file");
        }
        files.forEach(ParquetInput::check);
        return files;
    }

    static boolean isGlob(String path) {
        return path.indexOf('*') >= 0 || path.indexOf('?') >= 0 || path.indexOf('[') >= 0 || path.indexOf('{') >= 0;
    }

    private static List<Path> list(Path folder, Path input, Predicate<Path> keep) {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(Files::isRegularFile).filter(keep).sorted().toList();
        } catch (IOException e) {
            throw new BadInputException(input + ": cannot list " + folder + " (" + e.getMessage() + ")", e);
        }
    }

    /** A file that does not start and end with PAR1 is not (or no longer) a whole Parquet file. */
    static void check(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new BadInputException(file + ": is empty (0 bytes), not a Parquet file");
            }
            if (!magicAt(ch, 0)) {
                throw new BadInputException(file + ": not a Parquet file (it does not start with PAR1)");
            }
            if (size < MIN_SIZE || !magicAt(ch, size - MAGIC_LENGTH)) {
                throw new BadInputException(file + ": truncated Parquet file (its footer is missing; " + size + " bytes)");
            }
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static boolean magicAt(FileChannel ch, long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MAGIC_LENGTH);
        while (b.hasRemaining() && ch.read(b, position + b.position()) > 0) {
            // read all four bytes
        }
        return b.position() == MAGIC_LENGTH && b.get(0) == 'P' && b.get(1) == 'A' && b.get(2) == 'R' && b.get(3) == '1';
    }
}
