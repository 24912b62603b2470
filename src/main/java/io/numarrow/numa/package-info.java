/**
 * The machine's shape and where memory lives: CPU and NUMA topology, placement policies, and the
 * Arrow allocator that puts buffers on NUMA nodes ({@link NumaAllocator}). The Linux calls (mmap,
 * mbind, get_mempolicy, getcpu) go through the JDK's FFM API in {@link LinuxMemory}.
 */
package io.numarrow.numa;
