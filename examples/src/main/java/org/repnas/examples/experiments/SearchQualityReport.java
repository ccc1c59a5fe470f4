package org.repnas.examples.experiments;

import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.repnas.io.AtomicFiles;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The experiment's outputs from its finished runs: the table as Markdown (mean ± standard deviation over seeds), the
 * same as JSON ({@code {"data", "train_images", "epochs", "rows": [{"method", "branches", "accuracy": [per seed]}]}}),
 * and a plot of accuracy against branches kept.
 */
final class SearchQualityReport {
    private SearchQualityReport() {
    }

    /** One row: a method at a branch count, with one accuracy per seed. */
    record Row(@JsonProperty("method") String method, @JsonProperty("branches") int branches,
               @JsonProperty("accuracy") List<Double> accuracy) {
        double mean() {
            return accuracy.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        double std() {
            double m = mean();
            int n = accuracy.size();
            return n < 2 ? 0 : Math.sqrt(accuracy.stream().mapToDouble(a -> (a - m) * (a - m)).sum() / (n - 1));
        }
    }

    record Table(@JsonProperty("data") String data, @JsonProperty("train_images") int trainImages,
                 @JsonProperty("epochs") int epochs, @JsonProperty("rows") List<Row> rows) {
    }

    static void write(List<SearchQualityExperiment.Run> runs, String data, int trainImages, int epochs, Path out,
                      String command) throws IOException {
        Map<String, List<SearchQualityExperiment.Run>> groups = new LinkedHashMap<>();
        for (SearchQualityExperiment.Method m : SearchQualityExperiment.Method.values()) {
            runs.stream().filter(r -> r.method() == m).sorted((a, b) -> Integer.compare(b.budget(), a.budget()))
                    .forEach(r -> groups.computeIfAbsent(m.name() + "/" + r.budget(), k -> new ArrayList<>()).add(r));
        }
        List<Row> rows = new ArrayList<>();
        Map<Row, double[]> extra = new LinkedHashMap<>();        // fused latency and alpha spread, per row
        for (List<SearchQualityExperiment.Run> g : groups.values()) {
            g.sort((a, b) -> Integer.compare(a.seed(), b.seed()));
            Row row = new Row(g.get(0).method().name(), g.get(0).branches(), g.stream().map(SearchQualityExperiment.Run::accuracy).toList());
            rows.add(row);
            extra.put(row, new double[]{
                    g.stream().mapToDouble(SearchQualityExperiment.Run::fusedLatencyMs).average().orElse(Double.NaN),
                    g.stream().filter(r -> r.alphaStd() != null).mapToDouble(SearchQualityExperiment.Run::alphaStd).average().orElse(Double.NaN),
                    g.stream().mapToDouble(SearchQualityExperiment.Run::seconds).average().orElse(Double.NaN)});
        }
        Table table = new Table(data, trainImages, epochs, rows);
        AtomicFiles.writeString(out.resolve("search-quality.json"), SearchQualityExperiment.JSON.writeValueAsString(table));

        StringBuilder md = new StringBuilder();
        md.append("# Search quality: ").append(data).append(", ").append(trainImages).append(" training images, ")
                .append(epochs).append(" epochs\n\n");
        md.append("Made by `").append(command).append("`.\n\n");
        md.append("| method | branches | test accuracy (mean ± std) | seeds | fused latency, batch 64 (ms) | alpha std | minutes per run |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            double[] x = extra.get(r);
            md.append(String.format("| %s | %d | %.4f ± %.4f | %d | %.1f | %s | %.1f |%n", r.method(), r.branches(), r.mean(),
                    r.std(), r.accuracy().size(), x[0], Double.isNaN(x[1]) ? "-" : String.format("%.3f", x[1]), x[2] / 60));
        }
        md.append("\nalpha std: the spread of the architecture parameters at the end of the search; the logistic noise "
                + "added to them while searching has a standard deviation of pi / sqrt(3) = 1.81.\n");
        AtomicFiles.writeString(out.resolve("search-quality.md"), md.toString());
        AtomicFiles.write(out.resolve("search-quality.png"), tmp -> ImageIO.write(plot(rows, data), "png", tmp.toFile()));
    }

    /** Accuracy (mean, with a bar of one standard deviation) against branches kept, one colour per method. */
    static BufferedImage plot(List<Row> rows, String title) {
        int w = 640, h = 420, left = 70, right = 150, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double minB = rows.stream().mapToInt(Row::branches).min().orElse(0) - 2;
        double maxB = rows.stream().mapToInt(Row::branches).max().orElse(1) + 2;
        double minA = rows.stream().mapToDouble(r -> r.mean() - r.std()).min().orElse(0) - 0.005;
        double maxA = rows.stream().mapToDouble(r -> r.mean() + r.std()).max().orElse(1) + 0.005;
        int pw = w - left - right, ph = h - top - bottom;
        g.setColor(Color.GRAY);
        g.drawRect(left, top, pw, ph);
        Color[] colours = {new Color(0x55, 0x55, 0x55), new Color(0x1f, 0x77, 0xb4), new Color(0x2c, 0xa0, 0x2c),
                new Color(0x94, 0x67, 0xbd), new Color(0xff, 0x7f, 0x0e), new Color(0xd6, 0x27, 0x28), new Color(0x8c, 0x56, 0x4b)};
        List<String> methods = rows.stream().map(Row::method).distinct().toList();
        for (Row r : rows) {
            Color c = colours[SearchQualityExperiment.Method.valueOf(r.method()).ordinal() % colours.length];
            int x = left + (int) ((r.branches() - minB) / (maxB - minB) * pw);
            int y = top + (int) ((maxA - r.mean()) / (maxA - minA) * ph);
            int y0 = top + (int) ((maxA - (r.mean() + r.std())) / (maxA - minA) * ph);
            int y1 = top + (int) ((maxA - (r.mean() - r.std())) / (maxA - minA) * ph);
            g.setColor(c);
            g.setStroke(new BasicStroke(1.5f));
            g.drawLine(x, y0, x, y1);
            g.fillOval(x - 5, y - 5, 10, 10);
        }
        try {                       // labels need a font; without one the points still tell
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            g.drawString(title + ": test accuracy against branches kept", left, 24);
            g.drawString("branches kept", left + pw / 2 - 40, h - 12);
            for (int i = 0; i <= 4; i++) {
                double a = minA + (maxA - minA) * i / 4;
                int y = top + ph - ph * i / 4;
                g.drawString(String.format("%.3f", a), 8, y + 4);
                double b = minB + (maxB - minB) * i / 4;
                g.drawString(String.format("%.0f", b), left + pw * i / 4 - 6, top + ph + 18);
            }
            for (int i = 0; i < methods.size(); i++) {
                g.setColor(colours[SearchQualityExperiment.Method.valueOf(methods.get(i)).ordinal() % colours.length]);
                g.fillOval(w - right + 16, top + 10 + i * 20, 10, 10);
                g.setColor(Color.BLACK);
                g.drawString(methods.get(i), w - right + 32, top + 20 + i * 20);
            }
        } catch (RuntimeException | Error noFont) {
            System.err.println("note: no font available, the plot has no labels (" + noFont + ")");
        }
        g.dispose();
        return img;
    }
}
