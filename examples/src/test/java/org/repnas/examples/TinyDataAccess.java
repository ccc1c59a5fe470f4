package org.repnas.examples;

import java.io.IOException;
import java.nio.file.Path;

/** {@link TinyData} for tests in other packages. */
public final class TinyDataAccess {
    private TinyDataAccess() {
    }

    /** Gzipped Fashion-MNIST IDX files with n training and m test images of random pixels. */
    public static Path fashionIdx(Path dir, int n, int m) throws IOException {
        return TinyData.fashionIdx(dir, n, m, 0x803);
    }
}
