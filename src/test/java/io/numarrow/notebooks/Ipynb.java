package io.numarrow.notebooks;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A Jupyter notebook file (nbformat 4): its code cells in, their outputs out. */
final class Ipynb {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final ObjectNode root;

    private Ipynb(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    static Ipynb read(Path file) throws IOException {
        JsonNode node = JSON.readTree(file.toFile());
        if (!(node instanceof ObjectNode object) || !(object.get("cells") instanceof ArrayNode)) {
            throw new IOException(file + ": not a Jupyter notebook (no 'cells' array)");
        }
        return new Ipynb(file, object);
    }

    Path file() {
        return file;
    }

    /** The kernelspec's language, e.g. {@code java}. */
    String kernelLanguage() {
        return root.path("metadata").path("kernelspec").path("language").asText("");
    }

    /** The source of every code cell, in order. */
    List<String> codeCells() {
        List<String> sources = new ArrayList<>();
        for (JsonNode cell : root.get("cells")) {
            if ("code".equals(cell.path("cell_type").asText())) {
                sources.add(joinSource(cell.get("source")));
            }
        }
        return sources;
    }

    /**
     * Each code cell's saved outputs reduced to their kinds: {@code stream:stdout},
     * {@code display:image/png,text/plain}, {@code result:text/plain}.
     */
    List<List<String>> outputKinds() {
        List<List<String>> cells = new ArrayList<>();
        for (JsonNode cell : root.get("cells")) {
            if (!"code".equals(cell.path("cell_type").asText())) {
                continue;
            }
            List<String> kinds = new ArrayList<>();
            for (JsonNode output : cell.path("outputs")) {
                String type = output.path("output_type").asText();
                if (type.equals("stream")) {
                    kinds.add("stream:" + output.path("name").asText());
                } else {
                    List<String> mimes = new ArrayList<>();
                    output.path("data").fieldNames().forEachRemaining(mimes::add);
                    mimes.sort(null);
                    kinds.add((type.equals("execute_result") ? "result:" : "display:") + String.join(",", mimes));
                }
            }
            cells.add(kinds);
        }
        return cells;
    }

    private static String joinSource(JsonNode source) {
        if (source == null || source.isNull()) {
            return "";
        }
        if (source.isTextual()) {
            return source.asText();
        }
        StringBuilder text = new StringBuilder();
        source.forEach(line -> text.append(line.asText()));
        return text.toString();
    }

    /** Replaces the outputs of code cell {@code index} (0-based among code cells). */
    void setOutputs(int index, int executionCount, List<CellOutput> outputs) {
        int seen = 0;
        for (JsonNode cell : root.get("cells")) {
            if (!"code".equals(cell.path("cell_type").asText())) {
                continue;
            }
            if (seen++ == index) {
                ObjectNode code = (ObjectNode) cell;
                code.put("execution_count", executionCount);
                ArrayNode array = code.putArray("outputs");
                outputs.forEach(o -> array.add(toJson(o, executionCount)));
                return;
            }
        }
        throw new IndexOutOfBoundsException(file + " has no code cell " + index);
    }

    private static ObjectNode toJson(CellOutput output, int executionCount) {
        ObjectNode node = JSON.createObjectNode();
        switch (output) {
            case CellOutput.Stream s -> {
                node.put("name", s.name());
                node.put("output_type", "stream");
                node.set("text", lines(s.text()));
            }
            case CellOutput.Display d -> {
                node.set("data", data(d.data()));
                node.putObject("metadata");
                node.put("output_type", "display_data");
            }
            case CellOutput.Result r -> {
                node.set("data", data(r.data()));
                node.put("execution_count", executionCount);
                node.putObject("metadata");
                node.put("output_type", "execute_result");
            }
        }
        return node;
    }

    private static ObjectNode data(Map<String, String> data) {
        ObjectNode node = JSON.createObjectNode();
        data.forEach((mime, value) -> {
            if (mime.startsWith("image/")) {
                node.put(mime, value); // base64, one string as Jupyter writes it
            } else {
                node.set(mime, lines(value));
            }
        });
        return node;
    }

    /** Jupyter's multi-line string: a list of lines, each but the last ending in a newline. */
    private static ArrayNode lines(String text) {
        ArrayNode array = JSON.createArrayNode();
        for (String line : text.split("(?<=\n)")) {
            if (!line.isEmpty()) {
                array.add(line);
            }
        }
        return array;
    }

    void write() throws IOException {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter(" ", "\n"))
                .withArrayIndenter(new DefaultIndenter(" ", "\n"));
        String text = JSON.writer(printer).writeValueAsString(root) + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
