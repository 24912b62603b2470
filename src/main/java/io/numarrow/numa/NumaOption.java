package io.numarrow.numa;

import io.numarrow.BadInputException;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The command line's {@code --numa off|local|interleave|preferred=N}: which root allocator a
 * command uses. {@code off} is Arrow's default allocator; the others are {@link NumaAllocator}s.
 *
 * @param policy the policy, or null for {@code off}
 * @param node   the node of {@code preferred=N}, else -1
 */
public record NumaOption(NumaPolicy policy, int node) {
    public static final String DEFAULT = "local";
    public static final String SYNTAX = "off|local|interleave|preferred=N";

    /** Parses the option's value; a {@link BadInputException} names what was wrong. */
    public static NumaOption parse(String value) {
        String v = value == null ? DEFAULT : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "off" -> {
                return new NumaOption(null, -1);
            }
            case "local" -> {
                return new NumaOption(NumaPolicy.LOCAL, -1);
            }
            case "interleave" -> {
                return new NumaOption(NumaPolicy.INTERLEAVE, -1);
            }
            default -> { }
        }
        if (v.startsWith("preferred=")) {
            String n = v.substring("preferred=".length());
            try {
                int node = Integer.parseInt(n);
                if (node < 0) {
                    throw new NumberFormatException();
                }
                return new NumaOption(NumaPolicy.PREFERRED, node);
            } catch (NumberFormatException e) {
                throw new BadInputException("--numa " + value + ": '" + n + "' is not a NUMA node number");
            }
        }
        throw new BadInputException("--numa " + value + ": expected " + SYNTAX);
    }

    /** A new root allocator for this choice; a {@link BadInputException} when the node does not exist. */
    public BufferAllocator newRootAllocator() {
        if (policy == null) {
            return new RootAllocator();
        }
        try {
            return node >= 0 ? NumaAllocator.root(policy, node) : NumaAllocator.root(policy);
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--numa preferred=" + node + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return policy == null ? "off" : node >= 0 ? "preferred=" + node : policy.name().toLowerCase(Locale.ROOT);
    }
}
