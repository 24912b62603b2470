package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.io.BatchSource;
import io.numarrow.io.Formats;
import io.numarrow.io.MappedIpcSink;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The input's kept columns copied into an in-place output by a pool task while the kernels compile:
 * stopped at any point it leaves off at a batch boundary, and a failure in the task (an input that
 * shrank) reaches the caller that waits for it, naming the input, with nothing left
 * in the output's folder once the sink is closed. (The bytes it writes: {@code MappedIpcSinkTest};
 * a fresh JVM's job through it, cold against warm: {@code ColdWarmOutputTest}.)
 */
@Timeout(60)
class InputCopyAheadTest {
    @TempDir
    Path dir;

    private ThreadPool pool;

    @BeforeEach
    void startPool() {
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
    }

    @AfterEach
    void closePool() {
        pool.close();
    }

    /** Stopped at any point, the task leaves off at a batch's end: the caller's copies go on from there, to exactly every batch. */
    @Test
    void stoppedItLeavesOffAtABatchBoundary() throws Exception {
        Path input = dir.resolve("in.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(input, allocator, 170, 16, 17, 0, 1);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "features", allocator);
                 MappedIpcSink sink = open(source, dir.resolve("y.arrow"), allocator)) {
                InputCopyAhead.startCopying(sink, pool).close();
                int ahead = sink.inputCopiedAhead();
                int rest = 0;
                while (sink.copyNextInputAhead()) {
                    rest++;
                }
                assertEquals(17, ahead + rest, ahead + " copied by the task");
                assertEquals(17, sink.inputCopiedAhead());
            }
        }
    }

    @Test
    void aFailureInTheCopyingTaskReachesTheCallerAndLeavesNothing() throws Exception {
        Path input = Files.createDirectory(dir.resolve("in")).resolve("in.arrow");
        Path folder = Files.createDirectory(dir.resolve("out"));
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(input, allocator, 4000, 64, 2, 0, 1);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "features", allocator)) {
                try (MappedIpcSink sink = open(source, folder.resolve("y.arrow"), allocator)) {
                    try (FileChannel ch = FileChannel.open(input, StandardOpenOption.WRITE)) {
                        ch.truncate(4096); // the first batch's body reaches far past this page
                    }
                    InputCopyAhead ahead = InputCopyAhead.startCopying(sink, pool);
                    // awaited, not closed: a close before the task's first batch would stop it with nothing tried
                    BadInputException e = assertThrows(BadInputException.class, ahead::awaitEnd);
                    assertTrue(e.getMessage().contains("in.arrow: input file changed while being read"), e.getMessage());
                }
            }
        }
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(List.of(), s.toList());
        }
    }

    private static MappedIpcSink open(BatchSource source, Path out, BufferAllocator allocator) {
        List<Field> fields = new ArrayList<>(source.schema().getFields());
        fields.add(FixedShapeTensorType.float32(8).field("output"));
        MappedIpcSink sink = MappedIpcSink.open(out, source, new Schema(fields), 1, true, allocator);
        assertNotNull(sink, "an Arrow IPC input read from its mapping is written in place");
        return sink;
    }
}
