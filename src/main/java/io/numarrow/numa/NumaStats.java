package io.numarrow.numa;

import java.util.Map;

/**
 * What a {@link NumaAllocator} has done so far: every placement decision is counted here (and
 * logged at DEBUG).
 *
 * @param policy             the policy and its placements, such as {@code LOCAL [node0, node1]}
 * @param bindingActive      false when the allocator gives ordinary memory (one node, or mbind refused)
 * @param mmapCalls          anonymous mappings made (chunks and large buffers)
 * @param mappedBytes        bytes currently mapped, cached blocks and chunks included
 * @param mbindCalls         successful {@code mbind} calls
 * @param mbindRefused       {@code mbind} calls the kernel refused (then no more are tried)
 * @param hugePageAdvice     mappings advised {@code MADV_HUGEPAGE} (and accepted)
 * @param smallAllocations   buffers served from a per-node chunk
 * @param largeAllocations   buffers given whole pages of their own
 * @param largeReused        of those, served from freed blocks kept for reuse (no system call)
 * @param mappedBytesByHeap  bytes mapped so far per placement label (such as {@code node1})
 */
public record NumaStats(String policy, boolean bindingActive, long mmapCalls, long mappedBytes, long mbindCalls,
                        long mbindRefused, long hugePageAdvice, long smallAllocations, long largeAllocations,
                        long largeReused, Map<String, Long> mappedBytesByHeap) {
    public NumaStats {
        mappedBytesByHeap = Map.copyOf(mappedBytesByHeap);
    }
}
