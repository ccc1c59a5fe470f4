package org.repnas.examples;

import java.awt.Graphics2D;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A 5 x 9 pixel font for printable ASCII, drawn as filled pixels: text that needs no system font (a machine without a
 * font package has none, and AWT then draws no text at all). The glyphs are in {@code font-5x9.txt} beside this class;
 * any other character is drawn as '?'.
 */
final class BitmapFont {
    static final int WIDTH = 5;
    static final int HEIGHT = 9;
    /** Rows above the baseline. */
    static final int ASCENT = 7;
    /** Advance per character: the glyph and one pixel of space. */
    static final int ADVANCE = WIDTH + 1;

    private static final Map<Character, boolean[][]> GLYPHS = load();

    private BitmapFont() {
    }

    private static Map<Character, boolean[][]> load() {
        Map<Character, boolean[][]> glyphs = new HashMap<>();
        try (InputStream in = BitmapFont.class.getResourceAsStream("font-5x9.txt")) {
            if (in == null) throw new IllegalStateException("font-5x9.txt is missing from the examples jar: rebuild it");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith("char ")) continue;
                String name = line.substring(5);
                char c = name.equals("space") ? ' ' : name.charAt(0);
                boolean[][] rows = new boolean[HEIGHT][WIDTH];
                for (int y = 0; y < HEIGHT; y++) {
                    String row = r.readLine();
                    for (int x = 0; x < WIDTH; x++) rows[y][x] = row.charAt(x) == '#';
                }
                glyphs.put(c, rows);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return glyphs;
    }

    /** Width in pixels of {@code text}. */
    static int width(String text) {
        return text.isEmpty() ? 0 : text.length() * ADVANCE - 1;
    }

    /** Draws {@code text} in the current colour and transform, its baseline at {@code y}, starting at {@code x}. */
    static void draw(Graphics2D g, String text, int x, int y) {
        for (int i = 0; i < text.length(); i++) {
            boolean[][] glyph = GLYPHS.getOrDefault(text.charAt(i), GLYPHS.get('?'));
            for (int row = 0; row < HEIGHT; row++) {
                for (int col = 0; col < WIDTH; col++) {
                    if (glyph[row][col]) g.fillRect(x + i * ADVANCE + col, y - ASCENT + row, 1, 1);
                }
            }
        }
    }
}
