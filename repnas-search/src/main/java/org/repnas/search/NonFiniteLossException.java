package org.repnas.search;

/** The training loss became NaN or infinite; the search stopped and its last checkpoint is untouched. */
public class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String message) {
        super(message);
    }
}
