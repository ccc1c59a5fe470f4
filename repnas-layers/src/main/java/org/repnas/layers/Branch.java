package org.repnas.layers;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The seven branches of an optimal diverse branch block (RepNAS search space, paper Fig. 3). Each branch ends in its
 * own BatchNorm; the block output is the sum of the active branches. The order here is the order of the gates and of
 * the columns in architecture files.
 */
public enum Branch {
    /** The main KxK convolution; every other conv kernel of the block is a centre crop of its weight. */
    KXK("kxk", "KxK", "Kxk"),
    /** 1x1 convolution (centre of the KxK kernel). */
    CONV_1X1("1x1", "1x1", "1x1"),
    /** 1xK convolution (middle row of the KxK kernel). */
    CONV_1XK("1xk", "1xK", "1xK"),
    /** Kx1 convolution (middle column of the KxK kernel). */
    CONV_KX1("kx1", "Kx1", "Kx1"),
    /** 1x1 convolution (own weight, identity-initialised), BatchNorm, then the KxK convolution. */
    CONV_1X1_KXK("1x1_kxk", "1x1-KxK", "1x1Kxk"),
    /** 1x1 convolution, BatchNorm, then KxK average pooling. */
    CONV_1X1_AVG("1x1_avg", "1x1-AVG", "1x1Avg"),
    /** BatchNorm of the input itself; only when nIn == nOut and stride == 1. */
    IDENTITY("identity", "identity", "Identity");

    private final String id;
    private final String label;
    private final String paramKey;

    Branch(String id, String label, String paramKey) {
        this.id = id;
        this.label = label;
        this.paramKey = paramKey;
    }

    /**
     * The branch's part of parameter names, e.g. {@code 1x1Kxk} in {@code bn1x1KxkGamma}. DL4J splits gradient keys
     * ("layer_param") at the last underscore, so parameter names cannot contain one.
     */
    public String paramKey() {
        return paramKey;
    }

    /** Short id used in parameter names and architecture files, e.g. {@code 1x1_kxk}. */
    public String id() {
        return id;
    }

    /** Human-readable name, e.g. {@code 1x1-KxK}. */
    public String label() {
        return label;
    }

    /** Parses an id or a label (case-insensitive), e.g. "1x1_kxk", "1x1-KxK" or "CONV_1X1_KXK". */
    public static Branch parse(String s) {
        for (Branch b : values()) {
            if (b.id.equalsIgnoreCase(s) || b.label.equalsIgnoreCase(s) || b.name().equalsIgnoreCase(s)) {
                return b;
            }
        }
        throw new IllegalArgumentException("Unknown branch '" + s + "': use one of "
                + Arrays.stream(values()).map(Branch::id).collect(Collectors.joining(", ")));
    }
}
