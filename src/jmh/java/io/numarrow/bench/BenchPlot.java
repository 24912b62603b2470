package io.numarrow.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;
import org.knowm.xchart.style.Styler;

/**
 * A PNG of benchmark results, readable at a glance: one bar chart per benchmark, a group of bars
 * per parameter set, numarrow beside each baseline measured in the same run.
 *
 * <p>Scores become the rate that means something for the benchmark when its parameters say how
 * much work one operation is:
 * <ul>
 *   <li>matmul: GFLOPS, {@code 2·m·k·n} per operation, from params {@code m}, {@code k}, {@code n}
 *       ({@code n} or {@code size} alone: a square {@code n×n·n×n} product);</li>
 *   <li>softmax: GB/s, each float read and written once, from {@code rows} and {@code cols};</li>
 *   <li>memory: GB/s, from a {@code bytes} or {@code size} param (plain, or with K/M/G, KiB/MiB/GiB);</li>
 *   <li>anything else: the JMH score in its own unit, the axis saying whether higher or lower is better.</li>
 * </ul>
 * Scores in {@code ops/time} (thrpt) and {@code time/op} (avgt) are both understood.
 */
public final class BenchPlot {
    private static final int CHART_WIDTH = 900;
    private static final int CHART_HEIGHT = 480;
    private static final Pattern BYTES = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)", Pattern.CASE_INSENSITIVE);

    private BenchPlot() {
    }

    /** What a bar shows: the value, and the y axis title shared by one benchmark's bars. */
    record Metric(double value, String axis) {
    }

    /** Draws {@code results} into {@code png} (a grid of charts, two per row). */
    public static Path write(List<BenchResult> results, Path png) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // servers and CI have no display
        }
        List<CategoryChart> charts = charts(results);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        int cols = Math.min(2, charts.size());
        int rows = (charts.size() + cols - 1) / cols;
        // Drawn here rather than by XChart's grid encoder, which needs a full grid (no odd counts).
        BufferedImage image = new BufferedImage(cols * CHART_WIDTH, rows * CHART_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < charts.size(); i++) {
                g.drawImage(BitmapEncoder.getBufferedImage(charts.get(i)),
                        i % cols * CHART_WIDTH, i / cols * CHART_HEIGHT, null);
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer available to write " + png);
        }
        return png;
    }

    /** One chart per (suite, benchmark), in the order the results first name them. */
    static List<CategoryChart> charts(List<BenchResult> results) {
        if (results == null || results.isEmpty()) {
            throw new IllegalArgumentException("no benchmark results to plot");
        }
        Map<String, List<BenchResult>> groups = new LinkedHashMap<>();
        for (BenchResult r : results) {
            groups.computeIfAbsent(r.suite() + ": " + r.benchmark(), k -> new ArrayList<>()).add(r);
        }
        List<CategoryChart> charts = new ArrayList<>();
        groups.forEach((title, group) -> charts.add(chart(title, group)));
        return charts;
    }

    private static CategoryChart chart(String title, List<BenchResult> group) {
        List<Metric> metrics = group.stream().map(BenchPlot::metric).toList();
        boolean converted = metrics.stream().allMatch(m -> !m.axis().startsWith("score"))
                && metrics.stream().map(Metric::axis).distinct().count() == 1;
        if (!converted) {
            metrics = group.stream().map(BenchPlot::raw).toList(); // mixed: compare like with like
        }
        String axis = metrics.get(0).axis();
        if (metrics.stream().map(Metric::axis).distinct().count() > 1) {
            axis = "score (mixed units: " + String.join(", ", group.stream().map(BenchResult::unit).distinct().toList()) + ")";
        }

        List<String> categories = new ArrayList<>(new LinkedHashSet<>(group.stream().map(r -> label(r.params())).toList()));
        Set<String> impls = new LinkedHashSet<>();
        if (group.stream().anyMatch(r -> r.impl().equals("numarrow"))) {
            impls.add("numarrow");
        }
        group.forEach(r -> impls.add(r.impl()));

        CategoryChart chart = new CategoryChartBuilder().width(CHART_WIDTH).height(CHART_HEIGHT)
                .title(title).xAxisTitle(xAxisTitle(group)).yAxisTitle(axis).build();
        CategoryStyler styler = chart.getStyler();
        styler.setLegendVisible(true);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
        styler.setDecimalPattern("#,##0.##");
        styler.setLabelsVisible(true); // each bar's value on it: no reading off the axis
        styler.setLabelsFontColor(Color.BLACK);
        styler.setLabelsPosition(0.95);
        for (String impl : impls) {
            List<Double> values = new ArrayList<>();
            for (String category : categories) {
                Double value = null; // a baseline not run for these params: no bar
                for (int i = 0; i < group.size(); i++) {
                    BenchResult r = group.get(i);
                    if (r.impl().equals(impl) && label(r.params()).equals(category)) {
                        value = metrics.get(i).value();
                    }
                }
                values.add(value);
            }
            chart.addSeries(impl, categories, values);
        }
        return chart;
    }

    /** The benchmark's natural rate (GFLOPS, GB/s) when its params allow, else the raw score. */
    static Metric metric(BenchResult r) {
        OptionalDouble opsPerSecond = opsPerSecond(r.score(), r.unit());
        Map<String, String> params = params(r.params());
        if (opsPerSecond.isPresent()) {
            double rate = opsPerSecond.getAsDouble();
            switch (r.suite().toLowerCase(Locale.ROOT)) {
                case "matmul" -> {
                    OptionalDouble flops = matmulFlops(params);
                    if (flops.isPresent()) {
                        return new Metric(flops.getAsDouble() * rate / 1e9, "GFLOPS (higher is better)");
                    }
                }
                case "softmax" -> {
                    OptionalDouble rows = number(params, "rows", "m");
                    OptionalDouble cols = number(params, "cols", "n");
                    if (rows.isPresent() && cols.isPresent()) {
                        double bytes = rows.getAsDouble() * cols.getAsDouble() * Float.BYTES * 2;
                        return new Metric(bytes * rate / 1e9, "GB/s, floats read + written (higher is better)");
                    }
                }
                case "memory" -> {
                    OptionalDouble bytes = bytes(params);
                    if (bytes.isPresent()) {
                        return new Metric(bytes.getAsDouble() * rate / 1e9, "GB/s (higher is better)");
                    }
                }
                default -> {
                }
            }
        }
        return raw(r);
    }

    /** The JMH score as it is, its axis naming the unit and which way is better. */
    static Metric raw(BenchResult r) {
        boolean timePerOp = r.unit().endsWith("/op");
        return new Metric(r.score(), "score, " + r.unit() + (timePerOp ? " (lower is better)" : " (higher is better)"));
    }

    /** Operations per second from a JMH score: {@code ops/s}, {@code ops/ms}, ... or {@code s/op}, {@code ms/op}, ... */
    static OptionalDouble opsPerSecond(double score, String unit) {
        String[] parts = unit.trim().split("/");
        if (parts.length != 2 || score <= 0 || !Double.isFinite(score)) {
            return OptionalDouble.empty();
        }
        if (parts[0].equals("ops")) {
            OptionalDouble seconds = seconds(parts[1]);
            return seconds.isPresent() ? OptionalDouble.of(score / seconds.getAsDouble()) : seconds;
        }
        if (parts[1].equals("op")) {
            OptionalDouble seconds = seconds(parts[0]);
            return seconds.isPresent() ? OptionalDouble.of(1 / (score * seconds.getAsDouble())) : seconds;
        }
        return OptionalDouble.empty();
    }

    private static OptionalDouble seconds(String unit) {
        return switch (unit) {
            case "s" -> OptionalDouble.of(1);
            case "min" -> OptionalDouble.of(60);
            case "ms" -> OptionalDouble.of(1e-3);
            case "us", "µs", "μs" -> OptionalDouble.of(1e-6);
            case "ns" -> OptionalDouble.of(1e-9);
            default -> OptionalDouble.empty();
        };
    }

    private static OptionalDouble matmulFlops(Map<String, String> p) {
        OptionalDouble m = number(p, "m");
        OptionalDouble k = number(p, "k");
        OptionalDouble n = number(p, "n");
        OptionalDouble size = number(p, "size");
        if (m.isPresent() && k.isPresent() && n.isPresent()) {
            return OptionalDouble.of(2 * m.getAsDouble() * k.getAsDouble() * n.getAsDouble());
        }
        OptionalDouble rows = number(p, "rows");
        OptionalDouble d = number(p, "d");
        OptionalDouble h = number(p, "h");
        if (rows.isPresent() && d.isPresent() && h.isPresent()) {
            // the batch shape: rows×d times d×h
            return OptionalDouble.of(2 * rows.getAsDouble() * d.getAsDouble() * h.getAsDouble());
        }
        if (m.isEmpty() && k.isEmpty()) {
            OptionalDouble side = n.isPresent() ? n : size;
            if (side.isPresent()) {
                double s = side.getAsDouble();
                return OptionalDouble.of(2 * s * s * s);
            }
        }
        return OptionalDouble.empty();
    }

    private static OptionalDouble bytes(Map<String, String> p) {
        for (String key : List.of("bytes", "size")) {
            String value = p.get(key);
            if (value == null) {
                continue;
            }
            Matcher m = BYTES.matcher(value.trim());
            if (m.matches()) {
                String prefix = m.group(2).toLowerCase(Locale.ROOT);
                int power = prefix.isEmpty() ? 0 : "kmgt".indexOf(prefix) + 1;
                return OptionalDouble.of(Double.parseDouble(m.group(1)) * Math.pow(1024, power));
            }
        }
        return OptionalDouble.empty();
    }

    private static OptionalDouble number(Map<String, String> p, String... keys) {
        for (String key : keys) {
            String value = p.get(key);
            if (value != null) {
                try {
                    return OptionalDouble.of(Double.parseDouble(value.trim()));
                } catch (NumberFormatException e) {
                    return OptionalDouble.empty();
                }
            }
        }
        return OptionalDouble.empty();
    }

    /** {@code n=2048;threads=2} as a map, keys in lower case. */
    static Map<String, String> params(String params) {
        Map<String, String> map = new LinkedHashMap<>();
        if (params == null || params.isBlank()) {
            return map;
        }
        for (String pair : params.split("[;,]")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                map.put(pair.substring(0, eq).trim().toLowerCase(Locale.ROOT), pair.substring(eq + 1).trim());
            }
        }
        return map;
    }

    private static String label(String params) {
        if (params == null || params.isBlank()) {
            return "(no params)";
        }
        Map<String, String> p = params(params);
        if (p.isEmpty()) {
            return params;
        }
        List<String> parts = new ArrayList<>();
        p.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(" ", parts);
    }

    /** Names the params that change across the chart, e.g. {@code n, threads}. */
    private static String xAxisTitle(List<BenchResult> group) {
        Map<String, Set<String>> values = new LinkedHashMap<>();
        for (BenchResult r : group) {
            params(r.params()).forEach((k, v) -> values.computeIfAbsent(k, x -> new LinkedHashSet<>()).add(v));
        }
        List<String> varying = values.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).toList();
        if (values.isEmpty()) {
            return "benchmark";
        }
        return "parameters" + (varying.isEmpty() ? "" : " (varying: " + String.join(", ", varying) + ")");
    }
}
