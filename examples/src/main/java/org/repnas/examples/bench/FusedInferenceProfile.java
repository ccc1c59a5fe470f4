package org.repnas.examples.bench;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;
import org.repnas.examples.Timing;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.layers.fusion.SameDiffExport;
import org.repnas.zoo.RepVgg;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the fused RepVGG-A0's inference time goes: the whole forward pass ((a) DL4J layers, (b) SameDiff), then per
 * layer (each DL4J layer's activate timed on its own, the preprocessor included) and ND4J's op profiler. Run with
 * {@code ONEDNN_VERBOSE=1} (or {@code DNNL_VERBOSE=1}) for oneDNN's primitive creation and execution times; the
 * "marker" lines delimit one measured pass.
 *
 * <pre>mvn -q -pl examples exec:java -Dexec.mainClass=org.repnas.examples.bench.FusedInferenceProfile -Dexec.args="1 20"</pre>
 * Arguments: batch size (1), repetitions (20), what to run (all | dl4j | samediff | layers | ops | verbose).
 */
public final class FusedInferenceProfile {
    public static void main(String[] args) {
        int bs = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String what = args.length > 2 ? args[2] : "all";
        System.out.println(MachineInfo.describe());
        MultiLayerNetwork net = RepVgg.builder(RepVgg.Variant.A0).preset(BlockPreset.REPVGG).build().init();
        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        SameDiff sd = SameDiffExport.fromNetwork(net);
        INDArray x = Nd4j.rand(DataType.FLOAT, bs, 3, 224, 224);

        if (what.equals("all") || what.equals("dl4j") || what.equals("samediff")) {
            double[] t = Timing.interleavedMedianMs(3, reps, () -> fused.output(x, false), () -> SameDiffExport.output(sd, x));
            System.out.printf("batch %d: DL4J layers %.1f ms, SameDiff %.1f ms (median of %d, interleaved)%n", bs, t[0], t[1], reps);
        }
        if (what.equals("all") || what.equals("layers")) {
            perLayer(fused, x, reps);
        }
        if (what.equals("all") || what.equals("ops")) {
            ops("DL4J layers", () -> fused.output(x, false), reps);
            ops("SameDiff", () -> SameDiffExport.output(sd, x), reps);
        }
        if (what.equals("verbose")) {
            for (int i = 0; i < 3; i++) fused.output(x, false);
            System.out.println("marker: dl4j pass begins");
            System.out.flush();
            fused.output(x, false);
            System.out.flush();
            System.out.println("marker: dl4j pass ends");
            MultiLayerNetwork nhwc = NetworkFuser.fuse(net, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC);
            INDArray xNhwc = x.permute(0, 2, 3, 1).dup('c');
            for (int i = 0; i < 3; i++) nhwc.output(xNhwc, false);
            System.out.println("marker: dl4j_nhwc pass begins");
            System.out.flush();
            nhwc.output(xNhwc, false);
            System.out.flush();
            System.out.println("marker: dl4j_nhwc pass ends");
            for (int i = 0; i < 3; i++) SameDiffExport.output(sd, x);
            System.out.println("marker: samediff pass begins");
            System.out.flush();
            SameDiffExport.output(sd, x);
            System.out.flush();
            System.out.println("marker: samediff pass ends");
        }
    }

    /** Each layer's forward pass on its own (no workspaces), medians; the sum against the whole network's time. */
    static void perLayer(MultiLayerNetwork net, INDArray x, int reps) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray[] inputs = new INDArray[net.getnLayers()];
        INDArray a = x;
        for (int i = 0; i < net.getnLayers(); i++) {
            InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
            if (pre != null) a = pre.preProcess(a, (int) a.size(0), mgr);
            inputs[i] = a;
            a = net.getLayer(i).activate(a, false, mgr);
        }
        double sum = 0;
        Map<String, Double> byKind = new LinkedHashMap<>();
        System.out.println("| layer | input shape | ms |");
        System.out.println("|---|---|---|");
        for (int i = 0; i < net.getnLayers(); i++) {
            Layer l = net.getLayer(i);
            INDArray in = inputs[i];
            double t = Timing.medianMs(() -> l.activate(in, false, mgr), 3, reps);
            sum += t;
            byKind.merge(l.getClass().getSimpleName(), t, Double::sum);
            System.out.printf("| %d %s | %s | %.2f |%n", i, l.getClass().getSimpleName(), Arrays.toString(in.shape()), t);
        }
        System.out.printf("sum of layers %.1f ms; by kind %s%n", sum, byKind);
    }

    /** ND4J's op profiler over {@code reps} passes (after warm-up): time per op class. */
    static void ops(String name, Runnable r, int reps) {
        for (int i = 0; i < 3; i++) r.run();
        OpProfiler.getInstance().reset();
        Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
        for (int i = 0; i < reps; i++) r.run();
        Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
        System.out.println("=== ND4J op profile: " + name + ", " + reps + " passes");
        OpProfiler.getInstance().printOutDashboard();
    }
}
