package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.tensor.Tensor;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Period;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalDayVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Big-endian Arrow IPC input (data/interop/big-endian, written by tools/interop/make-big-endian-fixtures.mjs)
 * reads as the same values as its little-endian twin, every column, file and stream alike; what
 * cannot be converted is refused naming the column.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BigEndianInputTest {
    private static final Path FIXTURES = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/interop/big-endian");

    /** Every batch of {@code file} as text, every column and null; through numarrow's reader or Arrow's as it is. */
    private static List<String> batches(Path file, BufferAllocator allocator, boolean numarrow) throws IOException {
        List<String> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             ArrowReader reader = numarrow ? ArrowFiles.read(file, allocator)
                     : file.toString().endsWith(".arrows") ? new ArrowStreamReader(ch, allocator) : new ArrowFileReader(ch, allocator)) {
            while (reader.loadNextBatch()) {
                out.add(reader.getVectorSchemaRoot().contentToTSVString());
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"arrow", "arrows"})
    void everyColumnOfABigEndianFileReadsAsItsLittleEndianTwin(String format) throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            List<String> little = batches(FIXTURES.resolve("mixed-le." + format), allocator, true);
            List<String> big = batches(FIXTURES.resolve("mixed-be." + format), allocator, true);
            assertEquals(2, little.size());
            assertEquals(little, big);
            // the fixture is really big-endian: read as it is, its values differ (or its offsets point nowhere)
            List<String> raw;
            try {
                raw = batches(FIXTURES.resolve("mixed-be." + format), allocator, false);
            } catch (IndexOutOfBoundsException e) {
                raw = List.of(e.toString());
            }
            assertNotEquals(little, raw);
            assertEquals(0, allocator.getAllocatedMemory());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"arrow", "arrows"})
    void bigEndianFeaturesReadAsTheArrowJsFile(String format) throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            List<String> little = batches(FIXTURES.resolveSibling("arrowjs-features.arrow"), allocator, true);
            assertEquals(little, batches(FIXTURES.resolve("features-be." + format), allocator, true));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"arrow", "arrows"})
    void bigEndianWeightsLoadBitForBit(String format) {
        try (BufferAllocator allocator = new RootAllocator();
             Tensor little = WeightsFile.load(FIXTURES.resolveSibling("arrowjs-weights.arrow"), allocator);
             Tensor big = WeightsFile.load(FIXTURES.resolve("weights-be." + format), allocator)) {
            assertEquals(12, big.rows());
            assertEquals(7, big.cols());
            assertArrayEquals(little.toArray(), big.toArray());
        }
    }

    @Test
    void aBigEndianFileIsNotMappedButCopiedAndConverted() {
        try (BufferAllocator allocator = new RootAllocator()) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> MappedArrowFileReader.openMapped(FIXTURES.resolve("features-be.arrow"), allocator));
            assertTrue(e.getMessage().contains("big-endian"), e.getMessage());
        }
    }

    @Test
    void aDictionaryColumnOfABigEndianFileIsRefusedNamingIt() {
        try (BufferAllocator allocator = new RootAllocator()) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> IpcBatchSource.open(FIXTURES.resolve("dictionary-be.arrow"), allocator).close());
            assertTrue(e.getMessage().contains("column 'city' is dictionary-encoded in a big-endian"), e.getMessage());
            assertEquals(0, allocator.getAllocatedMemory());
        }
    }

    @Test
    void viewLayoutsAreRefusedBeforeAnythingIsRead() {
        Schema schema = new Schema(List.of(Field.nullable("ok", new ArrowType.Int(32, true)),
                Field.nullable("names", ArrowType.Utf8View.INSTANCE)));
        BadInputException e = assertThrows(BadInputException.class,
                () -> BigEndianInput.checkConvertible(schema, Path.of("x.arrow")));
        assertTrue(e.getMessage().startsWith("x.arrow: column 'names' is of type Utf8View"), e.getMessage());
    }

    /**
     * Types the Arrow JS fixtures lack: each vector's buffers are turned big-endian here, from the
     * format's definition of each element (written out per type, not by the code under test), then
     * converted back.
     */
    @Test
    void decimalsIntervalsTimesAndLargeStringsConvertElementByElement() {
        try (BufferAllocator a = new RootAllocator();
             DecimalVector dec = new DecimalVector("dec", a, 38, 2);
             IntervalDayVector days = new IntervalDayVector("days", FieldType.nullable(new ArrowType.Interval(
                     org.apache.arrow.vector.types.IntervalUnit.DAY_TIME)), a);
             IntervalMonthDayNanoVector mdn = new IntervalMonthDayNanoVector("mdn", FieldType.nullable(new ArrowType.Interval(
                     org.apache.arrow.vector.types.IntervalUnit.MONTH_DAY_NANO)), a);
             TimeMicroVector time = new TimeMicroVector("time", a);
             LargeVarCharVector text = new LargeVarCharVector("text", a)) {
            int n = 17;
            for (int i = 0; i < n; i++) {
                dec.setSafe(i, new BigDecimal("-12345678901234567890123." + (10 + i)));
                days.setSafe(i, i - 5, i * 1000 + 7);
                mdn.setSafe(i, i + 1, -i, 123_456_789_012L * (i - 8));
                time.setSafe(i, 86_399_999_999L - i);
                text.setSafe(i, new Text("é" + "x".repeat(i)));
            }
            dec.setNull(3);
            text.setNull(4);
            List<FieldVector> vectors = List.of(dec, days, mdn, time, text);
            vectors.forEach(v -> v.setValueCount(n));
            try (VectorSchemaRoot root = new VectorSchemaRoot(vectors)) {
                String expected = root.contentToTSVString();
                reverseUnits(dec.getDataBuffer(), n, 16);
                reverseUnits(days.getDataBuffer(), 2 * n, 4);
                for (int i = 0; i < n; i++) {
                    reverse(mdn.getDataBuffer(), 16L * i, 4);
                    reverse(mdn.getDataBuffer(), 16L * i + 4, 4);
                    reverse(mdn.getDataBuffer(), 16L * i + 8, 8);
                }
                reverseUnits(time.getDataBuffer(), n, 8);
                reverseUnits(text.getOffsetBuffer(), n + 1, 8);
                BigEndianInput.toLittleEndian(root, Path.of("t.arrow"));
                assertEquals(expected, root.contentToTSVString());
                assertEquals(Period.ofMonths(4).plusDays(-3), mdn.getObject(3).getPeriod());
                assertEquals(Duration.ofDays(-2).plusMillis(3007), days.getObject(3));
            }
        }
    }

    @Test
    void overlappingBuffersAreRefusedNotSwappedTwice() {
        try (BufferAllocator a = new RootAllocator();
             IntVector x = new IntVector("x", a);
             IntVector y = new IntVector("y", a)) {
            x.allocateNew(8);
            x.setValueCount(8);
            ArrowBuf shared = x.getDataBuffer().slice(0, 32);
            y.loadFieldBuffers(new ArrowFieldNode(8, 0), List.of(x.getValidityBuffer(), shared));
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.<FieldVector>of(x, y))) {
                BadInputException e = assertThrows(BadInputException.class,
                        () -> BigEndianInput.toLittleEndian(root, Path.of("o.arrow")));
                assertTrue(e.getMessage().contains("overlap"), e.getMessage());
            }
        }
    }

    @Test
    void littleEndianFilesStayMapped() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
             MappedArrowFileReader r = MappedArrowFileReader.openMapped(FIXTURES.resolve("mixed-le.arrow"), allocator)) {
            assertEquals(2, r.getRecordBatchCount());
        }
        Path little = FIXTURES.resolve("mixed-le.arrow");
        Path big = FIXTURES.resolve("mixed-be.arrow");
        // the footer check used when a file cannot be mapped
        assertFalse(IpcFileLayout.footerSaysBigEndian(little, Files.size(little)));
        assertTrue(IpcFileLayout.footerSaysBigEndian(big, Files.size(big)));
    }

    private static void reverseUnits(ArrowBuf buf, long count, int unit) {
        for (long i = 0; i < count; i++) {
            reverse(buf, i * unit, unit);
        }
    }

    private static void reverse(ArrowBuf buf, long at, int length) {
        for (int lo = 0, hi = length - 1; lo < hi; lo++, hi--) {
            byte t = buf.getByte(at + lo);
            buf.setByte(at + lo, buf.getByte(at + hi));
            buf.setByte(at + hi, t);
        }
    }
}
