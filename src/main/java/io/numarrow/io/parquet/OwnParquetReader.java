package io.numarrow.io.parquet;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * numarrow's own Parquet reader, for the files {@link OwnParquetPlan} accepts: batches of
 * {@code batchRows} rows (the last one shorter) across row groups and files, each decoded into
 * freshly allocated Arrow buffers (a batch handed on keeps its own), the features column as
 * {@code FixedSizeList<float32>[d]} and the other columns as their Arrow types, as DuckDB's reader
 * gives them. A corrupt page is bad input naming the file; a row of another length than d throws
 * {@link RowLengthException} for the caller to name.
 */
final class OwnParquetReader extends ArrowReader {
    private final OwnParquetPlan plan;
    private final int batchRows;
    private final BufferAllocator allocator;
    private final Object[] decoders;
    private int file = -1;
    private int group;
    private long groupRowsLeft;
    private long fileRow;
    /** Rows of the files before the current one, so a row of the current file is also counted from the plan's first. */
    private long rowsBeforeFile;
    private long bytesRead;
    /**
     * With buffers reused: the last batch's value and validity buffers by their place in it, one
     * reference each, decoded into again by the next batch; null when each batch gets fresh ones.
     */
    private final List<ArrowBuf> kept;

    OwnParquetReader(OwnParquetPlan plan, int batchRows, BufferAllocator allocator) {
        this(plan, batchRows, allocator, false);
    }

    /**
     * @param reuseBuffers decode each batch into the last one's buffers (no allocation and no fresh pages
     *                     per batch), for a caller done with a batch before it loads the next
     */
    OwnParquetReader(OwnParquetPlan plan, int batchRows, BufferAllocator allocator, boolean reuseBuffers) {
        super(allocator);
        this.kept = reuseBuffers ? new ArrayList<>() : null;
        this.plan = plan;
        this.batchRows = batchRows;
        this.allocator = allocator;
        this.decoders = new Object[plan.columns().size()];
        for (int c = 0; c < decoders.length; c++) {
            OwnParquetPlan.Column col = plan.columns().get(c);
            decoders[c] = col.width() < 0 ? new FeatureColumn(plan.d(), col.maxDef(), col.listDef())
                    : new FlatColumn(col.width(), col.maxDef());
        }
    }

    @Override
    protected Schema readSchema() {
        return plan.schema();
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        prepareLoadNextBatch();
        try {
            return decodeBatch();
        } catch (CorruptParquetException | UnsupportedParquetException | IndexOutOfBoundsException e) {
            String name = plan.files().get(Math.max(file, 0)).toString();
            throw new BadInputException(name + ": corrupt Parquet file (" + e.getMessage() + ")", e);
        }
    }

    private boolean decodeBatch() throws IOException {
        int rows = batchRows;
        int d = plan.d();
        List<ArrowBuf> buffers = new ArrayList<>();
        try {
            MemorySegment[][] out = new MemorySegment[decoders.length][];
            for (int c = 0; c < decoders.length; c++) {
                if (decoders[c] instanceof FeatureColumn f) {
                    out[c] = new MemorySegment[] {bits(buffers, rows), bits(buffers, (long) rows * d),
                            segment(buffers, (long) rows * d * Float.BYTES)};
                    f.nullRows = 0;
                    f.nullValues = 0;
                } else {
                    FlatColumn flat = (FlatColumn) decoders[c];
                    flat.startBatch(rows);
                    out[c] = new MemorySegment[] {bits(buffers, rows), flat.width > 0 ? segment(buffers, (long) rows * flat.width) : null};
                }
            }
            int filled = 0;
            while (filled < rows) {
                if (groupRowsLeft == 0 && !nextGroup()) {
                    break;
                }
                int n = (int) Math.min(rows - filled, groupRowsLeft);
                for (int c = 0; c < decoders.length; c++) {
                    int got = decoders[c] instanceof FeatureColumn f ? f.fill(n, filled, out[c][2], out[c][0], out[c][1])
                            : ((FlatColumn) decoders[c]).fill(n, filled, out[c][1], out[c][0]);
                    if (got != n) {
                        throw new CorruptParquetException("column '" + plan.columns().get(c).name() + "' ends " + (n - got)
                                + " rows before its row group's " + plan.footers().get(file).rowGroups().get(group - 1).rows());
                    }
                }
                filled += n;
                groupRowsLeft -= n;
                fileRow += n;
            }
            if (filled == 0) {
                buffers.forEach(ArrowBuf::close);
                buffers.clear();
                return false;
            }
            List<ArrowFieldNode> nodes = new ArrayList<>();
            List<ArrowBuf> ordered = new ArrayList<>();
            int b = 0;
            for (int c = 0; c < decoders.length; c++) {
                if (decoders[c] instanceof FeatureColumn f) {
                    nodes.add(new ArrowFieldNode(filled, f.nullRows));
                    nodes.add(new ArrowFieldNode((long) filled * d, f.nullValues));
                    ordered.add(buffers.get(b++));
                    ordered.add(buffers.get(b++));
                    ordered.add(buffers.get(b++));
                } else {
                    FlatColumn flat = (FlatColumn) decoders[c];
                    nodes.add(new ArrowFieldNode(filled, flat.nulls));
                    ordered.add(buffers.get(b++));
                    if (flat.width > 0) {
                        ordered.add(buffers.get(b++));
                    } else {
                        ArrowBuf offsets = allocator.buffer(4L * (filled + 1));
                        buffers.add(offsets);
                        MemorySegment.copy(flat.offsets, 0, address(offsets), java.lang.foreign.ValueLayout.JAVA_INT, 0, filled + 1);
                        ArrowBuf data = allocator.buffer(Math.max(flat.byteCount, 1));
                        buffers.add(data);
                        MemorySegment.copy(flat.bytes, 0, address(data), java.lang.foreign.ValueLayout.JAVA_BYTE, 0, flat.byteCount);
                        ordered.add(offsets);
                        ordered.add(data);
                    }
                }
            }
            try (ArrowRecordBatch batch = new ArrowRecordBatch(filled, nodes, ordered)) {
                new org.apache.arrow.vector.VectorLoader(getVectorSchemaRoot()).load(batch);
            }
            for (ArrowBuf buf : buffers) {
                bytesRead += buf.capacity();
            }
            return true;
        } finally {
            buffers.forEach(ArrowBuf::close); // the loaded vectors hold their own references
        }
    }

    /** Moves to the next row group (and file); false at the end of the input. */
    private boolean nextGroup() {
        while (true) {
            if (file >= 0 && group < plan.footers().get(file).rowGroups().size()) {
                ParquetFooter.RowGroup g = plan.footers().get(file).rowGroups().get(group++);
                if (g.rows() == 0) {
                    continue;
                }
                MemorySegment m = plan.mapped().get(file);
                String name = plan.files().get(file).toString();
                for (int c = 0; c < decoders.length; c++) {
                    OwnParquetPlan.Column col = plan.columns().get(c);
                    ParquetFooter.Chunk chunk = g.chunks().get(col.leaf());
                    if (decoders[c] instanceof FeatureColumn f) {
                        f.startChunk(new ColumnPages(m, chunk, 1, col.maxDef(), 4), name, fileRow);
                    } else {
                        FlatColumn flat = (FlatColumn) decoders[c];
                        flat.startChunk(new ColumnPages(m, chunk, 0, col.maxDef(), flat.width));
                    }
                }
                groupRowsLeft = g.rows();
                return true;
            }
            if (++file >= plan.files().size()) {
                file = plan.files().size() - 1;
                group = Integer.MAX_VALUE;
                return false;
            }
            group = 0;
            rowsBeforeFile += fileRow;
            fileRow = 0;
        }
    }

    private MemorySegment bits(List<ArrowBuf> buffers, long count) {
        MemorySegment s = segment(buffers, (count + 7) >>> 3);
        s.fill((byte) 0xff);
        return s;
    }

    private MemorySegment segment(List<ArrowBuf> buffers, long bytes) {
        long size = Math.max(bytes, 1);
        int slot = buffers.size();
        ArrowBuf buf;
        if (kept != null && slot < kept.size() && kept.get(slot).capacity() >= size) {
            buf = kept.get(slot);
            buf.getReferenceManager().retain(); // the batch's own reference, closed as a fresh buffer's is
        } else {
            buf = allocator.buffer(size);
            if (kept != null) {
                buf.getReferenceManager().retain();
                if (slot < kept.size()) {
                    kept.set(slot, buf).close();
                } else {
                    kept.add(buf);
                }
            }
        }
        buffers.add(buf);
        return address(buf).asSlice(0, bytes);
    }

    private static MemorySegment address(ArrowBuf buf) {
        return MemorySegment.ofAddress(buf.memoryAddress()).reinterpret(buf.capacity());
    }

    /** Rows of the plan's files before the current one (a {@link RowLengthException}'s row is within the current file). */
    long rowsBeforeFile() {
        return rowsBeforeFile;
    }

    @Override
    public long bytesRead() {
        return bytesRead;
    }

    @Override
    protected void closeReadSource() {
        if (kept != null) {
            kept.forEach(ArrowBuf::close);
            kept.clear();
        }
        plan.arena().close();
    }
}
