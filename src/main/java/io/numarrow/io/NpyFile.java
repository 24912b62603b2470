package io.numarrow.io;

import io.numarrow.BadInputException;
import io.numarrow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A numpy {@code .npy} file (format versions 1.0, 2.0 and 3.0): the magic string, a little-endian
 * header length, a header that is a Python dict literal ({@code {'descr': '<f4', 'fortran_order':
 * False, 'shape': (d, h), }}), then the array's bytes. The header is parsed, not guessed from the
 * file's size; float32 and float64 arrays in either byte order and in C or Fortran order are read,
 * anything else is a {@link BadInputException} naming the file and what it holds.
 */
public final class NpyFile {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    /**
     * What a {@code .npy} header says.
     *
     * @param version      {@code major.minor}, e.g. {@code 1.0}
     * @param descr        the dtype, e.g. {@code <f4}
     * @param fortranOrder whether the array is stored column-major
     * @param shape        the dimensions, outermost first
     * @param dataOffset   where the array's bytes begin
     */
    public record Header(String version, String descr, boolean fortranOrder, long[] shape, long dataOffset) {
        /** The shape as numpy prints it: {@code (3, 4)}, {@code (5,)}, {@code ()}. */
        public String shapeText() {
            return shape.length == 1 ? "(" + shape[0] + ",)"
                    : Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", ", "(", ")"));
        }
    }

    private NpyFile() {
    }

    /**
     * Whether {@code file} begins with the {@code .npy} magic string (false when it cannot be read, and for
     * anything but a regular file: opening a FIFO would wait for a writer, forever).
     */
    public static boolean isNpy(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(MAGIC.length);
            while (head.hasRemaining() && ch.read(head) >= 0) {
                // read until full or end of file
            }
            return Arrays.equals(head.array(), MAGIC) && head.position() == MAGIC.length;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Reads a 2-D float32 or float64 array ({@code rows × cols}) into a new float32 tensor (float64
     * values rounded to the nearest float32). {@code what} names the array in messages ("weights").
     */
    public static Tensor readMatrix(Path file, String what, BufferAllocator allocator) {
        return read(file, what, allocator, 2);
    }

    /** Reads a 1-D float32 or float64 array of {@code n} values into a new {@code 1×n} float32 tensor. */
    public static Tensor readVector(Path file, String what, BufferAllocator allocator) {
        return read(file, what, allocator, 1);
    }

    private static Tensor read(Path file, String what, BufferAllocator allocator, int rank) {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment bytes = size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            Header h = header(bytes, size, file);
            int itemSize = itemSize(h, file, what);
            ByteOrder order = h.descr().charAt(0) == '>' ? ByteOrder.BIG_ENDIAN
                    : h.descr().charAt(0) == '<' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.nativeOrder();
            if (h.shape().length != rank) {
                throw new BadInputException(file + ": the " + what + " array has shape " + h.shapeText() + ", "
                        + h.shape().length + " dimensions; expected " + (rank == 2 ? "2, (d, h)" : "1, (h,)"));
            }
            long rows = rank == 2 ? h.shape()[0] : 1;
            long cols = h.shape()[rank - 1];
            if (rows == 0 || cols == 0) {
                throw new BadInputException(file + ": the " + what + " array has shape " + h.shapeText() + ": no values");
            }
            if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE || rows * cols > Integer.MAX_VALUE) {
                throw new BadInputException(file + ": the " + what + " array has shape " + h.shapeText()
                        + ", more values than numarrow holds in one tensor (" + Integer.MAX_VALUE + ")");
            }
            long need = rows * cols * itemSize;
            long have = size - h.dataOffset();
            if (have < need) {
                throw new BadInputException(file + ": truncated: shape " + h.shapeText() + " of " + h.descr()
                        + " needs " + need + " bytes of data after the " + h.dataOffset() + "-byte header, the file holds "
                        + have);
            }
            return copy(bytes, h, (int) rows, (int) cols, itemSize, order, allocator);
        } catch (NoSuchFileException e) {
            throw new BadInputException(file + ": no such file", e);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The array's values, widened or narrowed to float32 and put in row-major order. */
    private static Tensor copy(MemorySegment bytes, Header h, int rows, int cols, int itemSize, ByteOrder order,
                               BufferAllocator allocator) {
        Tensor t = Tensor.allocate(allocator, rows, cols);
        try {
            MemorySegment out = t.liveSegment();
            long base = h.dataOffset();
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order);
            ValueLayout.OfDouble f64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
            ValueLayout.OfFloat outF = ValueLayout.JAVA_FLOAT_UNALIGNED;
            if (itemSize == Float.BYTES && !h.fortranOrder() && order == ByteOrder.nativeOrder()) {
                MemorySegment.copy(bytes, base, out, 0, (long) rows * cols * Float.BYTES);
                return t;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    long index = h.fortranOrder() ? (long) j * rows + i : (long) i * cols + j;
                    float v = itemSize == Float.BYTES ? bytes.get(f32, base + index * Float.BYTES)
                            : (float) bytes.get(f64, base + index * Double.BYTES);
                    out.set(outF, ((long) i * cols + j) * Float.BYTES, v);
                }
            }
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private static int itemSize(Header h, Path file, String what) {
        String d = h.descr();
        if (d.length() == 3 && "<>=".indexOf(d.charAt(0)) >= 0 && d.charAt(1) == 'f') {
            if (d.charAt(2) == '4') {
                return Float.BYTES;
            }
            if (d.charAt(2) == '8') {
                return Double.BYTES;
            }
        }
        throw new BadInputException(file + ": the " + what + " array's dtype is '" + d
                + "'; expected float32 or float64 ('<f4' or '<f8': np.save(path, array.astype(np.float32)))");
    }

    /** Reads and checks the magic string, the version, the header length and the header dict. */
    static Header header(MemorySegment bytes, long size, Path file) {
        if (size < MAGIC.length + 2 || !Arrays.equals(bytes.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE), MAGIC)) {
            throw new BadInputException(file + ": not a .npy file (it does not begin with \\x93NUMPY)");
        }
        int major = Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, 6));
        int minor = Byte.toUnsignedInt(bytes.get(ValueLayout.JAVA_BYTE, 7));
        if (major < 1 || major > 3) {
            throw new BadInputException(file + ": .npy format version " + major + "." + minor
                    + "; numarrow reads versions 1.0, 2.0 and 3.0");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        long start = 8L + lengthBytes;
        if (size < start) {
            throw new BadInputException(file + ": truncated: " + size + " bytes, not even a .npy header's length");
        }
        long length = major == 1 ? Short.toUnsignedInt(bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8))
                : Integer.toUnsignedLong(bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
        if (start + length > size) {
            throw new BadInputException(file + ": truncated: the .npy header says it is " + length + " bytes, the file holds "
                    + (size - start) + " after the header's length");
        }
        byte[] raw = bytes.asSlice(start, length).toArray(ValueLayout.JAVA_BYTE);
        // versions 1 and 2 write the header in latin-1, version 3 in UTF-8
        String text = new String(raw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new HeaderParser(text, file).dict();
        if (!dict.keySet().equals(KEYS)) {
            throw new BadInputException(file + ": the .npy header's keys are " + dict.keySet()
                    + "; expected descr, fortran_order and shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new BadInputException(file + ": the .npy header's descr is " + dict.get("descr")
                    + ", a structured dtype; expected float32 or float64 ('<f4' or '<f8')");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new BadInputException(file + ": the .npy header's fortran_order is " + dict.get("fortran_order")
                    + "; expected True or False");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new BadInputException(file + ": the .npy header's shape is " + dict.get("shape")
                    + "; expected a tuple of integers");
        }
        return new Header(major + "." + minor, descr, fortran, shape, start + length);
    }

    /**
     * The header dict: a Python literal of string keys and values that are strings, {@code True},
     * {@code False}, or tuples of non-negative integers (older writers add an {@code L}). A list (a
     * structured dtype's descr) is read as an opaque value, so that the message can say what it is.
     */
    private static final class HeaderParser {
        /** The two quotes a Python string literal may open with. */
        private static final String QUOTES = "'\"";

        /** A value numarrow does not read (a list), kept as written for the message. */
        private record Opaque(String text) {
            @Override
            public String toString() {
                return text;
            }
        }

        private final String s;
        private final Path file;
        private int i;

        HeaderParser(String s, Path file) {
            this.s = s;
            this.file = file;
        }

        Map<String, Object> dict() {
            Map<String, Object> d = new LinkedHashMap<>();
            expect('{');
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    i++;
                    break;
                }
                String key = string();
                expect(':');
                Object value = value();
                if (d.put(key, value) != null) {
                    throw fail("the key '" + key + "' appears twice");
                }
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}'");
                }
            }
            skipSpace();
            if (i != s.length()) {
                throw fail("text after the dict");
            }
            return d;
        }

        private Object value() {
            skipSpace();
            char c = peek();
            if (QUOTES.indexOf(c) >= 0) {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') {
                int depth = 0;
                int from = i;
                do {
                    char x = peek();
                    depth += x == '[' ? 1 : x == ']' ? -1 : 0;
                    i++;
                } while (depth > 0);
                return new Opaque(s.substring(from, i));
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            throw fail("expected a string, True, False or a tuple");
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    i++;
                    break;
                }
                int from = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (from == i) {
                    throw fail("expected a dimension (a non-negative integer)");
                }
                try {
                    dims.add(Long.parseLong(s.substring(from, i)));
                } catch (NumberFormatException e) {
                    throw fail("dimension " + s.substring(from, i) + " is too large");
                }
                if (peek() == 'L') {
                    i++;
                }
                skipSpace();
                if (peek() == ',') {
                    i++;
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')'");
                }
            }
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        private String string() {
            skipSpace();
            char q = peek();
            if (QUOTES.indexOf(q) < 0) {
                throw fail("expected a quoted string");
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw fail("a string is not closed");
            }
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private void expect(char c) {
            skipSpace();
            if (peek() != c) {
                throw fail("expected '" + c + "'");
            }
            i++;
        }

        private char peek() {
            if (i >= s.length()) {
                throw fail("the header ends early");
            }
            return s.charAt(i);
        }

        private void skipSpace() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private BadInputException fail(String what) {
            String shown = s.strip();
            return new BadInputException(file + ": the .npy header is not a dict numarrow can read (" + what
                    + " at character " + i + " of " + (shown.length() > 120 ? shown.substring(0, 120) + "..." : shown) + ")");
        }
    }
}
