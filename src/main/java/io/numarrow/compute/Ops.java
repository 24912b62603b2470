package io.numarrow.compute;

import io.numarrow.BadInputException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The operations a job can run on each row, in order: {@code matmul} (by the weights, plus the bias if
 * any), {@code softmax}, and {@code argmax}, which adds each row's class (the index of its largest
 * value) as a column of its own beside the scores.
 */
public enum Ops {
    MATMUL("matmul"),
    SOFTMAX("softmax"),
    MATMUL_SOFTMAX("matmul,softmax"),
    /** The margins {@code x·W + b} and the class of each row, without a softmax. */
    MATMUL_ARGMAX("matmul,argmax"),
    SOFTMAX_ARGMAX("softmax,argmax"),
    /** A classifier's probabilities and predictions: {@code softmax(x·W + b)} and its argmax. */
    MATMUL_SOFTMAX_ARGMAX("matmul,softmax,argmax");

    private final String spelling;

    Ops(String spelling) {
        this.spelling = spelling;
    }

    /** Whether the ops start with a matmul, which needs weights. */
    public boolean needsWeights() {
        return spelling.startsWith("matmul");
    }

    /** Whether a softmax runs (after the matmul, if any). */
    public boolean softmax() {
        return spelling.contains("softmax");
    }

    /** Whether each row's class is added, as an int32 column of its own. */
    public boolean argmax() {
        return spelling.endsWith("argmax");
    }

    /** Parses the command-line spelling ({@code matmul}, {@code softmax}, {@code matmul,softmax,argmax}, ...). */
    public static Ops parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BadInputException("no ops given; expected one of " + choices());
        }
        List<String> parts = Arrays.stream(text.split(","))
                .map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
        for (String part : parts) {
            if (!part.equals("matmul") && !part.equals("softmax") && !part.equals("argmax")) {
                throw new BadInputException("unknown op '" + part + "'; the ops are matmul, softmax and argmax ("
                        + choices() + ")");
            }
        }
        String normal = String.join(",", parts);
        for (Ops op : values()) {
            if (op.spelling.equals(normal)) {
                return op;
            }
        }
        throw new BadInputException("unsupported op sequence '" + text + "'; expected one of " + choices());
    }

    private static String choices() {
        return Arrays.stream(values()).map(o -> o.spelling).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return spelling;
    }
}
