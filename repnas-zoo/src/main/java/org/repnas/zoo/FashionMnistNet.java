package org.repnas.zoo;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.zoo.PretrainedType;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A small VGG-like ODBB network for 28x28 grayscale images (Fashion-MNIST): six 3x3 blocks
 * 16, 16 | /2 32, 32 | /2 64, 64, global average pooling, a dense classifier. Three blocks can have the identity
 * branch, so the search space has 39 branches. The quick start searches it; its fused form is the pretrained model.
 */
public class FashionMnistNet extends OdbbZooModel {
    /** Width and stride of each block. */
    static final int[][] BLOCKS = {{16, 1}, {16, 1}, {32, 2}, {32, 1}, {64, 2}, {64, 1}};

    private FashionMnistNet() {
        super(10, new int[]{1, 28, 28});
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NeuralNetConfiguration.ListBuilder layers(NeuralNetConfiguration.ListBuilder list) {
        for (int i = 0; i < BLOCKS.length; i++) {
            list.layer(block("block" + i, BLOCKS[i][0], BLOCKS[i][1], 1).build());
        }
        return list.layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("gap").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("linear").activation(Activation.SOFTMAX)
                        .nOut(numClasses).build())
                .setInputType(InputType.convolutional(inputShape[1], inputShape[2], inputShape[0]));
    }

    /** The fused pretrained network shipped in this jar (trained here by the quick start; see the README). */
    static final String PRETRAINED_RESOURCE = "/org/repnas/zoo/pretrained/fashion-mnist-odbb-fused.zip";
    /** Adler32 of {@link #PRETRAINED_RESOURCE}. */
    static final long PRETRAINED_ADLER32 = 861386501L;

    /**
     * {@link PretrainedType#MNIST} stands for Fashion-MNIST here (DL4J's enum has no entry for it): the fused
     * network of a RepNAS search, loaded offline from this jar.
     */
    @Override
    public String pretrainedUrl(PretrainedType type) {
        if (type != PretrainedType.MNIST) return null;
        java.net.URL u = FashionMnistNet.class.getResource(PRETRAINED_RESOURCE);
        return u == null ? null : u.toString();
    }

    @Override
    public long pretrainedChecksum(PretrainedType type) {
        return type == PretrainedType.MNIST ? PRETRAINED_ADLER32 : 0L;
    }

    @Override
    public String modelName() {
        return "fashion-mnist-odbb";
    }

    public static class Builder extends OdbbZooModel.Builder<FashionMnistNet, Builder> {
        Builder() {
            super(new FashionMnistNet());
        }
    }
}
