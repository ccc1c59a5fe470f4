package org.repnas.examples.bench;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
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
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * RepVGG-A0 at 224x224, batch 1 and 8: the fused network as (a) plain DL4J layers (on oneDNN, as the fuser makes them,
 * and without helpers, as DL4J M2.1 builds them by default) and (b) a SameDiff graph, against the
 * multi-branch network (REPVGG blocks, as trained, and ALL blocks); and VGG-16 (CIFAR-10) training steps, PLAIN and ALL,
 * batch 64. Then runs ../shared/bench/torch_reference.py bench (Debian's python3-torch) for PyTorch's times of the same
 * work, and prints the ratios.
 *
 * <pre>mvn -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.FusedInferenceBenchmark</pre>
 */
public final class FusedInferenceBenchmark {
    public static void main(String[] args) throws Exception {
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
            SameDiff sd = p == BlockPreset.REPVGG ? SameDiffExport.fromNetwork(net) : null;
            for (int bs : new int[]{1, 8}) {
                INDArray x = Nd4j.rand(DataType.FLOAT, bs, 3, 224, 224);
                int reps = bs == 1 ? 10 : 5;
                java.put("repvgg_a0_multibranch_" + p.name().toLowerCase() + "_infer_bs" + bs + "_ms",
                        Timing.medianMs(() -> net.output(x, false), 2, reps));
                if (fused != null) {
                    java.put("repvgg_a0_fused_dl4j_infer_bs" + bs + "_ms", Timing.medianMs(() -> fused.output(x, false), 2, reps));
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
        Map<String, Double> torch = torch();
        System.out.println("| measurement | DL4J (ms) | PyTorch (ms) | DL4J / PyTorch |");
        System.out.println("|---|---|---|---|");
        for (Map.Entry<String, Double> e : java.entrySet()) {
            String key = e.getKey().replace("_nohelpers", "").replace("_dl4j", "").replace("_samediff", "");
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

    /** PyTorch's numbers from the shared reference script, or none if it cannot run here. */
    static Map<String, Double> torch() {
        Map<String, Double> out = new LinkedHashMap<>();
        Path script = Path.of("../shared/bench/torch_reference.py");
        if (!Files.exists(script)) script = Path.of("../../shared/bench/torch_reference.py");
        if (!Files.exists(script) || !new File("/usr/bin/python3").exists()) {
            System.out.println("(PyTorch reference not run: ../shared/bench/torch_reference.py or /usr/bin/python3 missing)");
            return out;
        }
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "bench", "--threads", "2")
                    .redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    System.out.println("torch_reference.py: " + line);
                    String[] kv = line.split(": ");
                    if (kv.length == 2 && kv[0].endsWith("_ms")) out.put(kv[0], Double.parseDouble(kv[1]));
                }
            }
            p.waitFor();
        } catch (Exception e) {
            System.out.println("(PyTorch reference failed: " + e + "; apt-get install python3-torch)");
        }
        return out;
    }
}
