package io.numarrow.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;

@Timeout(60)
class BenchPlotTest {
    private static final double TOLERANCE = 1e-9;

    private static BenchResult r(String suite, String params, String impl, double score, String unit) {
        return new BenchResult(suite, "bench", params, impl, score, unit);
    }

    @Test
    void matmulScoresBecomeGflopsFromTheShape() {
        // 10 products of 1024³ per second: 2·1024³·10 flops/s
        double expected = 2.0 * 1024 * 1024 * 1024 * 10 / 1e9;
        assertEquals(expected, BenchPlot.metric(r("matmul", "n=1024;threads=2", "numarrow", 10, "ops/s")).value(), TOLERANCE);
        assertEquals(expected, BenchPlot.metric(r("matmul", "n=1024", "openblas", 100, "ms/op")).value(), TOLERANCE);
        assertEquals(expected, BenchPlot.metric(r("matmul", "n=1024", "ejml", 0.01, "ops/ms")).value(), TOLERANCE);
        assertEquals(2.0 * 15 * 17 * 255 * 1e6 / 1e9,
                BenchPlot.metric(r("matmul", "m=15;k=17;n=255", "numarrow", 1, "us/op")).value(), TOLERANCE);
        assertEquals(2.0 * 64 * 64 * 64 * 5 / 1e9, BenchPlot.metric(r("matmul", "size=64", "scalar", 5, "ops/s")).value(), TOLERANCE);
        assertTrue(BenchPlot.metric(r("matmul", "n=1024", "numarrow", 1, "ops/s")).axis().startsWith("GFLOPS"));
    }

    @Test
    void softmaxAndMemoryBecomeGigabytesPerSecond() {
        BenchPlot.Metric softmax = BenchPlot.metric(r("softmax", "rows=8192;cols=4096", "numarrow", 100, "ops/s"));
        assertEquals(8192.0 * 4096 * 4 * 2 * 100 / 1e9, softmax.value(), TOLERANCE);
        assertTrue(softmax.axis().startsWith("GB/s"), softmax.axis());
        assertEquals(1024.0 * 1024 * 1000 / 1e9,
                BenchPlot.metric(r("memory", "size=1MiB", "numarrow", 1000, "ops/s")).value(), TOLERANCE);
        assertEquals(4096.0 * 2e6 / 1e9,
                BenchPlot.metric(r("memory", "bytes=4096", "arrow", 0.5, "us/op")).value(), TOLERANCE);
        assertEquals(64.0 * 1024 * 1024 * 2 / 1e9,
                BenchPlot.metric(r("memory", "bytes=64M", "arrow", 2, "ops/s")).value(), TOLERANCE);
    }

    @Test
    void withoutAShapeTheRawScoreKeepsItsUnit() {
        BenchPlot.Metric pool = BenchPlot.metric(r("pool", "leaves=4096", "forkjoin", 12.5, "ops/s"));
        assertEquals(12.5, pool.value(), TOLERANCE);
        assertEquals("score, ops/s (higher is better)", pool.axis());
        BenchPlot.Metric avgt = BenchPlot.metric(r("matmul", "threads=2", "numarrow", 3.5, "ms/op"));
        assertEquals(3.5, avgt.value(), TOLERANCE);
        assertEquals("score, ms/op (lower is better)", avgt.axis());
        assertEquals(7, BenchPlot.metric(r("matmul", "n=64", "numarrow", 7, "furlongs")).value(), TOLERANCE);
        assertTrue(BenchPlot.opsPerSecond(0, "ops/s").isEmpty());
    }

    @Test
    void oneChartPerBenchmarkWithLabelledAxesAndALegendNumarrowFirst() {
        List<BenchResult> results = List.of(
                r("matmul", "n=256", "openblas", 2000, "ops/s"),
                r("matmul", "n=256", "numarrow", 1500, "ops/s"),
                r("matmul", "n=1024", "openblas", 40, "ops/s"),
                r("matmul", "n=1024", "numarrow", 30, "ops/s"),
                r("matmul", "n=1024", "ejml", 3, "ops/s"), // ejml not run at n=256: a missing bar
                new BenchResult("softmax", "rows", "rows=65536;cols=64", "numarrow", 900, "ops/s"),
                new BenchResult("softmax", "rows", "rows=65536;cols=64", "scalar", 150, "ops/s"));
        List<CategoryChart> charts = BenchPlot.charts(results);
        assertEquals(2, charts.size());
        CategoryChart matmul = charts.get(0);
        assertEquals("matmul: bench", matmul.getTitle());
        assertEquals("GFLOPS (higher is better)", matmul.getYAxisTitle());
        assertEquals("parameters (varying: n)", matmul.getXAxisTitle());
        assertEquals(List.of("numarrow", "openblas", "ejml"), List.copyOf(matmul.getSeriesMap().keySet()));
        assertTrue(matmul.getStyler().isLegendVisible());
        assertEquals("softmax: rows", charts.get(1).getTitle());
        assertTrue(charts.get(1).getYAxisTitle().startsWith("GB/s"));
        assertThrows(IllegalArgumentException.class, () -> BenchPlot.charts(List.of()));
    }

    @Test
    void writesAPng(@TempDir Path dir) throws Exception {
        List<BenchResult> results = List.of(
                r("matmul", "n=256", "numarrow", 1500, "ops/s"), r("matmul", "n=256", "openblas", 2000, "ops/s"),
                r("matmul", "n=2048", "numarrow", 4, "ops/s"), r("matmul", "n=2048", "openblas", 5, "ops/s"),
                new BenchResult("softmax", "rows", "rows=8192;cols=4096", "numarrow", 150, "ops/s"),
                new BenchResult("softmax", "rows", "rows=8192;cols=4096", "copy", 180, "ops/s"),
                new BenchResult("pool", "sum", "leaves=4096", "numarrow", 2.5, "ms/op"),
                new BenchResult("pool", "sum", "leaves=4096", "forkjoin", 2.8, "ms/op"));
        Path png = BenchPlot.write(results, dir.resolve("plots/bench.png"));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(2 * 900, image.getWidth());
        assertEquals(2 * 480, image.getHeight(), "three charts: two on the first row, one on the second");
        assertEquals(480, ImageIO.read(BenchPlot.write(results.subList(0, 6), dir.resolve("two.png")).toFile()).getHeight());
        if (System.getProperty("numarrow.benchplot.sample") != null) {
            Files.copy(png, Path.of(System.getProperty("numarrow.benchplot.sample")),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
