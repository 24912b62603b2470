package io.numarrow.notebooks;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The line magics of the IJava/JJava kernels that notebooks use to find numarrow: {@code %jars}
 * and {@code %classpath} (simple globs, relative to the notebook's folder, the kernel's working
 * directory) and {@code %maven} (needs the network; skipped here with a note).
 *
 * <p>A magic is a line whose first non-blank character is {@code %}. The kernels take the rest of
 * the line as whitespace-separated arguments, with quotes grouping.
 */
final class LineMagics {
    /** A magic line found in a cell: its name and arguments. */
    record Magic(String name, List<String> args) {
    }

    /** A cell's source with its magic lines taken out (blanked, so line numbers still match). */
    record Split(String code, List<Magic> magics) {
    }

    private LineMagics() {
    }

    static Split split(String cellSource) {
        StringBuilder code = new StringBuilder();
        List<Magic> magics = new ArrayList<>();
        for (String line : cellSource.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("%%")) {
                throw new IllegalArgumentException("cell magic '" + trimmed.split("\\s+")[0]
                        + "' is not supported by the notebook runner");
            }
            if (trimmed.startsWith("%")) {
                List<String> words = words(trimmed.substring(1));
                if (words.isEmpty()) {
                    throw new IllegalArgumentException("empty line magic: '" + line + "'");
                }
                magics.add(new Magic(words.get(0), List.copyOf(words.subList(1, words.size()))));
                code.append('\n');
            } else {
                code.append(line).append('\n');
            }
        }
        code.setLength(Math.max(0, code.length() - 1));
        return new Split(code.toString(), magics);
    }

    /** Splits on whitespace; single or double quotes group words with spaces. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    current.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(current.toString());
                    current.setLength(0);
                    inWord = false;
                }
            } else {
                current.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unclosed quote in magic line: " + text);
        }
        if (inWord) {
            words.add(current.toString());
        }
        return words;
    }

    /**
     * The files and folders a kernel glob names, relative to {@code base}: {@code *} and {@code ?}
     * match within one path segment. A glob without wildcards names one path, kept if it exists.
     * A folder a wildcard segment has to walk through that does not exist matches nothing.
     */
    static List<Path> resolveGlob(Path base, String glob) throws IOException {
        String[] segments = glob.split("/+", -1);
        Path start = glob.startsWith("/") ? Path.of("/") : base;
        List<Path> current = List.of(start);
        for (String segment : segments) {
            if (segment.isEmpty()) {
                continue;
            }
            List<Path> next = new ArrayList<>();
            if (!segment.contains("*") && !segment.contains("?")) {
                for (Path p : current) {
                    next.add(p.resolve(segment));
                }
            } else {
                Pattern pattern = Pattern.compile(toRegex(segment));
                for (Path p : current) {
                    if (!Files.isDirectory(p)) {
                        continue;
                    }
                    try (DirectoryStream<Path> entries = Files.newDirectoryStream(p,
                            e -> pattern.matcher(e.getFileName().toString()).matches())) {
                        List<Path> sorted = new ArrayList<>();
                        entries.forEach(sorted::add);
                        sorted.sort(null);
                        next.addAll(sorted);
                    }
                }
            }
            current = next;
        }
        return current.stream().filter(Files::exists).map(p -> p.toAbsolutePath().normalize()).toList();
    }

    private static String toRegex(String segment) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : segment.toCharArray()) {
            if (c == '*' || c == '?') {
                if (!literal.isEmpty()) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return regex.toString();
    }
}
