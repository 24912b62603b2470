package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.flatbuffers.FlatBufferBuilder;
import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Truncated, corrupt and very large files through the mapped path: clear errors, never a crash. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MappedReaderCorruptFileTest {
    @TempDir
    Path dir;

    private Path validFile(BufferAllocator a) throws IOException {
        Path file = dir.resolve("valid.arrow");
        IpcTestFiles.write(file, a, 3, 17, 15, null);
        return file;
    }

    /** Reads the whole file through ArrowFiles.read, touching every value. */
    private static List<String> readAll(Path file, BufferAllocator a) throws IOException {
        try (ArrowReader r = ArrowFiles.read(file, a)) {
            return IpcTestFiles.batches(r);
        }
    }

    @Test
    void existingChecksKeepTheirMessages() throws IOException {
        try (BufferAllocator a = new RootAllocator()) {
            Path missing = dir.resolve("missing.arrow");
            assertEquals(missing + ": no such file",
                    assertThrows(BadInputException.class, () -> ArrowFiles.read(missing, a)).getMessage());
            Path empty = Files.createFile(dir.resolve("empty.arrow"));
            assertTrue(assertThrows(BadInputException.class, () -> ArrowFiles.read(empty, a)).getMessage()
                    .contains("is empty (0 bytes)"));
            Path text = Files.writeString(dir.resolve("text.arrow"), "hello, not arrow");
            assertTrue(assertThrows(BadInputException.class, () -> ArrowFiles.read(text, a)).getMessage()
                    .contains("not an Arrow IPC file"));
            byte[] valid = Files.readAllBytes(validFile(a));
            Path cut = Files.write(dir.resolve("cut.arrow"), Arrays.copyOf(valid, valid.length / 2));
            assertTrue(assertThrows(BadInputException.class, () -> ArrowFiles.read(cut, a)).getMessage()
                    .contains("truncated Arrow file"));
        }
    }

    @Test
    void aFileCutShortWithItsTrailerKeptIsACorruptFileError() throws IOException {
        try (BufferAllocator a = new RootAllocator()) {
            byte[] valid = Files.readAllBytes(validFile(a));
            int footerLength = ByteBuffer.wrap(valid, valid.length - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int tail = footerLength + 10;
            // the last 8 bytes before the footer are the end-of-stream marker: cut into the last batch
            for (int keep : new int[] {8, 100, valid.length / 2, valid.length - tail - 9}) {
                byte[] cut = new byte[keep + tail];
                System.arraycopy(valid, 0, cut, 0, keep);
                System.arraycopy(valid, valid.length - tail, cut, keep, tail);
                Path file = Files.write(dir.resolve("cut" + keep + ".arrow"), cut);
                BadInputException e = assertThrows(BadInputException.class, () -> readAll(file, a));
                assertTrue(e.getMessage().startsWith(file + ": corrupt Arrow file"), e.getMessage());
            }
            assertEquals(0, a.getAllocatedMemory());
        }
    }

    @Test
    void aFooterLengthPointingOutsideTheFileIsAnError() throws IOException {
        try (BufferAllocator a = new RootAllocator()) {
            byte[] bytes = Files.readAllBytes(validFile(a));
            for (int bad : new int[] {-5, 0, bytes.length, Integer.MAX_VALUE}) {
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 10, bad);
                Path file = Files.write(dir.resolve("footer" + bad + ".arrow"), bytes);
                BadInputException e = assertThrows(BadInputException.class, () -> readAll(file, a));
                assertTrue(e.getMessage().contains("footer length"), e.getMessage());
            }
        }
    }

    /**
     * Random bytes flipped in the metadata (footer and message headers; batch bodies are plain
     * values) give either the same kind of file back or a BadInputException, never another error
     * and never a crash.
     */
    @Test
    void randomlyCorruptedMetadataGivesCleanErrors() throws IOException {
        try (BufferAllocator a = new RootAllocator()) {
            Path validPath = validFile(a);
            byte[] valid = Files.readAllBytes(validPath);
            List<long[]> metadata = metadataRanges(validPath, a, valid.length);
            SplittableRandom random = new SplittableRandom(42);
            int errors = 0;
            for (int trial = 0; trial < 400; trial++) {
                byte[] bytes = valid.clone();
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    long[] range = metadata.get(random.nextInt(metadata.size()));
                    int at = (int) (range[0] + random.nextLong(range[1]));
                    bytes[at] = (byte) random.nextInt(256);
                }
                Path file = Files.write(dir.resolve("fuzz.arrow"), bytes);
                try {
                    readAll(file, a);
                } catch (BadInputException e) {
                    errors++;
                    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
                }
                assertEquals(0, a.getAllocatedMemory(), "trial " + trial + " leaked");
            }
            assertTrue(errors > 50, "most corruptions are detected, " + errors + " of 400 were");
        }
    }

    /** [start, length) of the footer and of each record batch's metadata. */
    private static List<long[]> metadataRanges(Path file, BufferAllocator a, long size) throws IOException {
        List<long[]> ranges = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file); ArrowFileReader r = new ArrowFileReader(ch, a)) {
            for (ArrowBlock b : r.getRecordBlocks()) {
                ranges.add(new long[] {b.getOffset(), b.getMetadataLength()});
            }
        }
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file)) {
            ch.read(len, size - 10);
        }
        int footerLength = len.getInt(0);
        ranges.add(new long[] {size - 10 - footerLength, footerLength + 4});
        return ranges;
    }

    /**
     * A file larger than 2 GiB, sparse so it costs a few kilobytes of disk: the small file's
     * batches are moved past a 3 GiB hole and the footer points at them there.
     */
    @Test
    void batchesBeyondTwoGigabytesAreReadFromASparseFile() throws IOException {
        long hole = 3L << 30;
        try (BufferAllocator a = new RootAllocator()) {
            Path small = validFile(a);
            List<String> expected = IpcTestFiles.readWithArrow(small, a);
            Schema schema;
            List<ArrowBlock> blocks;
            try (FileChannel ch = FileChannel.open(small); ArrowFileReader r = new ArrowFileReader(ch, a)) {
                schema = r.getVectorSchemaRoot().getSchema();
                blocks = r.getRecordBlocks();
            }
            byte[] bytes = Files.readAllBytes(small);
            long firstBatch = blocks.get(0).getOffset();
            ArrowBlock last = blocks.get(blocks.size() - 1);
            long batchesEnd = last.getOffset() + last.getMetadataLength() + last.getBodyLength();
            List<ArrowBlock> moved = blocks.stream().map(b -> new ArrowBlock(b.getOffset() + hole,
                    b.getMetadataLength(), b.getBodyLength())).toList();
            FlatBufferBuilder fb = new FlatBufferBuilder();
            fb.finish(new ArrowFooter(schema, List.of(), moved).writeTo(fb));
            byte[] footer = fb.sizedByteArray();

            Path big = dir.resolve("sparse-3g.arrow");
            try (FileChannel out = FileChannel.open(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.SPARSE)) {
                out.write(ByteBuffer.wrap(bytes, 0, (int) firstBatch), 0);
                long at = firstBatch + hole;
                out.write(ByteBuffer.wrap(bytes, (int) firstBatch, (int) (batchesEnd - firstBatch)), at);
                at += batchesEnd - firstBatch;
                ByteBuffer trailer = ByteBuffer.allocate(footer.length + 10).order(ByteOrder.LITTLE_ENDIAN);
                trailer.put(footer).putInt(footer.length).put("ARROW1".getBytes(StandardCharsets.US_ASCII));
                out.write(trailer.flip(), at);
            }
            try {
                assertTrue(Files.size(big) > hole, "the file is larger than 3 GiB");
                try (ArrowReader r = ArrowFiles.read(big, a)) {
                    assertTrue(r instanceof MappedArrowFileReader);
                    assertEquals(expected, IpcTestFiles.batches(r));
                }
                assertEquals(0, a.getAllocatedMemory());
            } finally {
                Files.deleteIfExists(big);
            }
        }
    }
}
