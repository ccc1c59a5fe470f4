package org.repnas.examples;

import org.repnas.layers.Branch;
import org.repnas.layers.Architecture;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The searched architecture as a picture, like the paper's Figures 6-11: one row per block, one column per branch
 * type; a kept branch is a filled cell, shaded by its alpha (darker = higher) when alphas are known.
 */
public final class ArchitecturePicture {
    private static final int CELL = 28;
    private static final int LEFT = 110;
    private static final int TOP = 48;
    static final int TITLE_X = 6;
    static final int TITLE_BASELINE = 14;
    static final int ROW_LABEL_X = 6;

    private ArchitecturePicture() {
    }

    static String title(Architecture a) {
        return (a.model() == null ? "architecture" : a.model()) + ", " + a.keptCount() + " branches kept";
    }

    /** A block's name, cut to what fits left of the grid. */
    static String rowLabel(String name) {
        int fits = (LEFT - ROW_LABEL_X - 4) / BitmapFont.ADVANCE;
        return name.length() > fits ? name.substring(0, fits) : name;
    }

    /** Writes the PNG atomically (a half-written picture never replaces a previous one). */
    public static void write(Architecture a, Path png) throws IOException {
        Branch[] cols = Branch.values();
        int rows = a.blocks().size();
        int w = LEFT + cols.length * CELL + 16;
        int h = TOP + rows * CELL + 28;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (Architecture.BlockArchitecture b : a.blocks()) {
            if (b.alpha() == null) continue;
            for (double v : b.alpha().values()) { min = Math.min(min, v); max = Math.max(max, v); }
        }
        for (int r = 0; r < rows; r++) {
            Architecture.BlockArchitecture b = a.blocks().get(r);
            for (int c = 0; c < cols.length; c++) {
                int x = LEFT + c * CELL, y = TOP + r * CELL;
                boolean kept = b.kept().contains(cols[c].id());
                Map<String, Double> alpha = b.alpha();
                Double av = alpha == null ? null : alpha.get(cols[c].id());
                if (av != null) {                         // present branch: background shade by alpha
                    float t = max > min ? (float) ((av - min) / (max - min)) : 0.5f;
                    g.setColor(new Color(1f - 0.35f * t, 1f - 0.25f * t, 1f));
                    g.fillRect(x, y, CELL, CELL);
                }
                if (kept) {
                    g.setColor(new Color(0x1f, 0x4e, 0x9a));
                    g.fillRect(x + 5, y + 5, CELL - 10, CELL - 10);
                }
                g.setColor(Color.LIGHT_GRAY);
                g.setStroke(new BasicStroke(1f));
                g.drawRect(x, y, CELL, CELL);
            }
        }
        g.setColor(Color.BLACK);                          // labels in the built-in font: no system font needed
        BitmapFont.draw(g, title(a), TITLE_X, TITLE_BASELINE);
        for (int c = 0; c < cols.length; c++) {
            Graphics2D rot = (Graphics2D) g.create();
            rot.rotate(-Math.PI / 6, LEFT + c * CELL + 4, TOP - 4);
            BitmapFont.draw(rot, cols[c].label(), LEFT + c * CELL + 4, TOP - 4);
            rot.dispose();
        }
        for (int r = 0; r < rows; r++) {
            BitmapFont.draw(g, rowLabel(a.blocks().get(r).name()), ROW_LABEL_X, TOP + r * CELL + 18);
        }
        g.dispose();
        Path dir = png.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, png.getFileName().toString(), ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
