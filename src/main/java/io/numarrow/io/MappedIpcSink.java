package io.numarrow.io;

import io.numarrow.Settings;
import io.numarrow.numa.LinuxMemory;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Arrow IPC output computed in place: a job whose input is a mapped Arrow IPC file knows the
 * whole output's layout before its first batch ({@link IpcOutputPlan}), so the temporary file is
 * sized once (its blocks reserved: a full disk fails here, never under the kernels) and every byte
 * has its place before it is computed. Each batch's appended columns are Arrow vectors
 * ({@link #columns}) over one of two buffers of the sink's, reused batch after batch, and
 * {@link #finish} writes them to their place ({@code pwrite}), puts the batch's metadata in place,
 * writes the input's kept columns from the input's mapping ({@code pwrite}; inside the kernel,
 * {@code copy_file_range}, with {@link Settings#outputKernelCopy()}: on ext4 that copy goes through
 * a pipe and takes more CPU, docs/performance.md, session 10) and starts the batch's write-back, so
 * that the one sync of {@link #commit()} finds little left to write. With
 * {@link Settings#outputDirectInput()} the kept columns' whole pages go to the device with
 * {@code O_DIRECT} from the input's mapping instead, written by a thread of the sink's
 * ({@link DirectPageWriter}) that the commit waits for before its sync. With
 * {@link Settings#outputMappedStores()} the file is mapped shared instead and the vectors lie over
 * its own pages: no copy, but each fresh page costs the storing thread a fault, and in a virtual
 * machine that returns freed memory to its host, the host's fault too (docs/performance.md,
 * session 9); the file is the same byte for byte.
 *
 * <p>The temporary file keeps {@link AtomicOutput}'s contract (docs/safety.md): one file beside
 * the target, locked while written, synced once by {@link #commit()}, renamed, and deleted by
 * {@link #close()} without a commit and on SIGINT or SIGTERM.
 *
 * <p>Threads: {@link #columns(int)} and {@link #finish(int)} of different batches may run at once on
 * different threads (one batch computed while the previous one is finished), at most two batches
 * apart; each batch's calls come in order: {@code columns}, then {@code finish}. Everything else
 * runs on the thread that opened it, after every {@code finish} has returned.
 */
public final class MappedIpcSink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MappedIpcSink.class);
    /** Batches whose columns may be in use at once: one computed, one being finished. */
    private static final int SLOTS = 2;
    private static final long PAGE = LinuxMemory.PAGE_SIZE;
    /**
     * The largest single write: the kernel gives a write's new page cache pages as folios up to its
     * length, and a 2 MiB one comes from the free blocks a VM has most likely handed back to its host
     * (a host fault on first touch); 256 KiB pieces are filled from smaller, recently used blocks
     * (docs/performance.md, session 9).
     */
    private static final long WRITE_CHUNK = 256 * 1024;

    private final AtomicOutput output;
    private final IpcOutputPlan plan;
    private final FileMapping input;
    private final int fd;
    /** Writes the kept input columns' whole pages with O_DIRECT ({@link Settings#outputDirectInput()}); null: through the page cache. */
    private final DirectPageWriter direct;
    /** The output mapped shared, when the kernels store into its pages ({@link Settings#outputMappedStores()}); else 0. */
    private final long address;
    private final MemorySegment file;
    /**
     * Without a mapping: per slot, the reused memory a batch's appended columns are computed into,
     * written to the file by {@link #finish}; null with a mapping. Reused, its pages stay this
     * process's, where a fresh file page costs a fault and, in a VM, often the host's own fault too
     * (docs/performance.md, session 9).
     */
    private final MemorySegment[] staging;
    private final Arena stagingArena;
    /**
     * Without a mapping: native memory that heap bytes (the header, the footer, each batch's metadata)
     * are copied into to be written, reused and grown when too small (from {@link #stagingArena});
     * used by one thread at a time, as {@link #finish} is.
     */
    private MemorySegment scratch;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot[] slots = new VectorSchemaRoot[SLOTS];
    private final int appendedNodeCount;
    // written by finish, which runs on one thread at a time (its caller awaits each before the next)
    private boolean kernelCopy = Settings.outputKernelCopy();
    private final FinishClock clock = new FinishClock();
    /** Times {@link #finishInput}, which may run beside a {@link #finish} on another thread. */
    private final FinishClock inputClock = new FinishClock();
    /** Batches, from the first, whose kept input columns {@link #copyNextInputAhead} put in place before any finish. */
    private int copiedAhead;
    /** Of them, those that had input columns to copy, and the time their copies took. */
    private int aheadCopies;
    private long aheadNanos;
    private int finished;
    private boolean unmapped;
    private boolean closed;

    private MappedIpcSink(AtomicOutput output, IpcOutputPlan plan, FileMapping input, int fd, long address,
                          Schema appended, BufferAllocator allocator, DirectPageWriter direct) {
        this.output = output;
        this.plan = plan;
        this.input = input;
        this.fd = fd;
        this.direct = direct;
        this.address = address;
        this.file = address == 0 ? null : MemorySegment.ofAddress(address).reinterpret(plan.size());
        this.allocator = allocator;
        if (address == 0) {
            long largest = 0;
            for (IpcOutputPlan.Batch b : plan.batches()) {
                largest = Math.max(largest, b.appendedEnd() - b.appendedStart());
            }
            stagingArena = Arena.ofShared();
            staging = new MemorySegment[SLOTS];
            for (int i = 0; i < SLOTS; i++) {
                staging[i] = stagingArena.allocate(Math.max(1, largest), PAGE);
            }
        } else {
            stagingArena = null;
            staging = null;
        }
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = VectorSchemaRoot.create(appended, allocator);
        }
        this.appendedNodeCount = plan.batches().isEmpty() ? countNodes(appended.getFields())
                : plan.batches().getFirst().appendedNodes().length;
    }

    /**
     * Opens the in-place output of a job over {@code source}: its batches with the last
     * {@code appended} fields of {@code schema} added (and its own columns kept ahead of them when
     * {@code keepInput}), written to a temporary file beside {@code target}. Returns null when this
     * output cannot be written in place, before anything is left on disk: standard output, an input
     * not read from a mapping, an appended column that is not fixed-size, or a file system that
     * cannot reserve or map the file. The caller then writes through {@link Formats#openSink}.
     *
     * @throws java.io.UncheckedIOException naming the target when the disk has no room for the output
     * @throws io.numarrow.BadInputException when the target cannot be written ({@link AtomicOutput#create})
     */
    public static MappedIpcSink open(Path target, BatchSource source, Schema schema, int appended, boolean keepInput,
                                     BufferAllocator allocator) {
        if (AtomicOutput.isStandardOutput(target) || !(source instanceof IpcBatchSource ipc) || ipc.mappedReader() == null) {
            return null;
        }
        MappedArrowFileReader reader = ipc.mappedReader();
        IpcOutputPlan plan;
        try {
            plan = IpcOutputPlan.of(schema, appended, keepInput, reader.layout().batches());
        } catch (IllegalArgumentException e) {
            LOG.debug("{}: written by the ordinary writer: {}", target, e.getMessage());
            return null;
        }
        AtomicOutput output = AtomicOutput.create(target);
        int fd = -1;
        long address = 0;
        try {
            fd = LinuxMemory.open(output.temp().toString(), LinuxMemory.O_RDWR);
            LinuxMemory.allocateFile(fd, 0, plan.size());
            if (Settings.outputMappedStores()) {
                address = LinuxMemory.mapFileShared(fd, plan.size(), 0);
            }
        } catch (LinuxMemory.NativeCallException e) {
            if (fd >= 0) {
                LinuxMemory.closeFd(fd);
            }
            output.close();
            if (e.errno() == LinuxMemory.ENOSPC) {
                throw output.writeFailure(new IOException("No space left on device", e));
            }
            LOG.debug("{}: written by the ordinary writer: {}", target, e.getMessage());
            return null;
        } catch (RuntimeException | Error e) {
            if (fd >= 0) {
                LinuxMemory.closeFd(fd);
            }
            output.close();
            throw e;
        }
        FileMapping mapping = reader.mapping();
        mapping.retain();
        List<Field> fields = schema.getFields();
        Schema appendedSchema = new Schema(fields.subList(fields.size() - appended, fields.size()));
        DirectPageWriter direct = keepInput && address == 0 && Settings.outputDirectInput()
                ? DirectPageWriter.open(output.temp().toString(), fd) : null;
        MappedIpcSink sink = new MappedIpcSink(output, plan, mapping, fd, address, appendedSchema, allocator, direct);
        try {
            sink.writeHeaderAndFooter();
        } catch (RuntimeException | Error e) {
            sink.close(); // deletes the temporary file
            throw e;
        }
        return sink;
    }

    private static int countNodes(List<Field> fields) {
        int n = 0;
        for (Field f : fields) {
            n += 1 + countNodes(f.getChildren());
        }
        return n;
    }

    private void writeHeaderAndFooter() {
        place(plan.header(), 0);
        ByteBuffer eos = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-1).putInt(0);
        place(eos.array(), plan.endOfStreamOffset());
        byte[] footer = plan.footer();
        ByteBuffer tail = ByteBuffer.allocate(footer.length + 10).order(ByteOrder.LITTLE_ENDIAN);
        tail.put(footer).putInt(footer.length).put(new byte[] {'A', 'R', 'R', 'O', 'W', '1'});
        place(tail.array(), plan.footerOffset());
    }

    /** {@code bytes} into the file at {@code at}: stored into the mapping, or written. */
    private void place(byte[] bytes, long at) {
        place(MemorySegment.ofArray(bytes), at);
    }

    private void place(MemorySegment bytes, long at) {
        if (file != null) {
            MemorySegment.copy(bytes, 0, file, at, bytes.byteSize());
            return;
        }
        MemorySegment from = bytes;
        if (!bytes.isNative()) {
            if (scratch == null || scratch.byteSize() < bytes.byteSize()) {
                scratch = stagingArena.allocate(Math.max(bytes.byteSize(), 4096), 64);
            }
            from = scratch.asSlice(0, bytes.byteSize());
            from.copyFrom(bytes);
        }
        write(from, at);
    }

    /**
     * The native {@code bytes} written to the file at {@code at} ({@code pwrite}, in
     * {@link #WRITE_CHUNK} pieces): an interrupt of this thread neither stops it nor closes the file,
     * as it would a {@code FileChannel}'s write (docs/safety.md).
     */
    private void write(MemorySegment bytes, long at) {
        try {
            writeInPieces(bytes, at);
        } catch (LinuxMemory.NativeCallException e) {
            throw writeFailure(e);
        }
    }

    private void writeInPieces(MemorySegment bytes, long at) {
        long done = 0;
        while (done < bytes.byteSize()) {
            long n = pieceAt(at + done, bytes.byteSize() - done);
            LinuxMemory.writeFully(fd, bytes.address() + done, n, at + done);
            done += n;
        }
    }

    /**
     * The length of the piece written at file offset {@code at} with {@code left} bytes to go: up to the
     * next multiple of {@link #WRITE_CHUNK} in the file, so that only a run's two ends write part of a
     * page: a piece ending mid-page leaves the kernel a partly written fresh page (the rest zeroed,
     * smaller folios) that the next piece fills again (docs/performance.md, session 13).
     */
    static long pieceAt(long at, long left) {
        return Math.min(WRITE_CHUNK - at % WRITE_CHUNK, left);
    }

    private RuntimeException writeFailure(LinuxMemory.NativeCallException e) {
        return output.writeFailure(new IOException(e.errno() == LinuxMemory.ENOSPC ? "No space left on device" : e.getMessage(), e));
    }

    /** The output's batches: one per input batch. */
    public int batches() {
        return plan.batches().size();
    }

    /** Rows of batch {@code index}. */
    public int rows(int index) {
        return plan.batches().get(index).rows();
    }

    /**
     * Batch {@code index}'s appended columns as vectors over a reused buffer (or the file's mapped
     * pages, {@link Settings#outputMappedStores()}), every value valid and
     * {@code rows} long: compute into them (null rows may be set) without reallocating them. Valid
     * until {@link #finish} of this batch.
     */
    public VectorSchemaRoot columns(int index) {
        IpcOutputPlan.Batch b = plan.batches().get(index);
        VectorSchemaRoot root = slots[index % SLOTS];
        long length = b.appendedEnd() - b.appendedStart();
        MemorySegment at = staging != null ? staging[index % SLOTS].asSlice(0, length)
                : file.asSlice(b.bodyOffset() + b.appendedStart(), length);
        markAllValid(b, at);
        ArrowBuf region = allocator.wrapForeignAllocation(new FileRegion(at.address(), length));
        try {
            long[] lengths = b.appendedNodes();
            List<ArrowFieldNode> nodes = new ArrayList<>(lengths.length);
            for (long n : lengths) {
                nodes.add(new ArrowFieldNode(n, 0));
            }
            long[] buf = b.appendedBuffers();
            List<ArrowBuf> buffers = new ArrayList<>(buf.length / 2);
            for (int i = 0; i < buf.length; i += 2) {
                buffers.add(region.slice(buf[i] - b.appendedStart(), buf[i + 1]));
            }
            try (ArrowRecordBatch batch = new ArrowRecordBatch(b.rows(), nodes, buffers,
                    NoCompressionCodec.DEFAULT_BODY_COMPRESSION, false, true)) {
                new VectorLoader(root).load(batch);
            }
        } finally {
            region.close(); // the vectors hold their own references
        }
        return root;
    }

    /**
     * Sets every value of the batch's validity bitmaps in {@code appended} (the batch's appended
     * buffers, from the first one's start): Arrow loads a bitmap given with the column as it is, and
     * the computing code clears only the null rows' bits.
     */
    private static void markAllValid(IpcOutputPlan.Batch b, MemorySegment appended) {
        long[] validity = b.appendedValidity();
        long[] buffers = b.appendedBuffers();
        for (int i = 0; i < validity.length; i++) {
            long values = validity[i];
            if (values <= 0) {
                continue;
            }
            long at = buffers[2 * i] - b.appendedStart();
            appended.asSlice(at, values / 8).fill((byte) 0xFF);
            if (values % 8 != 0) {
                appended.set(ValueLayout.JAVA_BYTE, at + values / 8, (byte) ((1 << (values % 8)) - 1));
            }
        }
    }

    /**
     * Completes batch {@code index} in the file once its columns are computed: its appended buffers
     * written from the reused memory they were computed in (with a mapping, only a buffer the
     * computing code put elsewhere, a vector it reallocated, is copied into place), the batch's metadata with the columns' null counts,
     * the input's columns written from the input's mapping (call it while the input batch is still
     * open: its pages are then still mapped, and the write faults none in); then the batch's pages
     * leave this process and their write-back starts.
     *
     * @throws java.io.UncheckedIOException naming the target when a write or the copy fails
     * @throws io.numarrow.BadInputException naming the input when it shrank before its columns were written
     */
    public void finish(int index) {
        finish(index, true);
    }

    /**
     * As {@link #finish(int)}; without {@code withInput} the input's kept columns are left to
     * {@link #finishInput} of the same batch, which may run at the same time on another thread (the
     * two write different parts of the file), so that two threads share a batch's finish. The batch
     * is finished once both have returned.
     */
    public void finish(int index, boolean withInput) {
        clock.start();
        IpcOutputPlan.Batch b = plan.batches().get(index);
        VectorSchemaRoot root = slots[index % SLOTS];
        long[] nullCounts = new long[appendedNodeCount];
        try (ArrowRecordBatch computed = new VectorUnloader(root).getRecordBatch()) {
            List<ArrowFieldNode> nodes = computed.getNodes();
            for (int i = 0; i < nullCounts.length; i++) {
                nullCounts[i] = nodes.get(i).getNullCount();
            }
            placeBuffers(b, computed.getBuffers());
        } finally {
            root.clear();
        }
        writeMetadata(b, nullCounts);
        clock.lap(FinishClock.WRITE);
        if (withInput && hasInputToFinish(index) && !writeInputDirect(b)) {
            copyInput(b);
        }
        clock.lap(FinishClock.COPY);
        if (withInput) {
            releaseAndWriteBack(b.blockOffset(), b.end());
        } else { // the input's range is finishInput's
            releaseAndWriteBack(b.blockOffset(), b.bodyOffset());
            releaseAndWriteBack(b.bodyOffset() + b.inputLength(), b.end());
        }
        clock.lap(FinishClock.WRITE_BACK);
        finished++;
    }

    /**
     * Batch {@code index}'s kept input columns written from the input's mapping and their write-back
     * started: the part of its finish that {@link #finish(int, boolean) finish(index, false)} leaves,
     * on another thread or the same, before or after it, while the input batch is still open. One
     * call at a time; nothing to do when the input's columns are dropped or were copied ahead.
     *
     * @throws java.io.UncheckedIOException naming the target when the write fails
     * @throws io.numarrow.BadInputException naming the input when it shrank before its columns were written
     */
    public void finishInput(int index) {
        if (!hasInputToFinish(index)) {
            return;
        }
        IpcOutputPlan.Batch b = plan.batches().get(index);
        inputClock.start();
        if (writeInputDirect(b)) {
            inputClock.lap(FinishClock.COPY);
            return;
        }
        copyInput(b);
        inputClock.lap(FinishClock.COPY);
        releaseAndWriteBack(b.bodyOffset(), b.bodyOffset() + b.inputLength());
        inputClock.lap(FinishClock.WRITE_BACK);
    }

    /**
     * The batch's kept input body handed to {@link #direct}, when there is one and the body's whole
     * pages line up with the input's ({@link IpcOutputPlan}): its two partial pages are written here
     * through the page cache (their write-back started), the pages between by the writer's thread,
     * which then lets the input's pages go again. False, writing nothing, otherwise.
     */
    private boolean writeInputDirect(IpcOutputPlan.Batch b) {
        long in = b.inputOffset();
        long out = b.bodyOffset();
        long end = out + b.inputLength();
        long first = LinuxMemory.alignUp(out, PAGE);
        long last = end & -PAGE;
        if (direct == null || Math.floorMod(in - out, PAGE) != 0 || last <= first) {
            return false;
        }
        if (first > out) {
            writeInput(in, first - out, out);
        }
        if (end > last) {
            writeInput(in + (last - out), end - last, last);
        }
        long pages = input.segment().address() + in + (first - out); // page-aligned: in and out agree within a page
        try {
            // after the write, only these pages leave the process: the next batch's, read ahead, stay
            direct.submit(pages, last - first, first, () -> LinuxMemory.advise(pages, last - first, LinuxMemory.MADV_DONTNEED));
        } catch (LinuxMemory.NativeCallException e) {
            throw directFailure(e);
        }
        if (first > out) {
            LinuxMemory.syncFileRange(fd, out, first - out, LinuxMemory.SYNC_FILE_RANGE_WRITE);
        }
        if (end > last) { // a length of 0 would mean the whole file's rest
            LinuxMemory.syncFileRange(fd, last, end - last, LinuxMemory.SYNC_FILE_RANGE_WRITE);
        }
        return true;
    }

    /** A direct write's failure: a page the input no longer has is the input's change, anything else the output's. */
    private RuntimeException directFailure(LinuxMemory.NativeCallException e) {
        return e.errno() == LinuxMemory.EFAULT ? input.snapshot().changedError(e) : writeFailure(e);
    }

    /** Whether batch {@code index} has kept input columns left for its finish to write. */
    public boolean hasInputToFinish(int index) {
        return plan.batches().get(index).inputLength() > 0 && index >= copiedAhead;
    }

    private void placeBuffers(IpcOutputPlan.Batch b, List<ArrowBuf> buffers) {
        long[] planned = b.appendedBuffers();
        if (buffers.size() != planned.length / 2) {
            throw new IllegalStateException("batch has " + buffers.size() + " appended buffers, " + planned.length / 2 + " planned");
        }
        for (int i = 0; i < buffers.size(); i++) {
            ArrowBuf buf = buffers.get(i);
            long at = b.bodyOffset() + planned[2 * i];
            long length = planned[2 * i + 1];
            if (buf.readableBytes() != length) {
                throw new IllegalStateException("appended buffer " + i + " holds " + buf.readableBytes() + " bytes, "
                        + length + " planned");
            }
            if (length > 0 && (file == null || buf.memoryAddress() != address + at)) {
                place(MemorySegment.ofAddress(buf.memoryAddress()).reinterpret(length), at);
            }
        }
    }

    private void writeMetadata(IpcOutputPlan.Batch b, long[] nullCounts) {
        ByteBuffer message = b.message(nullCounts);
        if (message.remaining() != b.flatbufferBytes()) {
            throw new IllegalStateException("record batch metadata of " + message.remaining() + " bytes, "
                    + b.flatbufferBytes() + " planned");
        }
        ByteBuffer prefixed = ByteBuffer.allocate(8 + message.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        prefixed.putInt(-1).putInt(b.metadataLength() - 8).put(message);
        place(prefixed.array(), b.blockOffset());
    }

    /**
     * The input batch's body to the start of the output's: written from the input's mapping, or
     * copied inside the kernel ({@link Settings#outputKernelCopy()}) while it can.
     */
    private void copyInput(IpcOutputPlan.Batch b) {
        long in = b.inputOffset();
        long out = b.bodyOffset();
        long left = b.inputLength();
        try {
            while (left > 0 && kernelCopy) {
                long n;
                try {
                    n = LinuxMemory.copyFileRange(input.fd(), in, fd, out, left);
                } catch (LinuxMemory.NativeCallException e) {
                    if (e.errno() == LinuxMemory.ENOSPC) {
                        throw new IOException("No space left on device", e);
                    }
                    if (e.errno() == LinuxMemory.EIO) { // no other way will do better
                        throw new IOException(e.getMessage(), e);
                    }
                    LOG.debug("{}: copying the input's columns through this process: {}", output.target(), e.getMessage());
                    kernelCopy = false;
                    break;
                }
                if (n == 0) {
                    throw new IOException(input.file() + ": ended " + left + " bytes early while being copied");
                }
                in += n;
                out += n;
                left -= n;
            }
        } catch (IOException e) {
            throw output.writeFailure(e);
        }
        if (left > 0) {
            writeInput(in, left, out);
        }
    }

    /**
     * {@code length} bytes of the input from {@code in} written to the output at {@code out}, from the
     * input's mapping: a page the input no longer has (the file shrank under the job) fails the write
     * ({@code EFAULT}), not the process, and is reported as the input's change (a {@link
     * io.numarrow.BadInputException} naming it).
     */
    private void writeInput(long in, long length, long out) {
        try {
            writeInPieces(input.segment().asSlice(in, length), out);
        } catch (LinuxMemory.NativeCallException e) {
            if (e.errno() == LinuxMemory.EFAULT) {
                throw input.snapshot().changedError(e);
            }
            throw writeFailure(e);
        }
    }

    /**
     * Puts the next batch's kept input columns in place now, ahead of its {@link #finish}, and starts
     * their write-back: work that needs no computed value, for the time before the first batch
     * (while the kernels compile, a core would sit idle), so that the batches' finishes do less
     * beside the tiles. The input's pages it read leave the process again (its resident size does
     * not grow with the file). Batches in order, from the first; returns false, copying nothing,
     * once every batch's are in place (at once when the input's columns are dropped). Only before the
     * first {@link #columns}, on one thread at a time; the thread that then finishes batches must
     * see its writes (it awaited the copying task, or is the thread that copied).
     *
     * @throws java.io.UncheckedIOException naming the target when the write fails
     * @throws io.numarrow.BadInputException naming the input when it shrank under the job
     */
    public boolean copyNextInputAhead() {
        while (copiedAhead < plan.batches().size()) {
            IpcOutputPlan.Batch b = plan.batches().get(copiedAhead);
            if (b.inputLength() == 0) { // an empty batch, or the input's columns dropped: nothing to copy
                copiedAhead++;
                continue;
            }
            long start = System.nanoTime();
            copyInput(b);
            input.dropPages(b.inputOffset(), b.inputLength());
            LinuxMemory.syncFileRange(fd, b.bodyOffset(), b.inputLength(), LinuxMemory.SYNC_FILE_RANGE_WRITE);
            copiedAhead++;
            aheadCopies++;
            aheadNanos += System.nanoTime() - start;
            return true;
        }
        return false;
    }

    /** Batches whose kept input columns {@link #copyNextInputAhead} put in place. */
    public int inputCopiedAhead() {
        return copiedAhead;
    }

    /** Time {@link #copyNextInputAhead} took, all batches. */
    public long aheadNanos() {
        return aheadNanos;
    }

    /** From now on the input's columns are written from its mapping, as where the kernel cannot copy them (tests). */
    void copyInputByWrites() {
        kernelCopy = false;
    }

    /** From now on the input's columns are copied inside the kernel while it can, as {@link Settings#outputKernelCopy()} asks (tests). */
    void copyInputInKernel() {
        kernelCopy = true;
    }

    /**
     * Unmaps the pages wholly inside {@code [from, to)} from this process, if mapped (the page cache
     * keeps them, dirty: a shared mapping loses nothing), and starts their write-back.
     */
    private void releaseAndWriteBack(long from, long to) {
        long first = LinuxMemory.alignUp(from, PAGE);
        long end = to & -PAGE;
        if (file != null && end > first) {
            LinuxMemory.advise(address + first, end - first, LinuxMemory.MADV_DONTNEED);
        }
        LinuxMemory.syncFileRange(fd, from, to - from, LinuxMemory.SYNC_FILE_RANGE_WRITE);
    }

    /** Whether the input's kept columns' whole pages go to the file with {@code O_DIRECT} ({@link Settings#outputDirectInput()}). */
    boolean writesInputDirect() {
        return direct != null;
    }

    /** Bytes of the input's kept columns written with {@code O_DIRECT} so far. */
    long inputBytesWrittenDirect() {
        return direct == null ? 0 : direct.directBytes();
    }

    /** Whether the input's columns are still copied inside the kernel ({@code copy_file_range}), not by writes from the mapping. */
    boolean copiesInKernel() {
        return kernelCopy;
    }

    /** Time spent copying the input's columns file to file, over every finished batch. */
    public long copyNanos() {
        return finishTimes().copyNanos();
    }

    /** Time spent letting go of finished batches' pages and starting their write-back. */
    public long writeBackNanos() {
        return finishTimes().writeBackNanos();
    }

    /** Where the finished batches' time went, piece by piece, wall and thread CPU. */
    public FinishTimes finishTimes() {
        return clock.totals(aheadCopies, aheadNanos).plus(inputClock.totals(0, 0));
    }

    public Path target() {
        return output.target();
    }

    /**
     * Makes the output appear at its path, complete: every batch must be finished. The file is
     * unmapped, synced once and renamed onto the target ({@link AtomicOutput#commit()}).
     */
    public void commit() {
        if (finished != plan.batches().size()) {
            throw new IllegalStateException(finished + " of " + plan.batches().size() + " batches finished");
        }
        if (direct != null) {
            try {
                direct.drain(); // before the one sync: it must find every page written
            } catch (LinuxMemory.NativeCallException e) {
                throw directFailure(e);
            }
        }
        unmapAndClose();
        output.commit();
    }

    private void unmapAndClose() {
        if (!unmapped) {
            unmapped = true;
            if (direct != null) {
                direct.close(); // its write in flight reads from the input's mapping, released below
            }
            for (VectorSchemaRoot root : slots) {
                root.close();
            }
            if (file != null) {
                LinuxMemory.unmap(address, plan.size());
            } else {
                stagingArena.close(); // after the vectors over it are closed
            }
            LinuxMemory.closeFd(fd);
            input.release();
        }
    }

    /** Deletes the temporary file unless a commit moved it onto the target. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                unmapAndClose();
            } finally {
                output.close();
            }
        }
    }

    /** A range of the output mapping handed to Arrow: releasing it leaves the mapping alone. */
    private static final class FileRegion extends ForeignAllocation {
        FileRegion(long address, long length) {
            super(length, address);
        }

        @Override
        protected void release0() {
            // the sink unmaps the whole file itself
        }
    }
}
