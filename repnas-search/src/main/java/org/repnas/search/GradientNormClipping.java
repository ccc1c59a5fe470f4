package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Clips the global L2 norm of the whole network's gradient, as PyTorch's {@code clip_grad_norm_} in the official RepNAS
 * training (max norm 5, alpha included). DL4J's own gradient normalization works per layer, and an ODBB keeps its
 * BatchNorm running-statistics steps in its gradient, so this listener clips between the backward pass and the updater
 * ({@code onGradientCalculation}), over the entries that are real gradients: those DL4J divides by the minibatch size
 * (which it does later, so the norm here is taken of the gradient divided by the minibatch size). Stateless.
 */
public class GradientNormClipping extends BaseTrainingListener implements Serializable {
    private static final long serialVersionUID = 1L;

    private final double maxNorm;

    public GradientNormClipping(double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("max gradient norm must be positive, got " + maxNorm);
        }
        this.maxNorm = maxNorm;
    }

    public double maxNorm() {
        return maxNorm;
    }

    @Override
    public void onGradientCalculation(Model model) {
        Gradient g = model.gradient();
        int batch = Math.max(1, model.batchSize());
        List<INDArray> clipped = new ArrayList<>();
        double sumSquares = 0;
        for (Map.Entry<String, INDArray> e : g.gradientForVariable().entrySet()) {
            String key = e.getKey();
            String param = key.substring(key.lastIndexOf('_') + 1);
            if (Networks.layerOf(model, key).updaterDivideByMinibatch(param)) {
                double n = e.getValue().norm2Number().doubleValue() / batch;
                sumSquares += n * n;
                clipped.add(e.getValue());
            }
        }
        double norm = Math.sqrt(sumSquares);
        if (norm > maxNorm) {
            double scale = maxNorm / (norm + 1e-6);          // PyTorch's clip_grad_norm_
            for (INDArray a : clipped) a.muli(scale);
        }
    }
}
