package io.numarrow.io;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.BufferLayout;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where every byte of an Arrow IPC output goes, fixed before its first batch is computed: an input
 * file's batches (known from its footer, {@link IpcFileLayout}) each followed by the fixed-size
 * buffers of the columns a job appends. A batch's body is the input batch's body, byte for byte at
 * the same offsets (so its field nodes and buffers are the input's, and the kernel can copy it file
 * to file), then the appended columns' buffers, each starting on a 64-byte boundary of the file so
 * that the kernels' vector stores never straddle a cache line. The metadata of each batch is padded
 * (inside its length, as the format allows) so that its body starts on such a boundary too, and,
 * when the input's body is kept and lies on such a boundary, at the input body's place within a
 * 4 KiB page: the kept body's whole pages then line up with the input's mapped pages, which
 * {@code O_DIRECT} can write from (at most 4 KiB more metadata a batch).
 *
 * <p>The file is still a valid Arrow IPC stream after its magic: messages follow each other with
 * no gap, the padding belonging to each message's metadata or body.
 */
final class IpcOutputPlan {
    /** The page, for the kept input body's place within one. */
    private static final long PAGE = 4096;
    /** The appended buffers' alignment in the file: a cache line. */
    static final long ALIGNMENT = 64;
    private static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    /** Continuation marker and metadata length before each message's flatbuffer. */
    private static final int PREFIX = 8;
    private static final int END_OF_STREAM = 8;

    /**
     * One output batch.
     *
     * @param rows            rows in the batch
     * @param blockOffset     where its message starts in the output
     * @param metadataLength  prefix, flatbuffer and padding: the body starts at {@code blockOffset + metadataLength}
     * @param flatbufferBytes the flatbuffer's own length within the metadata
     * @param bodyLength      the body, padded to 8 bytes
     * @param inputOffset     where the input batch's body starts in the input file
     * @param inputLength     the input body's bytes copied to the start of this body; 0 when input columns are dropped
     * @param inputNodes      the input batch's field nodes (length, null count), flattened; empty when dropped
     * @param inputBuffers    the input batch's buffers (offset in body, length), flattened; empty when dropped
     * @param appendedNodes   the appended columns' field node lengths
     * @param appendedBuffers the appended columns' buffers (offset in body, length), flattened
     * @param appendedValidity per appended buffer: the values its validity bitmap covers, -1 for a buffer of another kind
     */
    record Batch(int rows, long blockOffset, int metadataLength, int flatbufferBytes, long bodyLength,
                 long inputOffset, long inputLength, long[] inputNodes, long[] inputBuffers,
                 long[] appendedNodes, long[] appendedBuffers, long[] appendedValidity) {
        long bodyOffset() {
            return blockOffset + metadataLength;
        }

        long end() {
            return bodyOffset() + bodyLength;
        }

        /** The appended buffers' span in the body: from the first one's start to the last one's end. */
        long appendedStart() {
            return appendedBuffers.length == 0 ? inputLength : appendedBuffers[0];
        }

        long appendedEnd() {
            int n = appendedBuffers.length;
            return n == 0 ? appendedStart() : appendedBuffers[n - 2] + appendedBuffers[n - 1];
        }

        /**
         * The record batch message's flatbuffer with the appended columns' null counts.
         *
         * @param appendedNullCounts one per appended node
         */
        ByteBuffer message(long[] appendedNullCounts) {
            return recordBatchMessage(rows, inputNodes, appendedNodes, appendedNullCounts, inputBuffers, appendedBuffers,
                    bodyLength);
        }
    }

    private final Schema schema;
    private final byte[] header;
    private final List<Batch> batches;
    private final long footerOffset;
    private final byte[] footer;

    private IpcOutputPlan(Schema schema, byte[] header, List<Batch> batches, long footerOffset, byte[] footer) {
        this.schema = schema;
        this.header = header;
        this.batches = batches;
        this.footerOffset = footerOffset;
        this.footer = footer;
    }

    /**
     * Lays out the output of {@code schema}: the input's batches ({@code input}) with the last
     * {@code appended} fields of {@code schema} added, and the input's columns kept ahead of them
     * when {@code keepInput}.
     *
     * @throws IllegalArgumentException when an appended column is not fixed-size (offsets, views, unions)
     */
    static IpcOutputPlan of(Schema schema, int appended, boolean keepInput, List<IpcFileLayout.BatchPlan> input) {
        List<Field> fields = schema.getFields();
        List<Field> added = fields.subList(fields.size() - appended, fields.size());
        byte[] header = header(schema);
        List<Batch> batches = new ArrayList<>(input.size());
        long at = header.length;
        for (IpcFileLayout.BatchPlan in : input) {
            Batch b = place(at, in, added, keepInput);
            batches.add(b);
            at = b.end();
        }
        List<ArrowBlock> blocks = new ArrayList<>(batches.size());
        for (Batch b : batches) {
            blocks.add(new ArrowBlock(b.blockOffset(), b.metadataLength(), b.bodyLength()));
        }
        ByteBuffer footer = WriteChannel.serialize(new ArrowFooter(schema, List.of(), blocks));
        byte[] bytes = new byte[footer.remaining()];
        footer.get(bytes);
        return new IpcOutputPlan(schema, header, List.copyOf(batches), at + END_OF_STREAM, bytes);
    }

    private static Batch place(long blockOffset, IpcFileLayout.BatchPlan in, List<Field> added, boolean keepInput) {
        int rows = in.rows();
        List<Long> nodes = new ArrayList<>();
        List<Long> lengths = new ArrayList<>();
        List<Long> validity = new ArrayList<>();
        for (Field f : added) {
            lengthsOf(f, rows, nodes, lengths, validity);
        }
        long inputLength = keepInput ? in.bodyLength() : 0;
        long[] appendedBuffers = new long[2 * lengths.size()];
        long offset = align(inputLength, ALIGNMENT);
        for (int i = 0; i < lengths.size(); i++) {
            appendedBuffers[2 * i] = offset;
            appendedBuffers[2 * i + 1] = lengths.get(i);
            offset = align(offset + lengths.get(i), ALIGNMENT);
        }
        long bodyEnd = lengths.isEmpty() ? inputLength : appendedBuffers[appendedBuffers.length - 2] + lengths.getLast();
        long bodyLength = align(bodyEnd, 8);
        long[] appendedNodes = nodes.stream().mapToLong(Long::longValue).toArray();
        long[] inputNodes = keepInput ? in.nodes() : new long[0];
        long[] inputBuffers = keepInput ? in.buffers() : new long[0];
        int fb = recordBatchMessage(rows, inputNodes, appendedNodes, new long[appendedNodes.length], inputBuffers,
                appendedBuffers, bodyLength).remaining();
        long bodyOffset = align(blockOffset + PREFIX + fb, ALIGNMENT);
        if (inputLength > 0 && in.bodyOffset() % ALIGNMENT == 0) {
            // the kept body at its input's place within a page: its whole pages can go to the device from the input's mapping (O_DIRECT)
            bodyOffset += Math.floorMod(in.bodyOffset() - bodyOffset, PAGE);
        }
        return new Batch(rows, blockOffset, Math.toIntExact(bodyOffset - blockOffset), fb, bodyLength,
                in.bodyOffset(), inputLength, inputNodes, inputBuffers, appendedNodes, appendedBuffers,
                validity.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * The field nodes' lengths and the buffers' byte lengths of a fixed-size column of {@code length}
     * values, and for each buffer the values its validity bitmap covers (-1: not a bitmap).
     */
    private static void lengthsOf(Field field, long length, List<Long> nodes, List<Long> buffers, List<Long> validity) {
        ArrowType type = field.getType() instanceof ArrowType.ExtensionType ext ? ext.storageType() : field.getType();
        nodes.add(length);
        for (BufferLayout layout : TypeLayout.getTypeLayout(type).getBufferLayouts()) {
            int bits = layout.getTypeBitWidth();
            switch (layout.getType()) {
                case VALIDITY -> {
                    buffers.add((length + 7) / 8);
                    validity.add(length);
                }
                case DATA -> {
                    buffers.add(bits == 1 ? (length + 7) / 8 : length * (bits / 8));
                    validity.add(-1L);
                }
                default -> throw new IllegalArgumentException("column '" + field.getName() + "' (" + type
                        + ") is not fixed-size: its layout cannot be planned before it is computed");
            }
        }
        long childLength = switch (type.getTypeID()) {
            case FixedSizeList -> length * ((ArrowType.FixedSizeList) type).getListSize();
            case Struct -> length;
            default -> {
                if (!field.getChildren().isEmpty()) {
                    throw new IllegalArgumentException("column '" + field.getName() + "' (" + type
                            + ") is not fixed-size: its layout cannot be planned before it is computed");
                }
                yield 0;
            }
        };
        for (Field child : field.getChildren()) {
            lengthsOf(child, childLength, nodes, buffers, validity);
        }
    }

    /** The magic, its padding and the schema message, as Arrow Java's file writer starts a file. */
    private static byte[] header(Schema schema) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (WriteChannel out = new WriteChannel(Channels.newChannel(bytes))) {
            out.write(MAGIC);
            out.align();
            MessageSerializer.serialize(out, schema, IpcOption.DEFAULT);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    /** A record batch message: the nodes and buffers of the input's columns, then the appended ones. */
    static ByteBuffer recordBatchMessage(int rows, long[] inputNodes, long[] appendedNodes, long[] appendedNullCounts,
                                         long[] inputBuffers, long[] appendedBuffers, long bodyLength) {
        FlatBufferBuilder fb = new FlatBufferBuilder(256);
        int nodeCount = inputNodes.length / 2 + appendedNodes.length;
        RecordBatch.startNodesVector(fb, nodeCount);
        for (int i = appendedNodes.length - 1; i >= 0; i--) { // flatbuffers build vectors back to front
            FieldNode.createFieldNode(fb, appendedNodes[i], appendedNullCounts[i]);
        }
        for (int i = inputNodes.length / 2 - 1; i >= 0; i--) {
            FieldNode.createFieldNode(fb, inputNodes[2 * i], inputNodes[2 * i + 1]);
        }
        int nodes = fb.endVector();
        RecordBatch.startBuffersVector(fb, (inputBuffers.length + appendedBuffers.length) / 2);
        for (int i = appendedBuffers.length / 2 - 1; i >= 0; i--) {
            Buffer.createBuffer(fb, appendedBuffers[2 * i], appendedBuffers[2 * i + 1]);
        }
        for (int i = inputBuffers.length / 2 - 1; i >= 0; i--) {
            Buffer.createBuffer(fb, inputBuffers[2 * i], inputBuffers[2 * i + 1]);
        }
        int buffers = fb.endVector();
        RecordBatch.startRecordBatch(fb);
        RecordBatch.addLength(fb, rows);
        RecordBatch.addNodes(fb, nodes);
        RecordBatch.addBuffers(fb, buffers);
        int batch = RecordBatch.endRecordBatch(fb);
        return MessageSerializer.serializeMessage(fb, MessageHeader.RecordBatch, batch, bodyLength, IpcOption.DEFAULT);
    }

    static long align(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    Schema schema() {
        return schema;
    }

    /** The magic and the schema message, at offset 0. */
    byte[] header() {
        return header;
    }

    List<Batch> batches() {
        return batches;
    }

    /** Where the end-of-stream marker lies: after the last batch. */
    long endOfStreamOffset() {
        return footerOffset - END_OF_STREAM;
    }

    long footerOffset() {
        return footerOffset;
    }

    byte[] footer() {
        return footer;
    }

    /** The whole file: footer, its length and the closing magic included. */
    long size() {
        return footerOffset + footer.length + 4 + MAGIC.length;
    }
}
