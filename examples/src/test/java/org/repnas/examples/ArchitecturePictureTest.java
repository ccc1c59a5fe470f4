package org.repnas.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repnas.layers.Architecture;
import org.repnas.layers.Branch;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The picture's labels are drawn in the built-in bitmap font, so they are there on a machine without fonts. */
class ArchitecturePictureTest {

    static Architecture pretrained() throws Exception {
        return Architecture.read(Path.of("../docs/pretrained-fashion-mnist/architecture.json"));
    }

    /** Dark pixels (label ink) in a rectangle. */
    static int ink(BufferedImage img, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(img.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(img.getWidth(), x1); x++) {
                Color c = new Color(img.getRGB(x, y));
                if (c.getRed() + c.getGreen() + c.getBlue() < 3 * 128) n++;
            }
        }
        return n;
    }

    @Test
    void labelsAreDrawnWithoutSystemFonts(@TempDir Path dir) throws Exception {
        Architecture a = pretrained();
        Path png = dir.resolve("architecture.png");
        ArchitecturePicture.write(a, png);
        BufferedImage img = ImageIO.read(png.toFile());

        // the title: exactly the bitmap font's pixels, whatever fonts the machine has
        String title = ArchitecturePicture.title(a);
        BufferedImage expected = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = expected.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        BitmapFont.draw(g, title, ArchitecturePicture.TITLE_X, ArchitecturePicture.TITLE_BASELINE);
        g.dispose();
        int top = ArchitecturePicture.TITLE_BASELINE - BitmapFont.ASCENT;
        int inkPixels = 0;
        for (int y = top; y < top + BitmapFont.HEIGHT; y++) {
            for (int x = 0; x < ArchitecturePicture.TITLE_X + BitmapFont.width(title) + 2; x++) {
                assertEquals(expected.getRGB(x, y), img.getRGB(x, y), "title pixel " + x + "," + y);
                if (expected.getRGB(x, y) == Color.BLACK.getRGB()) inkPixels++;
            }
        }
        assertTrue(inkPixels > 10 * title.length(), "the title has ink: " + inkPixels);

        // every block name left of its row, every branch label above its column
        int cell = 28, left = 110, gridTop = 48;
        for (int r = 0; r < a.blocks().size(); r++) {
            int ink = ink(img, 0, gridTop + r * cell, left - 2, gridTop + (r + 1) * cell);
            assertTrue(ink > 20, "label of row " + r + " (" + a.blocks().get(r).name() + "): " + ink + " dark pixels");
        }
        for (int c = 0; c < Branch.values().length; c++) {
            int x = left + c * cell;
            int ink = ink(img, x, 20, x + 2 * cell, gridTop - 1);
            assertTrue(ink > 15, "label of column " + Branch.values()[c].label() + ": " + ink + " dark pixels");
        }
        assertEquals(0, ink(img, img.getWidth() - 12, gridTop, img.getWidth(), img.getHeight()), "no ink right of the grid");
    }

    @Test
    void everyPrintableCharacterHasItsOwnGlyph() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (char ch = 33; ch < 127; ch++) {
            BufferedImage img = new BufferedImage(BitmapFont.WIDTH, BitmapFont.HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.WHITE);
            BitmapFont.draw(g, String.valueOf(ch), 0, BitmapFont.ASCENT);
            StringBuilder sb = new StringBuilder();
            for (int y = 0; y < BitmapFont.HEIGHT; y++) for (int x = 0; x < BitmapFont.WIDTH; x++) sb.append(img.getRGB(x, y) & 1);
            assertTrue(seen.add(sb.toString()), "'" + ch + "' looks like another character");
        }
    }
}
