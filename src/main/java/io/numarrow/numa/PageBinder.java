package io.numarrow.numa;

/**
 * Applies a {@link Placement} to freshly mapped, untouched pages. The real one calls
 * {@code mbind}; tests substitute a recording one to check the allocator against a fake topology.
 */
@FunctionalInterface
public interface PageBinder {
    /**
     * Binds {@code [address, address+bytes)}.
     *
     * @throws LinuxMemory.NativeCallException when the kernel refuses
     */
    void bind(long address, long bytes, Placement placement);

    /** {@code mbind(address, bytes, mode, mask, 0)}. */
    PageBinder MBIND = (address, bytes, p) -> LinuxMemory.mbind(address, bytes, p.mode(), p.nodes(), 0);
}
