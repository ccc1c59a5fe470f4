package org.repnas.zoo;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * VGG-16 for CIFAR-10 as in the RepNAS paper's Table 3 (and DBB/ACNet): 13 ODBB blocks at 32x32 in the pattern
 * 64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M, then a dense classifier on the 512 features.
 */
public class Vgg16Cifar10 extends OdbbZooModel {
    /** Block widths; 0 marks a 2x2 max pooling. */
    static final int[] CONFIG = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};

    private Vgg16Cifar10() {
        super(10, new int[]{3, 32, 32});
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NeuralNetConfiguration.ListBuilder layers(NeuralNetConfiguration.ListBuilder list) {
        int block = 0;
        int pool = 0;
        for (int w : CONFIG) {
            if (w == 0) {
                list.layer(new SubsamplingLayer.Builder(PoolingType.MAX).name("pool" + (++pool)).kernelSize(2, 2).stride(2, 2).build());
            } else {
                list.layer(block("conv" + (++block), w, 1, 1).build());
            }
        }
        return list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("linear").activation(Activation.SOFTMAX)
                        .nOut(numClasses).build())
                .setInputType(InputType.convolutional(inputShape[1], inputShape[2], inputShape[0]));
    }

    @Override
    public String modelName() {
        return "vgg16-cifar10-odbb";
    }

    public static class Builder extends OdbbZooModel.Builder<Vgg16Cifar10, Builder> {
        Builder() {
            super(new Vgg16Cifar10());
        }
    }
}
