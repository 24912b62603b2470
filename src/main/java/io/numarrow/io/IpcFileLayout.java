package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Endianness;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The record batches of a mapped Arrow IPC file, read from its footer and messages and checked
 * before any buffer is made: every block, message, buffer and offset must lie inside the file and
 * agree with the schema. A corrupt file is a {@link BadInputException} naming the file, the batch
 * and the byte offset; nothing outside the mapping is ever touched.
 *
 * <p>Files this reader does not serve zero-copy (compressed batches, dictionary-encoded columns,
 * layouts it does not check) get an {@link #ordinaryReaderReason()}: they are read by Arrow's
 * own reader instead.
 */
final class IpcFileLayout {
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long MAGIC_AND_PADDING = 8;
    /** Footer length (int32) and "ARROW1" at the end of the file. */
    private static final long TRAILER = 4 + 6;

    /**
     * Where one record batch lies and how it is cut.
     *
     * @param bodyOffset byte offset of the batch body in the file
     * @param bodyLength body bytes
     * @param rows       rows in the batch
     * @param nodes      (length, null count) per field node, flattened
     * @param buffers    (offset in body, length) per buffer, flattened
     */
    record BatchPlan(long bodyOffset, long bodyLength, int rows, long[] nodes, long[] buffers) {
    }

    private final Schema schema;
    private final List<BatchPlan> batches;
    private final String ordinaryReaderReason;
    private final boolean bigEndian;

    private IpcFileLayout(Schema schema, List<BatchPlan> batches, String ordinaryReaderReason, boolean bigEndian) {
        this.schema = schema;
        this.batches = batches;
        this.ordinaryReaderReason = ordinaryReaderReason;
        this.bigEndian = bigEndian;
    }

    Schema schema() {
        return schema;
    }

    List<BatchPlan> batches() {
        return batches;
    }

    /** The rows and batches of a file of {@code size} bytes. */
    BatchSource.Totals totals(long size) {
        long rows = 0;
        for (BatchPlan plan : batches) {
            rows += plan.rows();
        }
        return new BatchSource.Totals(rows, batches.size(), size);
    }

    /** Why the file needs Arrow's ordinary reader, or null when it can be read in place. */
    String ordinaryReaderReason() {
        return ordinaryReaderReason;
    }

    /** Whether the footer's schema says the data is big-endian ({@link BigEndianInput}). */
    boolean bigEndian() {
        return bigEndian;
    }

    static IpcFileLayout parse(FileMapping m) {
        String file = m.file().toString();
        long size = m.size();
        long footerLengthAt = size - TRAILER;
        int footerLength = m.segment().get(INT_LE, footerLengthAt);
        long footerStart = footerLengthAt - footerLength;
        if (footerLength <= 0 || footerStart < MAGIC_AND_PADDING) {
            throw new BadInputException(file + ": corrupt Arrow file: its footer length (" + footerLength
                    + " bytes) does not fit in the " + size + "-byte file");
        }
        ArrowFooter footer;
        boolean bigEndian;
        try {
            Footer flat = Footer.getRootAsFooter(m.bytes(footerStart, footerLength));
            bigEndian = flat.schema() != null && flat.schema().endianness() == Endianness.Big;
            footer = new ArrowFooter(flat);
        } catch (RuntimeException e) {
            throw new BadInputException(file + ": corrupt Arrow file: unreadable footer at byte " + footerStart
                    + " (" + e + ")", e);
        }
        Schema schema = footer.getSchema();
        if (schema == null) {
            throw new BadInputException(file + ": corrupt Arrow file: the footer has no schema");
        }
        String reason = null;
        if (bigEndian) {
            // the kernels read little-endian floats: the batches are converted as Arrow's reader copies them in
            BigEndianInput.checkConvertible(schema, m.file());
            reason = "its data is big-endian (each batch is converted to little-endian as it is read)";
        } else if (!footer.getDictionaries().isEmpty() || hasDictionary(schema.getFields())) {
            reason = "it has dictionary-encoded columns";
        }
        List<ArrowBlock> blocks = footer.getRecordBatches();
        List<BatchPlan> plans = new ArrayList<>(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            ArrowBlock block = blocks.get(i);
            try {
                RecordBatch rb = readHeader(m, block, footerStart, false);
                if (rb.compression() != null) {
                    reason = reason != null ? reason : "its record batches are compressed";
                }
                BatchPlan plan = plan(block, rb);
                if (rb.compression() != null) {
                    checkDeclaredLengths(m, plan); // before Arrow's reader allocates for them
                }
                if (reason == null) {
                    String unsupported = BatchLayoutCheck.check(m, schema, plan);
                    if (unsupported != null) {
                        reason = unsupported;
                    }
                }
                plans.add(plan);
                // The check read the batch's metadata and offsets, and the kernel mapped the pages
                // around each read too (about 100 KB a batch): let them go now, or resident memory
                // would grow with the file until each batch is read and released.
                m.dropPages(block.getOffset(), block.getMetadataLength() + block.getBodyLength());
            } catch (BadInputException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new BadInputException(file + ": corrupt Arrow file: record batch " + i + " at byte "
                        + block.getOffset() + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
            }
        }
        List<ArrowBlock> dictionaries = footer.getDictionaries();
        for (int i = 0; i < dictionaries.size(); i++) {
            ArrowBlock block = dictionaries.get(i);
            try {
                // checked like the batches: Arrow's reader leaks a dictionary body it fails to load
                RecordBatch rb = readHeader(m, block, footerStart, true);
                BatchPlan plan = plan(block, rb);
                if (rb.compression() != null) {
                    checkDeclaredLengths(m, plan);
                }
            } catch (RuntimeException e) {
                throw new BadInputException(file + ": corrupt Arrow file: dictionary batch " + i + " at byte "
                        + block.getOffset() + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
            }
        }
        return new IpcFileLayout(schema, List.copyOf(plans), reason, bigEndian);
    }

    /**
     * Whether the footer of {@code file} ({@code size} bytes, already checked to end in "ARROW1") says
     * big-endian, read through a channel for a file that could not be mapped. A footer that cannot be
     * read says no: Arrow's reader then reports the file as corrupt.
     */
    static boolean footerSaysBigEndian(Path file, long size) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(length, size - TRAILER);
            int footerLength = length.getInt(0);
            long footerStart = size - TRAILER - footerLength;
            if (length.position() < 4 || footerLength <= 0 || footerStart < MAGIC_AND_PADDING) {
                return false;
            }
            ByteBuffer footer = ByteBuffer.allocate(footerLength).order(ByteOrder.LITTLE_ENDIAN);
            while (footer.hasRemaining() && ch.read(footer, footerStart + footer.position()) > 0) {
                // read it whole
            }
            footer.flip();
            org.apache.arrow.flatbuf.Schema schema = Footer.getRootAsFooter(footer).schema();
            return schema != null && schema.endianness() == Endianness.Big;
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            return false; // Arrow's reader, reading the same footer next, says what is wrong with it
        }
    }

    private static void checkDeclaredLengths(FileMapping m, BatchPlan plan) {
        long[] b = plan.buffers();
        for (int i = 0; i < b.length; i += 2) {
            if (b[i + 1] >= 8) {
                long declared = m.segment().get(LONG_LE, plan.bodyOffset() + b[i]);
                String refusal = BoundedCodecFactory.refusal(declared, b[i + 1] - 8);
                if (refusal != null) {
                    throw new IllegalArgumentException("compressed buffer " + i / 2 + ": " + refusal);
                }
            }
        }
    }

    private static boolean hasDictionary(List<Field> fields) {
        for (Field f : fields) {
            if (f.getDictionary() != null || hasDictionary(f.getChildren())) {
                return true;
            }
        }
        return false;
    }

    /** The record batch header of {@code block}, every length and offset checked against the file. */
    private static RecordBatch readHeader(FileMapping m, ArrowBlock block, long footerStart, boolean dictionary) {
        long offset = block.getOffset();
        long metaLength = block.getMetadataLength();
        long bodyLength = block.getBodyLength();
        if (offset < MAGIC_AND_PADDING || metaLength < 8 || bodyLength < 0
                || metaLength > footerStart - offset || bodyLength > footerStart - offset - metaLength) {
            throw new IllegalArgumentException("block (metadata " + metaLength + " bytes, body " + bodyLength
                    + " bytes) does not lie between the file header and the footer at byte " + footerStart);
        }
        int first = m.segment().get(INT_LE, offset);
        long fbStart = first == -1 ? offset + 8 : offset + 4; // continuation marker, or the pre-1.0 format
        int fbLength = first == -1 ? m.segment().get(INT_LE, offset + 4) : first;
        if (fbLength <= 0 || fbLength > offset + metaLength - fbStart) {
            throw new IllegalArgumentException("message length " + fbLength + " does not fit in its "
                    + metaLength + "-byte metadata block");
        }
        ByteBuffer bytes = m.bytes(fbStart, fbLength);
        Message message = Message.getRootAsMessage(bytes);
        byte expected = dictionary ? MessageHeader.DictionaryBatch : MessageHeader.RecordBatch;
        if (message.headerType() != expected) {
            throw new IllegalArgumentException("expected a " + (dictionary ? "dictionary" : "record") + " batch message,"
                    + " found message type " + message.headerType());
        }
        RecordBatch rb;
        if (dictionary) {
            DictionaryBatch d = (DictionaryBatch)
                    message.header(new DictionaryBatch());
            rb = d == null ? null : d.data();
        } else {
            rb = (RecordBatch) message.header(new RecordBatch());
        }
        if (rb == null) {
            throw new IllegalArgumentException("record batch message without a header");
        }
        if (message.bodyLength() < 0 || message.bodyLength() > bodyLength) {
            throw new IllegalArgumentException("message body of " + message.bodyLength()
                    + " bytes is longer than its block's " + bodyLength + " bytes");
        }
        return rb;
    }

    private static BatchPlan plan(ArrowBlock block, RecordBatch rb) {
        long rows = rb.length();
        if (rows < 0 || rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("row count " + rows + " is outside 0.." + Integer.MAX_VALUE);
        }
        long bodyLength = block.getBodyLength();
        int nodeCount = rb.nodesLength();
        long[] nodes = new long[2 * nodeCount];
        FieldNode node = new FieldNode();
        for (int i = 0; i < nodeCount; i++) {
            rb.nodes(node, i);
            if (node.length() < 0 || node.length() > Integer.MAX_VALUE || node.nullCount() < 0
                    || node.nullCount() > node.length()) {
                // checked here: Arrow's reader refuses these only after allocating the body, which it then leaks
                throw new IllegalArgumentException("field node " + i + " has length " + node.length()
                        + " and null count " + node.nullCount());
            }
            nodes[2 * i] = node.length();
            nodes[2 * i + 1] = node.nullCount();
        }
        int bufferCount = rb.buffersLength();
        long[] buffers = new long[2 * bufferCount];
        Buffer buffer = new Buffer();
        for (int i = 0; i < bufferCount; i++) {
            rb.buffers(buffer, i);
            long off = buffer.offset();
            long len = buffer.length();
            if (off < 0 || len < 0 || off > bodyLength || len > bodyLength - off) {
                throw new IllegalArgumentException("buffer " + i + " [" + off + ", +" + len
                        + ") lies outside the " + bodyLength + "-byte batch body");
            }
            buffers[2 * i] = off;
            buffers[2 * i + 1] = len;
        }
        return new BatchPlan(block.getOffset() + block.getMetadataLength(), bodyLength, (int) rows, nodes, buffers);
    }
}
