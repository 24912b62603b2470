package io.numarrow.io;

import io.numarrow.BadInputException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow IPC data written on a big-endian machine (the schema's {@code endianness} is {@code Big}),
 * turned into the little-endian layout every reader and kernel here assumes: each loaded batch's
 * buffers are byte-swapped in place, element by element as their type says (offsets, integers,
 * floats, dates, decimals as whole numbers, intervals field by field; bitmaps and bytes stay as they
 * are). Arrow Java's readers ignore the field, and computing on the bytes as they are gives wrong
 * numbers without an error, so every reader that copies (Arrow's file and stream readers) converts,
 * and the mapped reader sends big-endian files to them.
 *
 * <p>What cannot be converted batch by batch is refused before anything is read
 * ({@link #checkConvertible}): dictionary-encoded columns (a stream's dictionary deltas are
 * appended by Arrow's reader before anyone could swap them) and the view and list-view layouts.
 */
final class BigEndianInput {
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A buffer left as it is (validity bitmaps, booleans, bytes, union type ids). */
    private static final int[] KEEP = {};

    private BigEndianInput() {
    }

    /**
     * Refuses, naming the column, a big-endian schema with a column this class cannot convert.
     *
     * @throws BadInputException for a dictionary-encoded column, a view layout or an unknown type
     */
    static void checkConvertible(Schema schema, Path file) {
        for (Field f : schema.getFields()) {
            String why = unconvertible(f);
            if (why != null) {
                throw new BadInputException(file + ": column '" + f.getName() + "' " + why + " in a big-endian"
                        + " Arrow file; numarrow converts big-endian files as it reads them, but not such columns:"
                        + " write the file little-endian (the byte order of x86 and ARM machines), or drop the column");
            }
        }
    }

    private static String unconvertible(Field field) {
        if (field.getDictionary() != null) {
            return "is dictionary-encoded";
        }
        try {
            units(storage(field.getType()));
        } catch (UnsupportedOperationException e) {
            return e.getMessage();
        }
        for (Field child : field.getChildren()) {
            String why = unconvertible(child);
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /**
     * Swaps every buffer of the batch loaded in {@code root} into little-endian order, in place.
     *
     * @throws BadInputException when two buffers of the batch overlap (swapping one would swap the other back)
     */
    static void toLittleEndian(VectorSchemaRoot root, Path file) {
        List<Swap> swaps = new ArrayList<>();
        for (FieldVector v : root.getFieldVectors()) {
            collect(v, v.getField(), swaps);
        }
        swaps.sort(Comparator.comparingLong(s -> s.buffer.memoryAddress()));
        for (int i = 1; i < swaps.size(); i++) {
            ArrowBuf before = swaps.get(i - 1).buffer;
            if (before.memoryAddress() + before.capacity() > swaps.get(i).buffer.memoryAddress()) {
                throw new BadInputException(file + ": corrupt Arrow file: two buffers of a record batch overlap,"
                        + " so its big-endian values cannot be converted");
            }
        }
        for (Swap s : swaps) {
            swap(s.buffer, s.units);
        }
    }

    /** One buffer to swap, with the byte widths of the fields of one element, in order. */
    private record Swap(ArrowBuf buffer, int[] units) {
    }

    private static void collect(FieldVector vector, Field field, List<Swap> swaps) {
        ArrowType type = storage(field.getType());
        int[][] units = units(type);
        List<ArrowBuf> buffers = vector.getFieldBuffers();
        if (buffers.size() != units.length) {
            throw new IllegalStateException(field + ": " + buffers.size() + " buffers, the layout says " + units.length);
        }
        for (int i = 0; i < units.length; i++) {
            ArrowBuf b = buffers.get(i);
            if (units[i].length > 0 && b != null && b.capacity() > 0) {
                swaps.add(new Swap(b, units[i]));
            }
        }
        List<FieldVector> children = vector.getChildrenFromFields();
        List<Field> childFields = field.getChildren();
        for (int i = 0; i < children.size(); i++) {
            collect(children.get(i), childFields.get(i), swaps);
        }
    }

    private static ArrowType storage(ArrowType type) {
        return type instanceof ArrowType.ExtensionType ext ? storage(ext.storageType()) : type;
    }

    /** The swap units of each of {@code type}'s buffers, in Arrow's IPC (and {@code getFieldBuffers}) order. */
    private static int[][] units(ArrowType type) {
        int[][] units = switch (type.getTypeID()) {
            case Null, RunEndEncoded -> new int[0][];
            case Bool, FixedSizeBinary -> new int[][] {KEEP, KEEP};
            case Int -> new int[][] {KEEP, width(((ArrowType.Int) type).getBitWidth() / 8)};
            case FloatingPoint -> new int[][] {KEEP, width(switch (((ArrowType.FloatingPoint) type).getPrecision()) {
                case HALF -> 2;
                case SINGLE -> 4;
                case DOUBLE -> 8;
            })};
            case Decimal -> new int[][] {KEEP, width(((ArrowType.Decimal) type).getBitWidth() / 8)};
            case Date -> new int[][] {KEEP, width(switch (((ArrowType.Date) type).getUnit()) {
                case DAY -> 4;
                case MILLISECOND -> 8;
            })};
            case Time -> new int[][] {KEEP, width(((ArrowType.Time) type).getBitWidth() / 8)};
            case Timestamp, Duration -> new int[][] {KEEP, width(8)};
            case Interval -> new int[][] {KEEP, switch (((ArrowType.Interval) type).getUnit()) {
                case YEAR_MONTH -> width(4);
                case DAY_TIME -> new int[] {4, 4};          // days, milliseconds
                case MONTH_DAY_NANO -> new int[] {4, 4, 8}; // months, days, nanoseconds
            }};
            case Utf8, Binary -> new int[][] {KEEP, width(4), KEEP};
            case LargeUtf8, LargeBinary -> new int[][] {KEEP, width(8), KEEP};
            case List, Map -> new int[][] {KEEP, width(4)};
            case LargeList -> new int[][] {KEEP, width(8)};
            case FixedSizeList, Struct -> new int[][] {KEEP};
            case Union -> ((ArrowType.Union) type).getMode() == UnionMode.Dense
                    ? new int[][] {KEEP, width(4)} : new int[][] {KEEP};
            default -> throw new UnsupportedOperationException("is of type " + type);
        };
        if (units.length != TypeLayout.getTypeBufferCount(type)) {
            throw new UnsupportedOperationException("is of type " + type + ", whose layout this reader does not know");
        }
        return units;
    }

    private static int[] width(int bytes) {
        return bytes <= 1 ? KEEP : new int[] {bytes};
    }

    /** Reverses the bytes of each unit of each whole element of {@code buffer}. */
    private static void swap(ArrowBuf buffer, int[] units) {
        long bytes = buffer.capacity();
        MemorySegment s = MemorySegment.ofAddress(buffer.memoryAddress()).reinterpret(bytes);
        if (units.length == 1) {
            int u = units[0];
            long end = bytes - bytes % u;
            switch (u) {
                case 2 -> {
                    for (long i = 0; i < end; i += 2) {
                        s.set(SHORT_LE, i, s.get(SHORT_BE, i));
                    }
                }
                case 4 -> {
                    for (long i = 0; i < end; i += 4) {
                        s.set(INT_LE, i, s.get(INT_BE, i));
                    }
                }
                case 8 -> {
                    for (long i = 0; i < end; i += 8) {
                        s.set(LONG_LE, i, s.get(LONG_BE, i));
                    }
                }
                default -> reverseEach(s, end, units);
            }
            return;
        }
        int stride = 0;
        for (int u : units) {
            stride += u;
        }
        reverseEach(s, bytes - bytes % stride, units);
    }

    private static void reverseEach(MemorySegment s, long end, int[] units) {
        long at = 0;
        while (at < end) {
            for (int u : units) {
                for (int lo = 0, hi = u - 1; lo < hi; lo++, hi--) {
                    byte a = s.get(ValueLayout.JAVA_BYTE, at + lo);
                    s.set(ValueLayout.JAVA_BYTE, at + lo, s.get(ValueLayout.JAVA_BYTE, at + hi));
                    s.set(ValueLayout.JAVA_BYTE, at + hi, a);
                }
                at += u;
            }
        }
    }
}
