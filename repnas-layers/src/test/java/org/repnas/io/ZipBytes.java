package org.repnas.io;

import java.util.Arrays;

/** Finds an entry's bytes inside a zip file, for tests that damage it there. */
public final class ZipBytes {
    private ZipBytes() {
    }

    /** Offset of the first data byte of {@code entry}: just after its local header (signature PK\3\4, name, extra). */
    public static int dataStart(byte[] zip, String entry) {
        byte[] name = entry.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 30; i + name.length <= zip.length; i++) {
            if (Arrays.equals(zip, i, i + name.length, name, 0, name.length)
                    && zip[i - 30] == 'P' && zip[i - 29] == 'K' && zip[i - 28] == 3 && zip[i - 27] == 4) {
                int extra = (zip[i - 2] & 0xFF) | (zip[i - 1] & 0xFF) << 8;
                return i + name.length + extra;
            }
        }
        throw new AssertionError("no local header for " + entry);
    }
}
