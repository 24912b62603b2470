package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.unsafe.Platform;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FloatWidth} against Java's own {@code (float)} and {@code (double)} casts, bit for bit, for
 * odd lengths around the lane counts, each kind of Spark base (native memory, the vector path; a
 * {@code byte[]}, a {@code long[]} and an {@code int[]}, value by value), an offset inside the base, and
 * guard values on both sides of the target that must stay as they were.
 */
class FloatWidthTest {
    private static final int[] LENGTHS = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 255, 1000};
    private static final float GUARD = -12345.5f;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> out = Stream.builder();
        for (String base : new String[] {"native", "byte[]", "long[]", "int[]"}) {
            for (int n : LENGTHS) {
                out.add(Arguments.of(base, n));
            }
        }
        return out.build();
    }

    /** A Spark base of {@code kind} holding {@code n} doubles at its {@code offset()} (one word in). */
    private record Base(Object object, long offset) {
        static Base of(String kind, int n, Arena arena) {
            long bytes = (n + 2L) * Double.BYTES;
            return switch (kind) {
                case "byte[]" -> new Base(new byte[(int) bytes], Platform.BYTE_ARRAY_OFFSET + Double.BYTES);
                case "long[]" -> new Base(new long[n + 2], Platform.LONG_ARRAY_OFFSET + Double.BYTES);
                case "int[]" -> new Base(new int[2 * (n + 2)], Platform.INT_ARRAY_OFFSET + Double.BYTES);
                default -> new Base(null, arena.allocate(bytes, 8).address() + Double.BYTES);
            };
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void narrowIsTheCastOfEachValue(String kind, int n) {
        SplittableRandom random = new SplittableRandom(n * 31L + kind.length());
        try (Arena arena = Arena.ofConfined()) {
            Base base = Base.of(kind, n, arena);
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                // values that round, tiny ones, and beyond float's range
                values[i] = i % 17 == 5 ? 1e39 * (i % 2 == 0 ? 1 : -1) : random.nextDouble(-3, 3) * Math.pow(10, random.nextInt(-40, 5));
                Platform.putDouble(base.object(), base.offset() + (long) i * Double.BYTES, values[i]);
            }
            MemorySegment target = arena.allocate((n + 2L) * Float.BYTES, 4);
            target.fill((byte) 0);
            target.setAtIndex(ValueLayout.JAVA_FLOAT, 0, GUARD);
            target.setAtIndex(ValueLayout.JAVA_FLOAT, n + 1, GUARD);

            FloatWidth.narrow(base.object(), base.offset(), target.address() + Float.BYTES, n);

            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits((float) values[i]),
                        Float.floatToRawIntBits(target.getAtIndex(ValueLayout.JAVA_FLOAT, i + 1)), "value " + i + " of " + n);
            }
            assertEquals(GUARD, target.getAtIndex(ValueLayout.JAVA_FLOAT, 0), "the float before the target");
            assertEquals(GUARD, target.getAtIndex(ValueLayout.JAVA_FLOAT, n + 1), "the float after the target");
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void widenIsTheCastOfEachValue(String kind, int n) {
        SplittableRandom random = new SplittableRandom(n * 37L + kind.length());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(Math.max(1, n) * (long) Float.BYTES, 4);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = i % 13 == 4 ? Float.NaN : (float) (random.nextDouble(-3, 3) * Math.pow(10, random.nextInt(-40, 30)));
                source.setAtIndex(ValueLayout.JAVA_FLOAT, i, values[i]);
            }
            Base base = Base.of(kind, n, arena);
            double guard = -98765.25;
            Platform.putDouble(base.object(), base.offset() - Double.BYTES, guard);
            Platform.putDouble(base.object(), base.offset() + (long) n * Double.BYTES, guard);

            FloatWidth.widen(source.address(), base.object(), base.offset(), n);

            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToRawLongBits(values[i]),
                        Double.doubleToRawLongBits(Platform.getDouble(base.object(), base.offset() + (long) i * Double.BYTES)),
                        "value " + i + " of " + n);
            }
            assertEquals(guard, Platform.getDouble(base.object(), base.offset() - Double.BYTES), "the double before");
            assertEquals(guard, Platform.getDouble(base.object(), base.offset() + (long) n * Double.BYTES), "the double after");
        }
    }
}
