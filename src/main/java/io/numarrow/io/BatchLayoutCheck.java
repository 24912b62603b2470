package io.numarrow.io;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.arrow.vector.BufferLayout;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Checks one record batch's field nodes and buffers against the schema before Arrow sees them:
 * each buffer must be long enough for its node's length (validity bits, fixed-width values,
 * offsets), offsets must point inside their data or child, and the counts must add up. Kernels
 * read tensor data straight from the mapping, so a short buffer must fail here, not later.
 */
final class BatchLayoutCheck {
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A layout this reader does not check: the file is read by Arrow's own reader instead. */
    private static final class Unsupported extends RuntimeException {
        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    private final FileMapping mapping;
    private final IpcFileLayout.BatchPlan plan;
    private int node;
    private int buffer;

    private BatchLayoutCheck(FileMapping mapping, IpcFileLayout.BatchPlan plan) {
        this.mapping = mapping;
        this.plan = plan;
    }

    /**
     * Returns null when the batch is sound, or why the file needs the ordinary reader.
     *
     * @throws IllegalArgumentException saying what is corrupt
     */
    static String check(FileMapping mapping, Schema schema, IpcFileLayout.BatchPlan plan) {
        BatchLayoutCheck c = new BatchLayoutCheck(mapping, plan);
        try {
            for (Field f : schema.getFields()) {
                long length = c.field(f, f.getName());
                if (length < plan.rows()) {
                    throw new IllegalArgumentException("column '" + f.getName() + "' has " + length
                            + " values but the batch has " + plan.rows() + " rows");
                }
            }
        } catch (Unsupported u) {
            return u.getMessage();
        }
        if (c.node != plan.nodes().length / 2 || c.buffer != plan.buffers().length / 2) {
            throw new IllegalArgumentException("the batch has " + plan.nodes().length / 2 + " field nodes and "
                    + plan.buffers().length / 2 + " buffers, the schema needs " + c.node + " and " + c.buffer);
        }
        return null;
    }

    /** Checks {@code field} and its children; returns its length. */
    private long field(Field field, String path) {
        ArrowType type = field.getType();
        if (type instanceof ArrowType.ExtensionType ext) {
            type = ext.storageType();
        }
        switch (type.getTypeID()) {
            case Union, RunEndEncoded, ListView, LargeListView, Utf8View, BinaryView ->
                    throw new Unsupported("column '" + path + "' has type " + type + ", read by Arrow's own reader");
            default -> { }
        }
        if (node >= plan.nodes().length / 2) {
            throw new IllegalArgumentException("no field node for column '" + path + "'");
        }
        long length = plan.nodes()[2 * node];
        long nulls = plan.nodes()[2 * node + 1];
        node++;
        if (length < 0 || length > Integer.MAX_VALUE || nulls < 0 || nulls > length) {
            throw new IllegalArgumentException("column '" + path + "': length " + length + " with " + nulls
                    + " nulls is impossible");
        }
        long lastOffset = -1;
        long dataLength = -1;
        List<BufferLayout> layouts = TypeLayout.getTypeLayout(type).getBufferLayouts();
        // variable-width data is as long as its offsets say, checked after the loop
        boolean hasOffsets = layouts.stream().anyMatch(l -> l.getType() == BufferLayout.BufferType.OFFSET);
        for (BufferLayout layout : layouts) {
            if (buffer >= plan.buffers().length / 2) {
                throw new IllegalArgumentException("column '" + path + "' is missing its "
                        + layout.getType().getName() + " buffer");
            }
            long offset = plan.buffers()[2 * buffer];
            long bytes = plan.buffers()[2 * buffer + 1];
            buffer++;
            int bits = layout.getTypeBitWidth();
            switch (layout.getType()) {
                case VALIDITY -> {
                    if (bytes == 0 && nulls > 0 && nulls < length) {
                        throw new IllegalArgumentException("column '" + path + "' has " + nulls
                                + " nulls but no validity buffer");
                    }
                    if (bytes > 0) {
                        need(path, "validity", bytes, (length + 7) / 8);
                    }
                }
                case DATA -> {
                    if (!hasOffsets) {
                        need(path, "data", bytes, bits == 1 ? (length + 7) / 8 : length * (bits / 8));
                    }
                    dataLength = bytes;
                }
                case OFFSET -> {
                    if (length > 0) {
                        int width = bits / 8;
                        need(path, "offsets", bytes, (length + 1) * width);
                        long at = plan.bodyOffset() + offset;
                        long first = width == 4 ? mapping.segment().get(INT_LE, at) : mapping.segment().get(LONG_LE, at);
                        long last = width == 4 ? mapping.segment().get(INT_LE, at + length * width)
                                : mapping.segment().get(LONG_LE, at + length * width);
                        if (first < 0 || last < first) {
                            throw new IllegalArgumentException("column '" + path + "': offsets run from " + first
                                    + " to " + last);
                        }
                        lastOffset = last;
                    } else {
                        lastOffset = 0;
                    }
                }
                default -> throw new Unsupported("column '" + path + "' has " + layout.getType().getName()
                        + " buffers, read by Arrow's own reader");
            }
        }
        if (lastOffset >= 0 && dataLength >= 0 && lastOffset > dataLength) {
            throw new IllegalArgumentException("column '" + path + "': offsets reach byte " + lastOffset
                    + " of a " + dataLength + "-byte data buffer");
        }
        List<Field> children = field.getChildren();
        long childNeeds = switch (type.getTypeID()) {
            case List, LargeList, Map -> Math.max(lastOffset, 0);
            case FixedSizeList -> length * ((ArrowType.FixedSizeList) type).getListSize();
            case Struct -> length;
            default -> 0;
        };
        for (Field child : children) {
            String childPath = path + "." + child.getName();
            long childLength = field(child, childPath);
            if (childLength < childNeeds) {
                throw new IllegalArgumentException("column '" + childPath + "' has " + childLength
                        + " values, its parent needs " + childNeeds);
            }
        }
        return length;
    }

    private static void need(String path, String what, long have, long need) {
        if (have < need) {
            throw new IllegalArgumentException("column '" + path + "': " + what + " buffer of " + have
                    + " bytes, " + need + " needed");
        }
    }
}
