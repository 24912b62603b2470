package io.numarrow.io;

import io.numarrow.BadInputException;
import io.numarrow.numa.LinuxMemory;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an Arrow IPC file without copying it: the file is memory-mapped once, and each record
 * batch's buffers are Arrow buffers over the mapping (one {@code ForeignAllocation} per batch
 * body), so loading a batch costs a few small objects whatever its size. Files of any size work
 * (offsets are 64-bit). The mapping is unmapped when the reader and every buffer taken from it
 * are closed.
 *
 * <p>The footer, every message and every buffer are checked against the file before use
 * ({@link IpcFileLayout}): a truncated or corrupt file is a {@link BadInputException}, never a read
 * outside the mapping. The mapping is private copy-on-write, so writing into a loaded vector is
 * allowed and leaves the file alone.
 *
 * <p>The bytes of a loaded batch count towards the allocator's accounting (Arrow counts foreign
 * memory too) while the batch is loaded; nothing is allocated for them. One exception is Arrow's,
 * not this reader's: for a column with no nulls whose writer left out the validity bitmap
 * (pyarrow does; Arrow Java and numarrow write it), Arrow's vectors allocate an all-valid bitmap
 * of one bit per value when the batch loads.
 *
 * <p>The file must not change while it is mapped: pages past a new, shorter end cannot be read. Each
 * batch load compares the file's size and modification time with those at open and throws
 * "input file changed while being read" (a {@link BadInputException}) when they differ; a fault
 * inside a batch that was already loaded comes as an {@link InternalError}, which callers turn into
 * the same error with {@link #snapshot()}{@code .explain(e)}. A file replaced by a rename is no
 * change: the mapping holds the old one.
 */
public final class MappedArrowFileReader extends ArrowReader {
    private static final Logger LOG = LoggerFactory.getLogger(MappedArrowFileReader.class);

    private final FileMapping mapping;
    private final IpcFileLayout layout;
    private int nextBatch;
    private long bytesRead;
    private boolean sourceClosed;

    private MappedArrowFileReader(FileMapping mapping, IpcFileLayout layout, BufferAllocator allocator) {
        super(allocator);
        this.mapping = mapping;
        this.layout = layout;
    }

    /**
     * Opens {@code file} (already checked to be a complete Arrow IPC file of {@code size} bytes):
     * a mapped reader, or Arrow's own {@link ArrowFileReader} for files it does not read in place
     * (compressed, dictionary-encoded, big-endian), with a note in the log. The totals come from the checked
     * footer, which the mapping lets us read without Arrow's reader.
     */
    static ArrowFiles.Opened open(Path file, long size, BufferAllocator allocator) {
        FileMapping mapping;
        try {
            mapping = FileMapping.map(file, size);
        } catch (FileMapping.Unavailable e) {
            LOG.info("{}; read by Arrow's ordinary reader (copying) instead", e.getMessage());
            return new ArrowFiles.Opened(ordinaryReader(file, allocator, IpcFileLayout.footerSaysBigEndian(file, size)),
                    new BatchSource.Totals(-1, -1, size), null);
        }
        IpcFileLayout layout;
        try {
            layout = IpcFileLayout.parse(mapping);
        } catch (RuntimeException e) {
            mapping.release();
            throw e;
        }
        BatchSource.Totals totals = layout.totals(size);
        if (layout.ordinaryReaderReason() != null) {
            mapping.release();
            LOG.info("{}: read by Arrow's ordinary reader (copying), because {}", file, layout.ordinaryReaderReason());
            return new ArrowFiles.Opened(ordinaryReader(file, allocator, layout.bigEndian()), totals, null);
        }
        LOG.debug("{}: {} record batches, read in place from the mapping", file, layout.batches().size());
        return new ArrowFiles.Opened(new MappedArrowFileReader(mapping, layout, allocator), totals, mapping.snapshot());
    }

    /**
     * Opens {@code file} for reading in place.
     *
     * @throws BadInputException when the file is missing, corrupt, or needs Arrow's ordinary reader
     */
    public static MappedArrowFileReader openMapped(Path file, BufferAllocator allocator) {
        ArrowFiles.IpcFormat format = ArrowFiles.checkIpcFile(file);
        if (format != ArrowFiles.IpcFormat.FILE) {
            throw new BadInputException(file + ": an Arrow stream, not a file; only files can be read in place");
        }
        ArrowReader r = open(file, sizeOf(file), allocator).reader();
        if (r instanceof MappedArrowFileReader m) {
            return m;
        }
        closeQuietly(r);
        throw new BadInputException(file + ": cannot be read in place (compressed, dictionary-encoded, big-endian or not mappable; the log says which)");
    }

    static ArrowReader ordinaryReader(Path file, BufferAllocator allocator, boolean bigEndian) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            return new CheckedReaders.File(file, channel, allocator, bigEndian);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot open (" + e.getMessage() + ")", e);
        }
    }

    static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static void closeQuietly(ArrowReader r) {
        try {
            r.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing reader", e);
        }
    }

    public Path file() {
        return mapping.file();
    }

    /** The file as it was when mapped: to check it between batches, or to explain a fault. */
    public FileSnapshot snapshot() {
        return mapping.snapshot();
    }

    /** The checked footer and batches. */
    IpcFileLayout layout() {
        return layout;
    }

    /** The mapping the batches' buffers are views of. */
    FileMapping mapping() {
        return mapping;
    }

    public int getRecordBatchCount() {
        return layout.batches().size();
    }

    @Override
    protected Schema readSchema() {
        return layout.schema();
    }

    @Override
    public boolean loadNextBatch() throws IOException {
        prepareLoadNextBatch();
        if (nextBatch >= layout.batches().size()) {
            return false;
        }
        loadBatch(nextBatch++);
        return true;
    }

    /** Loads batch {@code index} (0-based) into the schema root; later {@link #loadNextBatch} calls go on from it. */
    public void loadRecordBatch(int index) throws IOException {
        Objects.checkIndex(index, layout.batches().size());
        prepareLoadNextBatch();
        loadBatch(index);
        nextBatch = index + 1;
    }

    private void loadBatch(int index) {
        if (sourceClosed) {
            throw new IllegalStateException(mapping.file() + ": reader is closed");
        }
        mapping.snapshot().checkUnchanged();
        IpcFileLayout.BatchPlan plan = layout.batches().get(index);
        loadRecordBatch(recordBatch(plan));
        bytesRead += plan.bodyLength();
    }

    /** The batch's buffers as slices of one Arrow buffer over its body in the mapping. */
    private ArrowRecordBatch recordBatch(IpcFileLayout.BatchPlan plan) {
        MappedRegion region = MappedRegion.of(mapping, plan.bodyOffset(), plan.bodyLength());
        ArrowBuf body;
        try {
            body = allocator.wrapForeignAllocation(region);
        } catch (RuntimeException e) { // OutOfMemoryException past the limit included
            region.release();
            throw e;
        }
        try {
            long[] n = plan.nodes();
            List<ArrowFieldNode> nodes = new ArrayList<>(n.length / 2);
            for (int i = 0; i < n.length; i += 2) {
                nodes.add(new ArrowFieldNode(n[i], n[i + 1]));
            }
            long[] b = plan.buffers();
            List<ArrowBuf> buffers = new ArrayList<>(b.length / 2);
            for (int i = 0; i < b.length; i += 2) {
                buffers.add(body.slice(b[i], b[i + 1]));
            }
            return new ArrowRecordBatch(plan.rows(), nodes, buffers, NoCompressionCodec.DEFAULT_BODY_COMPRESSION,
                    false, true);
        } finally {
            body.close(); // the batch's buffers hold their own references now
        }
    }

    /**
     * Asks the kernel to bring batch {@code index}'s pages in now and map them
     * ({@code MADV_POPULATE_READ}; {@code MADV_WILLNEED}, read-ahead only, on kernels before 5.14),
     * so that a pipeline reading one batch ahead takes the disk reads and page faults off the
     * thread that computes on it. Only a hint: returns false when the kernel took neither.
     */
    public boolean prefetch(int index) {
        IpcFileLayout.BatchPlan plan = layout.batches().get(index);
        if (sourceClosed || plan.bodyLength() == 0) {
            return false;
        }
        long start = mapping.address() + plan.bodyOffset();
        long aligned = start & -LinuxMemory.PAGE_SIZE;
        long length = plan.bodyLength() + (start - aligned);
        return LinuxMemory.advise(aligned, length, LinuxMemory.MADV_POPULATE_READ)
                || LinuxMemory.advise(aligned, length, LinuxMemory.MADV_WILLNEED);
    }

    /**
     * Unmaps batch {@code index}'s pages from this process ({@code MADV_DONTNEED}): the page cache
     * keeps them and a later read maps them again, so the process's resident size stops growing with
     * the file. Its last page, shared with the next batch's bytes, stays; the pages before its body,
     * into which the kernel's fault-around mapped more as this batch was read, go too (a neighbour
     * still in use only faults them in again). For a pipeline that is done with the batch: call it
     * only once no buffer of that batch is used any more, and never for a batch something wrote into
     * (this private mapping would forget the writes).
     */
    public void releasePages(int index) {
        IpcFileLayout.BatchPlan plan = layout.batches().get(index);
        if (sourceClosed) {
            return;
        }
        long page = LinuxMemory.PAGE_SIZE;
        long start = plan.bodyOffset();
        long first = mapping.address() + (Math.max(0, (start & -page) - FileMapping.FAULT_AROUND));
        long end = (mapping.address() + start + plan.bodyLength()) & -page;
        if (end > first) {
            LinuxMemory.advise(first, end - first, LinuxMemory.MADV_DONTNEED);
        }
    }

    @Override
    public long bytesRead() {
        return bytesRead;
    }

    @Override
    protected void closeReadSource() {
        if (!sourceClosed) {
            sourceClosed = true;
            mapping.release();
        }
    }

    /** Whether the file is still mapped (by this reader or by buffers taken from it). */
    boolean isMapped() {
        return mapping.isMapped();
    }
}
