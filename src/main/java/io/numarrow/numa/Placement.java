package io.numarrow.numa;

import java.util.Arrays;

/**
 * Where one heap of the NUMA allocator puts its pages: the {@code mbind} mode and node mask, or
 * no binding at all ({@link #unplaced}: the kernel's default, first touch).
 *
 * @param label  a short name for logs and statistics, such as {@code node1} or {@code interleave[0,1]}
 * @param mode   an {@code MPOL_*} mode of {@link LinuxMemory}
 * @param nodes  the node mask, empty when {@code mode} is {@link LinuxMemory#MPOL_DEFAULT}
 */
public record Placement(String label, int mode, int[] nodes) {
    public Placement {
        nodes = nodes.clone();
    }

    public static Placement unplaced() {
        return new Placement("default", LinuxMemory.MPOL_DEFAULT, new int[0]);
    }

    public static Placement preferred(int node) {
        return new Placement("node" + node, LinuxMemory.MPOL_PREFERRED, new int[] {node});
    }

    public static Placement interleave(int[] nodes) {
        return new Placement("interleave" + Arrays.toString(nodes).replace(" ", ""), LinuxMemory.MPOL_INTERLEAVE, nodes);
    }

    /** Whether pages need an {@code mbind} call at all. */
    public boolean binds() {
        return mode != LinuxMemory.MPOL_DEFAULT;
    }

    @Override
    public int[] nodes() {
        return nodes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Placement p && p.mode == mode && Arrays.equals(p.nodes, nodes);
    }

    @Override
    public int hashCode() {
        return 31 * mode + Arrays.hashCode(nodes);
    }

    @Override
    public String toString() {
        return label + switch (mode) {
            case LinuxMemory.MPOL_DEFAULT -> " (no binding)";
            case LinuxMemory.MPOL_PREFERRED -> " (MPOL_PREFERRED " + Arrays.toString(nodes) + ")";
            case LinuxMemory.MPOL_INTERLEAVE -> " (MPOL_INTERLEAVE " + Arrays.toString(nodes) + ")";
            case LinuxMemory.MPOL_BIND -> " (MPOL_BIND " + Arrays.toString(nodes) + ")";
            default -> " (mode " + mode + ")";
        };
    }
}
