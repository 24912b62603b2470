package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15, item 3: streams with lengths the file cannot hold are refused before anything is allocated. */
@Timeout(60)
class NonMappedInputTest {
    private static final Path SEEDS = Path.of(System.getProperty("numarrow.repo", "."))
            .resolve("src/test/resources/io/numarrow/io/ReaderFuzzTestInputs/readers");

    @TempDir
    Path dir;

    private BadInputException read(byte[] bytes) throws Exception {
        Path f = Files.write(dir.resolve("m.arrow"), bytes);
        try (BufferAllocator allocator = new RootAllocator(64L << 20)) {
            BadInputException e = assertThrows(BadInputException.class, () -> {
                try (ArrowReader r = ArrowFiles.read(f, allocator)) {
                    r.getVectorSchemaRoot();
                    while (r.loadNextBatch()) {
                        r.getVectorSchemaRoot().getRowCount();
                    }
                }
            });
            assertEquals(0, allocator.getAllocatedMemory(), "no buffer left allocated");
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            return e;
        }
    }

    @Test
    void aStreamMessageLongerThanTheFileIsRefused() throws Exception {
        byte[] b = Files.readAllBytes(SEEDS.resolve("stream"));
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, Integer.MAX_VALUE); // the schema's length
        assertTrue(read(b).getMessage().contains("runs past the end"));
    }

    @Test
    void aStreamBodyLongerThanTheFileIsRefused() throws Exception {
        byte[] b = Files.readAllBytes(SEEDS.resolve("stream"));
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int schemaLength = bb.getInt(4);
        int second = 8 + schemaLength; // the first record batch: continuation, length, metadata, body
        bb.putInt(second + 4, b.length); // its metadata now claims the whole file
        assertTrue(read(b).getMessage().contains("corrupt Arrow stream"));
    }

    @Test
    void aStreamCutShortIsRefused() throws Exception {
        byte[] b = Files.readAllBytes(SEEDS.resolve("stream"));
        byte[] cut = java.util.Arrays.copyOf(b, b.length / 2);
        assertTrue(read(cut).getMessage().contains("corrupt Arrow stream"));
    }
}
