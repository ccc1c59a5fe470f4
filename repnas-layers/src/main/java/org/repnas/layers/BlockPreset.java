package org.repnas.layers;

import java.util.EnumSet;
import java.util.Set;

/**
 * Hand-designed blocks of the re-parameterization literature, as subsets of the RepNAS search space. A preset's
 * identity branch is added only where it can exist (nIn == nOut and stride 1), as RepVGG does.
 */
public enum BlockPreset {
    /** A single KxK convolution with BatchNorm: the plain baseline. */
    PLAIN(EnumSet.of(Branch.KXK)),
    /** RepVGG: KxK, 1x1 and identity. */
    REPVGG(EnumSet.of(Branch.KXK, Branch.CONV_1X1, Branch.IDENTITY)),
    /** ACNet's asymmetric convolution block: KxK, 1xK and Kx1. */
    ACB(EnumSet.of(Branch.KXK, Branch.CONV_1XK, Branch.CONV_KX1)),
    /** Diverse branch block: KxK, 1x1, 1x1-KxK and 1x1-AVG. */
    DBB(EnumSet.of(Branch.KXK, Branch.CONV_1X1, Branch.CONV_1X1_KXK, Branch.CONV_1X1_AVG)),
    /** All seven branches: the RepNAS supernet block. */
    ALL(EnumSet.allOf(Branch.class));

    private final Set<Branch> branches;

    BlockPreset(Set<Branch> branches) {
        this.branches = branches;
    }

    /** The preset's branches for a block of the given shape (identity dropped where it cannot exist). */
    public EnumSet<Branch> branchesFor(long nIn, long nOut, int stride) {
        EnumSet<Branch> s = EnumSet.copyOf(branches);
        if (nIn != nOut || stride != 1) {
            s.remove(Branch.IDENTITY);
        }
        return s;
    }
}
