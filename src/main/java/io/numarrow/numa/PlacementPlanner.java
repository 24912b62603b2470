package io.numarrow.numa;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * Turns a {@link NumaPolicy} into placements, with no system calls of its own, so the logic can be
 * checked against a fake topology. The allocator keeps one heap per placement in {@link #heaps()}
 * and asks {@link #heapForThisAllocation()} which one serves each allocation.
 *
 * <ul>
 *   <li>{@code INTERLEAVE}: one heap, pages round-robin over every memory node.</li>
 *   <li>{@code LOCAL}: one heap per node, each preferring its node; an allocation goes to the
 *       heap of the node the allocating thread runs on.</li>
 *   <li>{@code PREFERRED}: one heap preferring the given node (the kernel falls back to other
 *       nodes when it is full).</li>
 * </ul>
 * On a machine with one node, {@code INTERLEAVE} and {@code LOCAL} have nothing to choose, so
 * their heap is left unbound (ordinary memory). An explicitly named node is always bound, which
 * keeps placement checkable on one-node machines too.
 */
public final class PlacementPlanner {
    private final NumaNodes nodes;
    private final NumaPolicy policy;
    private final IntSupplier currentNode;
    private final List<Placement> heaps;

    /**
     * @param preferredNode the node for {@link NumaPolicy#PREFERRED}; ignored for the others
     * @param currentNode   the NUMA node of the calling thread (for {@link NumaPolicy#LOCAL})
     * @throws IllegalArgumentException when {@code preferredNode} is not one of {@code nodes}
     */
    public PlacementPlanner(NumaNodes nodes, NumaPolicy policy, int preferredNode, IntSupplier currentNode) {
        this.nodes = Objects.requireNonNull(nodes, "nodes");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.currentNode = Objects.requireNonNull(currentNode, "currentNode");
        List<Placement> list = new ArrayList<>();
        switch (policy) {
            case PREFERRED -> {
                nodes.require(preferredNode);
                list.add(Placement.preferred(preferredNode));
            }
            case INTERLEAVE -> list.add(nodes.count() == 1 ? Placement.unplaced() : Placement.interleave(nodes.toArray()));
            case LOCAL -> {
                if (nodes.count() == 1) {
                    list.add(Placement.unplaced());
                } else {
                    for (int id : nodes.ids()) {
                        list.add(Placement.preferred(id));
                    }
                }
            }
        }
        this.heaps = List.copyOf(list);
    }

    public NumaPolicy policy() {
        return policy;
    }

    public NumaNodes nodes() {
        return nodes;
    }

    /** The placement of each heap, by heap index. */
    public List<Placement> heaps() {
        return heaps;
    }

    /** Whether this plan leaves all memory unbound (one node, nothing to place). */
    public boolean ordinaryMemoryOnly() {
        return heaps.stream().noneMatch(Placement::binds);
    }

    /** The heap index for an allocation made now by the calling thread. */
    public int heapForThisAllocation() {
        if (heaps.size() == 1) {
            return 0;
        }
        int index = nodes.indexOf(currentNode.getAsInt());
        return index < 0 ? 0 : index; // a CPU on a memoryless node: its nearest is unknown here, use the first
    }
}
