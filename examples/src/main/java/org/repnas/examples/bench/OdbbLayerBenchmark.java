package org.repnas.examples.bench;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.repnas.backend.OneDnnLayerHelpers;
import org.repnas.examples.Timing;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbConvLayerImpl;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.layers.fusion.SameDiffExport;

import java.util.EnumSet;

/**
 * One ODBB of 64 channels at 32x32, batch 64: a training step (forward, backward, update) and inference for PLAIN,
 * REPVGG, DBB, ALL and ALL with only two branches on; then the fused block against a plain convolution of the same
 * shape (DL4J ConvolutionLayer and SameDiff). Medians of repeated runs after warm-up.
 *
 * <pre>mvn -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.OdbbLayerBenchmark</pre>
 */
public final class OdbbLayerBenchmark {
    static final int C = 64, HW = 32, BATCH = 64;

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Nd4j.getRandom().setSeed(1);
        INDArray x = Nd4j.randn(DataType.FLOAT, BATCH, C, HW, HW);
        DataSet ds = new DataSet(x, Nd4j.randn(DataType.FLOAT, BATCH, C, HW, HW));
        System.out.printf("ODBB %d->%d channels, %dx%d, batch %d, %s; median of %d%n", C, C, HW, HW, BATCH,
                Nd4j.getExecutioner().getEnvironmentInformation().getProperty("blas.vendor", "nd4j-native"), reps);
        System.out.println("| block | branches on | train step (ms) | inference (ms) |");
        System.out.println("|---|---|---|---|");
        for (String name : new String[]{"PLAIN", "REPVGG", "DBB", "ALL", "ALL, 2 on"}) {
            BlockPreset p = BlockPreset.valueOf(name.split(",")[0]);
            MultiLayerNetwork net = network(OdbbConvLayer.builder().nOut(C).preset(p).build());
            OdbbConvLayer conf = ((OdbbConvLayerImpl) net.getLayer(0)).odbbConf();
            if (name.endsWith("2 on")) conf.setActiveBranches(EnumSet.of(Branch.KXK, Branch.CONV_1X1_KXK));
            double train = Timing.medianMs(() -> net.fit(ds), 3, reps);
            double infer = Timing.medianMs(() -> net.output(x, false), 3, reps);
            System.out.printf("| %s | %s | %.1f | %.1f |%n", name, conf.getActiveBranches().stream().map(Branch::id).toList(), train, infer);
            if (name.equals("ALL")) fusedAgainstPlain(net, x, reps);
        }
    }

    static void fusedAgainstPlain(MultiLayerNetwork all, INDArray x, int reps) {
        MultiLayerNetwork fused = NetworkFuser.fuse(all);
        // built like the fused network, with DL4J's oneDNN helpers, so that the two are compared on equal terms
        MultiLayerNetwork plain = OneDnnLayerHelpers.attach(
                network(new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(C).activation(Activation.RELU).build()));
        SameDiff fusedSd = SameDiffExport.fromNetwork(all);
        SameDiff plainSd = SameDiffExport.fromNetwork(plain);
        System.out.printf("%nfused ALL block vs a plain 3x3 convolution of the same shape, inference (ms):%n");
        System.out.printf("| | DL4J ConvolutionLayer | SameDiff conv2d |%n|---|---|---|%n");
        System.out.printf("| fused ALL block | %.1f | %.1f |%n", Timing.medianMs(() -> fused.output(x, false), 3, reps),
                Timing.medianMs(() -> SameDiffExport.output(fusedSd, x), 3, reps));
        System.out.printf("| plain convolution | %.1f | %.1f |%n%n", Timing.medianMs(() -> plain.output(x, false), 3, reps),
                Timing.medianMs(() -> SameDiffExport.output(plainSd, x), 3, reps));
    }

    static MultiLayerNetwork network(Layer layer) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
                .updater(new Nesterovs(0.01, 0.9)).list()
                .layer(layer)
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(HW, HW, C)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
