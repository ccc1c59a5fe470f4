package org.repnas.examples;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process's peak resident memory next to what training the network needs: its parameters, their gradients and the
 * updater state, plus the activations between layers for one training batch (a lower bound: each ODBB also keeps its
 * branches' intermediates for backprop, a few times its output).
 */
record MemoryReport(long peakResidentBytes, long parameterBytes, long activationBytes, int batch) {

    static MemoryReport of(MultiLayerNetwork net, DataSet sample) {
        int batch = (int) Math.min(64, sample.numExamples());
        long bytesPer = net.params().dataType().width();
        long updater = net.getUpdater() == null || net.getUpdater().getStateViewArray() == null ? 0
                : net.getUpdater().getStateViewArray().length();
        long parameters = (2 * net.numParams() + updater) * bytesPer;
        INDArray x = sample.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, batch)).dup();
        List<INDArray> acts = net.feedForward(x, true);
        long activations = acts.stream().mapToLong(INDArray::length).sum() * bytesPer;
        return new MemoryReport(peakResident(), parameters, activations, batch);
    }

    /** VmHWM of /proc/self/status; -1 where there is none. */
    static long peakResident() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    String line() {
        return String.format("memory: peak resident %s for this process; training needs %.1f MB for parameters, "
                        + "gradients and updater state and %.1f MB for the activations between layers at batch %d",
                peakResidentBytes < 0 ? "unknown" : String.format("%.2f GB", peakResidentBytes / 1e9),
                parameterBytes / 1e6, activationBytes / 1e6, batch);
    }
}
