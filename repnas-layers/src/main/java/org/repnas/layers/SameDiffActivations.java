package org.repnas.layers;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/** DL4J activation functions as SameDiff ops (the ones convolutional networks use). */
public final class SameDiffActivations {
    private SameDiffActivations() {
    }

    /** {@code a} applied to {@code x}; softmax is over dimension 1. */
    public static SDVariable apply(SameDiff sd, IActivation a, SDVariable x) {
        if (a == null || a instanceof ActivationIdentity) {
            return x;
        } else if (a instanceof ActivationReLU r && r.getMax() == null && r.getThreshold() == null
                && (r.getNegativeSlope() == null || r.getNegativeSlope() == 0.0)) {
            return sd.nn().relu(x, 0.0);
        } else if (a instanceof ActivationLReLU l) {
            return sd.nn().leakyRelu(x, l.getAlpha());
        } else if (a instanceof ActivationReLU6) {
            return sd.nn().relu6(x, 0.0);
        } else if (a instanceof ActivationSigmoid) {
            return sd.nn().sigmoid(x);
        } else if (a instanceof ActivationTanH) {
            return sd.math().tanh(x);
        } else if (a instanceof ActivationSwish) {
            return sd.nn().swish(x);
        } else if (a instanceof ActivationELU e && e.getAlpha() == 1.0) {
            return sd.nn().elu(x);
        } else if (a instanceof ActivationSoftmax) {
            return sd.nn().softmax(x, 1);
        }
        throw new IllegalArgumentException("Activation " + a + " has no SameDiff form here; supported: identity, ReLU, "
                + "leaky ReLU, ReLU6, sigmoid, tanh, swish, ELU(1), softmax.");
    }
}
