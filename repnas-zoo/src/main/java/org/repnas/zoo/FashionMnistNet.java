package org.repnas.zoo;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
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
