package org.repnas.examples.data;

import java.io.IOException;

/** An IDX file (the MNIST / Fashion-MNIST format) that is missing, truncated or not what it should be. */
public class IdxFormatException extends IOException {
    public IdxFormatException(String message) {
        super(message);
    }

    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
