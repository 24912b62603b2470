package io.numarrow.numa;

import java.lang.foreign.MemorySegment;

/**
 * Moves already-allocated memory to a NUMA node, so that what a worker writes ends up on its own
 * node: a tile's output rows inside one big Arrow buffer can be moved to the worker's node before
 * it writes them ({@code mbind(MPOL_PREFERRED, MPOL_MF_MOVE)} on the whole pages of the range).
 * Only whole pages move; the partial pages at either end stay where they are.
 *
 * <p>For {@code ParallelOps}: at the start of a tile task, before the kernel writes rows
 * {@code [start, end)} of {@code out},
 * <pre>{@code
 *   NodePages.moveTo(out.segment().asSlice((long) start * n * 4, (long) (end - start) * n * 4),
 *           ThreadPool.currentNode());
 * }</pre>
 * Tiles smaller than a page move nothing; on one node it is a no-op.
 */
public final class NodePages {
    private static final boolean MANY_NODES = NumaNodes.detect().count() > 1;

    private NodePages() {
    }

    /**
     * Prefers {@code node} for the whole pages inside {@code region} and moves those already
     * placed elsewhere. Does nothing on a one-node machine.
     *
     * @return the bytes whose placement was set (0 when nothing was done)
     * @throws LinuxMemory.NativeCallException when the kernel refuses
     */
    public static long moveTo(MemorySegment region, int node) {
        return MANY_NODES ? place(region, node) : 0;
    }

    /** {@link #moveTo} without the one-node shortcut (tests check it on one node). */
    static long place(MemorySegment region, int node) {
        long start = LinuxMemory.alignUp(region.address(), LinuxMemory.PAGE_SIZE);
        long end = (region.address() + region.byteSize()) & -LinuxMemory.PAGE_SIZE;
        if (end <= start) {
            return 0;
        }
        LinuxMemory.mbind(start, end - start, LinuxMemory.MPOL_PREFERRED, new int[] {node}, LinuxMemory.MPOL_MF_MOVE);
        return end - start;
    }
}
