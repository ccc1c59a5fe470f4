package org.repnas.examples.bench;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.zoo.FashionMnistNet;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.examples.Timing;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.zoo.RepVgg;
import org.repnas.layers.fusion.SameDiffExport;
import org.repnas.zoo.Vgg16Cifar10;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RepVGG-A0 at 224x224, batch 1 and 8: the fused network as (a) plain DL4J layers (on oneDNN, as the fuser makes them,
 * and without helpers, as DL4J M2.1 builds them by default) and (b) a SameDiff graph, against the
 * multi-branch network (REPVGG blocks, as trained, and ALL blocks); VGG-16 (CIFAR-10) training steps, PLAIN and ALL,
 * batch 64; FashionMnistNet (all 39 branches) and the README's own-network example, training steps at batch 64. Then
 * runs this module's PyTorch twin, {@code src/main/python/torch_bench.py} (Debian's /usr/bin/python3 with python3-torch,
 * 2 threads; shipped in this jar as {@value #TORCH_SCRIPT}), for PyTorch's times of the same work, and prints the
 * ratios. The twin runs before and after the DL4J measurements; its column is the lower of the two medians (on a
 * shared machine the slower run is usually the disturbed one; the lower one is the harder target for DL4J).
 *
 * <pre>mvn -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.FusedInferenceBenchmark</pre>
 */
public final class FusedInferenceBenchmark {
    /** The PyTorch twin, a class-path resource (from src/main/python). */
    static final String TORCH_SCRIPT = "/python/torch_bench.py";

    public static void main(String[] args) throws Exception {
        System.out.println(MachineInfo.describe());
        Map<String, Double> torchBefore = torch();
        Map<String, Double> java = new LinkedHashMap<>();
        for (BlockPreset p : new BlockPreset[]{BlockPreset.REPVGG, BlockPreset.ALL}) {
            MultiLayerNetwork net = RepVgg.builder(RepVgg.Variant.A0).preset(p).build().init();
            MultiLayerNetwork fused = p == BlockPreset.REPVGG ? NetworkFuser.fuse(net) : null;
            // the same fused network as DL4J M2.1 builds it by default: no oneDNN helpers (im2col convolution)
            MultiLayerNetwork builtIn = null;
            if (fused != null) {
                builtIn = new MultiLayerNetwork(fused.getLayerWiseConfigurations().clone());
                builtIn.init(fused.params().dup(), false);
            }
            MultiLayerNetwork fusedBuiltIn = builtIn;
            // channels-last fused network (NetworkFuser.fuse(net, NHWC)): no layout reorders between convolutions
            MultiLayerNetwork fusedNhwc = p == BlockPreset.REPVGG ? NetworkFuser.fuse(net, CNN2DFormat.NHWC) : null;
            SameDiff sd = p == BlockPreset.REPVGG ? SameDiffExport.fromNetwork(net) : null;
            for (int bs : new int[]{1, 8}) {
                INDArray x = Nd4j.rand(DataType.FLOAT, bs, 3, 224, 224);
                int reps = bs == 1 ? 10 : 5;
                java.put("repvgg_a0_multibranch_" + p.name().toLowerCase() + "_infer_bs" + bs + "_ms",
                        Timing.medianMs(() -> net.output(x, false), 2, reps));
                if (fused != null) {
                    java.put("repvgg_a0_fused_dl4j_infer_bs" + bs + "_ms", Timing.medianMs(() -> fused.output(x, false), 2, reps));
                    // the NCHW batch transposed to NHWC inside the timed call: the same input as the other rows
                    java.put("repvgg_a0_fused_dl4j_nhwc_infer_bs" + bs + "_ms",
                            Timing.medianMs(() -> fusedNhwc.output(x.permute(0, 2, 3, 1).dup('c'), false), 2, reps));
                    java.put("repvgg_a0_fused_dl4j_nohelpers_infer_bs" + bs + "_ms",
                            Timing.medianMs(() -> fusedBuiltIn.output(x, false), 2, reps));
                    java.put("repvgg_a0_fused_samediff_infer_bs" + bs + "_ms", Timing.medianMs(() -> SameDiffExport.output(sd, x), 2, reps));
                }
            }
        }
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 64, 3, 32, 32),
                Nd4j.eye(10).repeat(0, 7).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 64)).castTo(DataType.FLOAT));
        for (BlockPreset p : new BlockPreset[]{BlockPreset.PLAIN, BlockPreset.ALL}) {
            MultiLayerNetwork vgg = Vgg16Cifar10.builder().preset(p).build().init();
            java.put("vgg16_cifar_" + (p == BlockPreset.PLAIN ? "plain" : "dbb7") + "_train_step_bs64_ms",
                    Timing.medianMs(() -> vgg.fit(ds), 2, 5));
        }
        DataSet mnist = new DataSet(Nd4j.rand(DataType.FLOAT, 64, 1, 28, 28),
                Nd4j.eye(10).repeat(0, 7).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 64)).castTo(DataType.FLOAT));
        MultiLayerNetwork fashion = FashionMnistNet.builder().preset(BlockPreset.ALL).build().init();
        java.put("fashion_mnist_net_all_train_step_bs64_ms", Timing.medianMs(() -> fashion.fit(mnist), 2, 10));
        MultiLayerNetwork readme = readmeNetwork();
        java.put("readme_net_train_step_bs64_ms", Timing.medianMs(() -> readme.fit(mnist), 2, 10));

        Map<String, Double> torchAfter = torch();
        Map<String, Double> torch = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : torchBefore.entrySet()) {
            Double after = torchAfter.get(e.getKey());
            torch.put(e.getKey(), after == null ? e.getValue() : Math.min(e.getValue(), after));
        }
        System.out.println();
        System.out.println(MachineInfo.describe());
        System.out.println("| measurement | DL4J (ms) | PyTorch (ms) | DL4J / PyTorch |");
        System.out.println("|---|---|---|---|");
        for (Map.Entry<String, Double> e : java.entrySet()) {
            String key = e.getKey().replace("_nohelpers", "").replace("_nhwc", "").replace("_dl4j", "").replace("_samediff", "");
            Double t = torch.get(key);
            System.out.printf("| %s | %.1f | %s | %s |%n", e.getKey(), e.getValue(), t == null ? "-" : String.format("%.1f", t),
                    t == null ? "-" : String.format("%.2f", e.getValue() / t));
        }
        double fusedDl4j = java.get("repvgg_a0_fused_dl4j_infer_bs8_ms"), fusedSd = java.get("repvgg_a0_fused_samediff_infer_bs8_ms");
        double multi = java.get("repvgg_a0_multibranch_repvgg_infer_bs8_ms");
        double noHelpers = java.get("repvgg_a0_fused_dl4j_nohelpers_infer_bs8_ms");
        System.out.printf("%nRepVGG-A0 batch 8, time of the multi-branch network / time of the fused one: (a) DL4J layers "
                        + "%.2fx (without oneDNN helpers %.2fx), (b) SameDiff %.2fx%n", multi / fusedDl4j, multi / noHelpers,
                multi / fusedSd);
    }

    /**
     * The README's own-network example ("Using it in your own DL4J network"), as a user writes it: a DBB block of 32
     * channels with stride 2, an ALL block of 32 channels with a 5x5 kernel, global average pooling, softmax over 10.
     */
    static MultiLayerNetwork readmeNetwork() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .updater(new Nesterovs(0.1, 0.9)).weightInit(WeightInit.RELU)
                .list()
                .layer(OdbbConvLayer.builder().nOut(32).stride(2).preset(BlockPreset.DBB).build())
                .layer(OdbbConvLayer.builder().nOut(32).kernelSize(5).preset(BlockPreset.ALL).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).activation(Activation.SOFTMAX).nOut(10).build())
                .setInputType(InputType.convolutional(28, 28, 1))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** PyTorch's numbers from the twin script, or none if it cannot run here. */
    static Map<String, Double> torch() {
        Map<String, Double> out = new LinkedHashMap<>();
        if (!new File("/usr/bin/python3").exists()) {
            System.out.println("(PyTorch twin not run: /usr/bin/python3 missing; apt-get install python3-torch)");
            return out;
        }
        try {
            Path script = Files.createTempFile("torch_bench", ".py");
            try (InputStream in = FusedInferenceBenchmark.class.getResourceAsStream(TORCH_SCRIPT)) {
                if (in == null) throw new IllegalStateException(TORCH_SCRIPT + " is not on the class path");
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            script.toFile().deleteOnExit();
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "bench", "--threads", "2")
                    .redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.out.println("torch_bench.py: " + line);
                    String[] kv = line.split(": ");
                    if (kv.length == 2 && kv[0].endsWith("_ms")) out.put(kv[0], Double.parseDouble(kv[1]));
                }
            }
            p.waitFor();
        } catch (Exception e) {
            System.out.println("(PyTorch twin failed: " + e + "; apt-get install python3-torch)");
        }
        return out;
    }
}
