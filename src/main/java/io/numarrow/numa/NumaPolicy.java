package io.numarrow.numa;

/** Where the pages of an allocation go. */
public enum NumaPolicy {
    /** Pages round-robin over the nodes in use: even bandwidth for shared data. */
    INTERLEAVE,
    /** The node of the thread that first touches (allocates) the memory. */
    LOCAL,
    /** A given node, falling back to others when it is full. */
    PREFERRED
}
