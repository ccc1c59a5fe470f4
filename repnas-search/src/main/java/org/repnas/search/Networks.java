package org.repnas.search;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The few things DL4J's {@code Model} and {@code NeuralNetwork} interfaces do not offer, for both network types, in one
 * place: counters and a forward pass on bare features.
 */
final class Networks {
    private Networks() {
    }

    static int epochCount(Model model) {
        if (model instanceof MultiLayerNetwork m) return m.getEpochCount();
        if (model instanceof ComputationGraph g) return g.getEpochCount();
        throw unsupported(model);
    }

    static int iterationCount(Model model) {
        if (model instanceof MultiLayerNetwork m) return m.getIterationCount();
        if (model instanceof ComputationGraph g) return g.getIterationCount();
        throw unsupported(model);
    }

    static void setCounts(Model model, int iterations, int epochs) {
        if (model instanceof MultiLayerNetwork m) {
            m.getLayerWiseConfigurations().setIterationCount(iterations);
            m.getLayerWiseConfigurations().setEpochCount(epochs);
        } else if (model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(iterations);
            g.getConfiguration().setEpochCount(epochs);
        } else {
            throw unsupported(model);
        }
    }

    /** The network's output for a batch of features, with batch statistics ({@code training}) or running ones. */
    static INDArray output(Model model, INDArray features, boolean training) {
        if (model instanceof MultiLayerNetwork m) return m.output(features, training);
        if (model instanceof ComputationGraph g) return g.outputSingle(training, features);
        throw unsupported(model);
    }

    /** The layer a gradient key ("layer_param") belongs to. */
    static org.deeplearning4j.nn.api.Layer layerOf(Model model, String gradientKey) {
        String layer = gradientKey.substring(0, gradientKey.lastIndexOf('_'));
        if (model instanceof MultiLayerNetwork m) return m.getLayer(Integer.parseInt(layer));
        if (model instanceof ComputationGraph g) return g.getLayer(layer);
        throw unsupported(model);
    }

    static java.util.Collection<org.deeplearning4j.optimize.api.TrainingListener> listeners(Model model) {
        if (model instanceof MultiLayerNetwork m) return m.getListeners();
        if (model instanceof ComputationGraph g) return g.getListeners();
        throw unsupported(model);
    }

    static String typeName(Model model) {
        if (model instanceof MultiLayerNetwork) return "MultiLayerNetwork";
        if (model instanceof ComputationGraph) return "ComputationGraph";
        throw unsupported(model);
    }

    private static IllegalArgumentException unsupported(Model model) {
        return new IllegalArgumentException("Expected a MultiLayerNetwork or ComputationGraph, got "
                + (model == null ? "null" : model.getClass().getName()));
    }
}
