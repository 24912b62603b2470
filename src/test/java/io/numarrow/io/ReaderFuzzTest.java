package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.numarrow.BadInputException;
import io.numarrow.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of every input path (issue 15): the mapped IPC reader, the stream reader, the
 * compressed and dictionary path (Arrow's file reader behind {@link CheckedReaders}) and the weights
 * loader. Any bytes must give either batches or a {@link BadInputException}, nothing else (no other
 * exception, no JVM crash, no hang), and leave no buffer allocated.
 *
 * <p>{@code ./numarrow test} replays the checked-in corpus
 * ({@code src/test/resources/io/numarrow/io/ReaderFuzzTestInputs/readers}: small valid files of each
 * kind, made by {@link FuzzSeeds}, and inputs fuzzing found) through the same target as a plain
 * parameterized test: Jazzer's own regression mode instruments every loaded class at start, which took
 * 100 s on a loaded 2-core machine. To fuzz: {@code JAZZER_FUZZ=1 ./numarrow test -Dtest=ReaderFuzzTest}
 * (60 s by default; {@code -Djazzer.max_duration=10m} for longer). Jazzer 0.24's ASM cannot instrument
 * Java 25 class files, so coverage guidance comes from Arrow's and flatbuffers' classes, not numarrow's.
 */
class ReaderFuzzTest {
    /** Keeps a decompression bomb or a huge declared length from taking the machine's memory. */
    private static final long MEMORY_LIMIT = 256L << 20;
    private static Path file;

    static Stream<Path> corpus() throws IOException {
        Path dir = Path.of(System.getProperty("numarrow.repo", "."))
                .resolve("src/test/resources/io/numarrow/io/ReaderFuzzTestInputs/readers");
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void corpusReplays(Path input) throws IOException {
        readers(Files.readAllBytes(input));
        readers(new byte[0]);
    }

    @FuzzTest(maxDuration = "60s")
    @EnabledIfEnvironmentVariable(named = "JAZZER_FUZZ", matches = ".+")
    void readers(byte[] input) throws IOException {
        if (file == null) {
            file = Files.createTempFile("numarrow-fuzz", ".arrow");
        }
        Files.write(file, input);
        try (BufferAllocator allocator = new RootAllocator(MEMORY_LIMIT)) {
            try (ArrowReader reader = ArrowFiles.read(file, allocator)) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                for (int batches = 0; batches < 64 && reader.loadNextBatch(); batches++) {
                    root.getRowCount();
                    for (var v : root.getFieldVectors()) {
                        v.getValueCount();
                        if (v.getValueCount() > 0) {
                            v.getObject(v.getValueCount() - 1); // touch the last value: in bounds or an exception
                        }
                    }
                }
            } catch (BadInputException expected) {
                // the one allowed failure
            }
            try (Tensor w = WeightsFile.load(file, allocator)) {
                w.get(w.rows() - 1, w.cols() - 1);
            } catch (BadInputException expected) {
                // the one allowed failure
            }
            assertEquals(0, allocator.getAllocatedMemory(), "buffers left allocated after the readers closed");
        }
    }

    @AfterAll
    static void removeFile() throws IOException {
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }
}
