package org.repnas.zoo;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;

/**
 * RepVGG (Ding et al., 2021) with ODBB blocks: a 3x3 stem with stride 2, four stages each starting with stride 2,
 * global average pooling and a dense classifier. Stage widths [min(64, 64a), 64a, 128a, 256a, 512b] after the stem.
 * Fused (one 3x3 convolution per block) it is exactly RepVGG's deploy network: A0 8.30M parameters at 1000 classes.
 *
 * <pre>{@code
 * MultiLayerNetwork supernet = RepVgg.builder(RepVgg.Variant.A0).preset(BlockPreset.ALL).build().init();
 * }</pre>
 */
public class RepVgg extends OdbbZooModel {

    static final int[] DEPTHS_A = {2, 4, 14, 1};
    static final int[] DEPTHS_B = {4, 6, 16, 1};

    /** RepVGG's table: blocks per stage after the stem, width multipliers a (stages 1-3) and b (stage 4). */
    public enum Variant {
        A0(DEPTHS_A, 0.75, 2.5),
        A1(DEPTHS_A, 1.0, 2.5),
        A2(DEPTHS_A, 1.5, 2.75),
        B0(DEPTHS_B, 1.0, 2.5),
        B1(DEPTHS_B, 2.0, 4.0),
        B2(DEPTHS_B, 2.5, 5.0),
        B3(DEPTHS_B, 3.0, 5.0);

        final int[] depths;
        final double a;
        final double b;

        Variant(int[] depths, double a, double b) {
            this.depths = depths;
            this.a = a;
            this.b = b;
        }
    }

    private int[] depths;
    private int[] widths;
    private int groups = 1;
    private String name;

    private RepVgg() {
        super(1000, new int[]{3, 224, 224});
    }

    public static Builder builder(Variant v) {
        return new Builder().variant(v);
    }

    /** A RepVGG-shaped network with other depths and multipliers (e.g. a tiny one for tests). */
    public static Builder custom(int[] depths, double a, double b) {
        Builder bld = new Builder();
        bld.model.set(depths, a, b, "RepVGG-custom");
        return bld;
    }

    private void set(int[] depths, double a, double b, String name) {
        if (depths.length != 4) throw new IllegalArgumentException("RepVGG has four stages, got depths " + Arrays.toString(depths));
        this.depths = depths.clone();
        this.widths = new int[]{Math.min(64, (int) (64 * a)), (int) (64 * a), (int) (128 * a), (int) (256 * a), (int) (512 * b)};
        this.name = name;
    }

    /** Stem width followed by the four stage widths. */
    public int[] widths() {
        return widths.clone();
    }

    /** Blocks per stage, the stem first: [1, d1, d2, d3, d4]. */
    public int[] depths() {
        int[] d = new int[5];
        d[0] = 1;
        System.arraycopy(depths, 0, d, 1, 4);
        return d;
    }

    /**
     * The groups of block {@code index} (the stem is block 0): RepVGG's g2/g4 variants use grouped convolution in blocks
     * 2, 4, ..., 26.
     */
    public int groupsOf(int index) {
        return groups > 1 && index % 2 == 0 && index >= 2 && index <= 26 ? groups : 1;
    }

    @Override
    protected NeuralNetConfiguration.ListBuilder layers(NeuralNetConfiguration.ListBuilder list) {
        list.layer(block("stage0", widths[0], 2, 1).build());
        int index = 1;
        for (int s = 0; s < 4; s++) {
            for (int i = 0; i < depths[s]; i++) {
                list.layer(block("stage" + (s + 1) + "." + i, widths[s + 1], i == 0 ? 2 : 1, groupsOf(index)).build());
                index++;
            }
        }
        return list.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("gap").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("linear").activation(Activation.SOFTMAX)
                        .nOut(numClasses).build())
                .setInputType(InputType.convolutional(inputShape[1], inputShape[2], inputShape[0]));
    }

    @Override
    public String modelName() {
        return name.toLowerCase() + (groups > 1 ? "g" + groups : "");
    }

    public String displayName() {
        return name + (groups > 1 ? "g" + groups : "");
    }

    public static class Builder extends OdbbZooModel.Builder<RepVgg, Builder> {
        Builder() {
            super(new RepVgg());
        }

        public Builder variant(Variant v) {
            model.set(v.depths, v.a, v.b, "RepVGG-" + v.name());
            return this;
        }

        /** 1, or 2 / 4 for RepVGG's g2 / g4 variants. */
        public Builder groups(int g) {
            if (g != 1 && g != 2 && g != 4) throw new IllegalArgumentException("RepVGG groups are 1, 2 or 4, got " + g);
            model.groups = g;
            return this;
        }
    }
}
