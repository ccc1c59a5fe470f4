package org.repnas.layers;

/** How an active branch is gated during a search (R = alpha + zeta, s = sigmoid(R / lambda)). */
public enum GateMode {
    /**
     * The paper's gate (Eq. 11-13 with the kept branches' Z driven to 1): the branch is multiplied by a gate whose
     * value is exactly 1 and whose gradient to alpha is that of s. The default.
     */
    STRAIGHT_THROUGH,
    /**
     * The continuous relaxation of Eq. 11: the branch is multiplied by s itself. Its alpha gradient is the true
     * gradient of the loss, which makes it checkable numerically; fused inference then differs from training.
     */
    RELAXED
}
