package org.repnas.zoo;

import org.repnas.io.ModelFiles;
import org.repnas.layers.fusion.NetworkFuser;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.ConvolutionParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.fusion.ConvKernel;
import org.repnas.layers.fusion.FusedConv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Imports the official RepVGG deploy weights (github.com/DingXiaoH/RepVGG) into the fused RepVGG zoo network. The
 * input is the deploy state_dict saved as .npz with its own key names ({@code stage0.rbr_reparam.weight},
 * {@code stage1.0.rbr_reparam.bias}, ..., {@code linear.weight}):
 *
 * <pre>
 * python3 -c "import torch, numpy as np; sd = torch.load('RepVGG-A0-deploy.pth', map_location='cpu');
 *             np.savez('RepVGG-A0-deploy.npz', **{k: v.numpy() for k, v in sd.items()})"
 * </pre>
 * A train-mode checkpoint must first go through the official {@code convert.py}.
 */
public final class RepVggConverter {
    private RepVggConverter() {
    }

    public static MultiLayerNetwork fromDeployNpz(Path npz, RepVgg model) throws IOException {
        if (!Files.isRegularFile(npz)) {
            throw new NoSuchFileException(npz.toString(), null, "RepVGG weights not found (expected the deploy state_dict as .npz)");
        }
        // ND4J's reader checks no entry's length or CRC: a file cut inside an entry would load with it zero-filled
        ModelFiles.verifyZip(npz, "NumPy .npz archive");
        Map<String, INDArray> weights;
        try {
            weights = Nd4j.createFromNpzFile(npz.toFile());
        } catch (Exception e) {
            throw new IOException(npz + " is not a readable .npz file: " + e.getMessage(), e);
        }
        if (weights.keySet().stream().anyMatch(k -> k.contains("rbr_dense") || k.contains("rbr_1x1"))) {
            throw new IOException(npz + " holds a train-mode RepVGG (rbr_dense / rbr_1x1 keys): convert it to deploy mode "
                    + "with the official convert.py first, then save that state_dict as .npz.");
        }
        MultiLayerNetwork net = NetworkFuser.initOnOneDnn(NetworkFuser.fusedConfiguration(model.conf()));
        Set<String> used = new HashSet<>();
        int block = 0;
        for (int i = 0; i < net.getnLayers(); i++) {
            Layer layer = net.getLayer(i);
            String name = layer.conf().getLayer().getLayerName();
            if (model.conf().getConf(i).getLayer() instanceof OdbbConvLayer o) {
                INDArray w = take(weights, name + ".rbr_reparam.weight", npz, used, model);
                INDArray b = take(weights, name + ".rbr_reparam.bias", npz, used, model);
                int groups = model.groupsOf(block++);
                long[] expected = {o.getNOut(), o.getNIn() / groups, 3, 3};
                check(w, expected, name + ".rbr_reparam.weight", model);
                FusedConv f = new FusedConv(new ConvKernel(w.castTo(net.params().dataType()), b.reshape(b.length())
                        .castTo(net.params().dataType())), o.getStride(), groups, o.getActivation());
                layer.getParam(ConvolutionParamInitializer.WEIGHT_KEY).assign(f.denseKernel());
                layer.getParam(ConvolutionParamInitializer.BIAS_KEY).assign(b.reshape(1, b.length()));
            } else if (name.equals("linear")) {
                INDArray w = take(weights, "linear.weight", npz, used, model);     // PyTorch [out, in], DL4J [in, out]
                INDArray b = take(weights, "linear.bias", npz, used, model);
                INDArray target = layer.getParam(DefaultParamInitializer.WEIGHT_KEY);
                check(w, new long[]{target.size(1), target.size(0)}, "linear.weight", model);
                target.assign(w.transpose());
                layer.getParam(DefaultParamInitializer.BIAS_KEY).assign(b.reshape(1, b.length()));
            }
        }
        Set<String> unused = new TreeSet<>(weights.keySet());
        unused.removeAll(used);
        if (!unused.isEmpty()) {
            throw new IOException(npz + " has weights " + model.displayName() + " has no place for: " + unused
                    + ". Are they for another RepVGG variant (or with SE blocks)?");
        }
        return net;
    }

    private static INDArray take(Map<String, INDArray> weights, String key, Path npz, Set<String> used, RepVgg model)
            throws IOException {
        INDArray a = weights.get(key);
        if (a == null) {
            throw new IOException(npz + " has no '" + key + "', which " + model.displayName() + " needs. Expected the "
                    + "official deploy state_dict key names; found e.g. " + weights.keySet().stream().limit(4).toList());
        }
        used.add(key);
        return a;
    }

    private static void check(INDArray a, long[] expected, String key, RepVgg model) throws IOException {
        if (!Arrays.equals(a.shape(), expected)) {
            throw new IOException("'" + key + "' has shape " + Arrays.toString(a.shape()) + " but " + model.displayName()
                    + " expects " + Arrays.toString(expected) + ": the weights belong to another variant or group setting.");
        }
    }
}
