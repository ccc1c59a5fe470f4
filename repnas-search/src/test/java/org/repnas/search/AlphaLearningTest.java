package org.repnas.search;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbConvLayerImpl;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The target is 3 x the standardized input, which only the identity branch can produce: the gates should learn to
 * prefer it. Weights are frozen (SGD with lr 0; DL4J's NoOp would apply raw gradients) so that only alpha learns; the budget keeps 2 of the 3 branches.
 */
class AlphaLearningTest {

    @Test
    void theHelpfulBranchGainsAlpha() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4).dataType(DataType.FLOAT)
                .updater(new Sgd(0.0)).list()
                .layer(OdbbConvLayer.builder().nOut(2).branches(Branch.KXK, Branch.CONV_1X1, Branch.IDENTITY)
                        .activation(Activation.IDENTITY).alphaUpdater(new Adam(2e-2, 0.5, 0.999, 1e-8)).build())
                .layer(new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(6, 6, 2)).build());
        net.init();
        OdbbConvLayerImpl block = (OdbbConvLayerImpl) net.getLayer(0);
        BranchBudgetListener listener = new BranchBudgetListener(2, 11);
        Nd4j.getRandom().setSeed(3);
        for (int i = 0; i < 60; i++) {
            INDArray x = Nd4j.randn(DataType.FLOAT, 16, 2, 6, 6).muli(2).addi(1);
            INDArray standardized = x.sub(x.mean(0, 2, 3).reshape(1, 2, 1, 1)).divi(x.std(false, 0, 2, 3).reshape(1, 2, 1, 1));
            listener.prepare(net);
            net.fit(new DataSet(x, standardized.muli(3)));
        }
        double id = block.alpha(Branch.IDENTITY), kxk = block.alpha(Branch.KXK), c1 = block.alpha(Branch.CONV_1X1);
        System.out.printf("alpha identity %.4f, kxk %.4f, 1x1 %.4f%n", id, kxk, c1);
        assertTrue(id > 0.2, "alpha of the helpful branch should rise clearly, got " + id);
        assertTrue(id > kxk + 0.2 && id > c1 + 0.2, "identity " + id + " vs kxk " + kxk + ", 1x1 " + c1);
        assertTrue(BranchBudgetListener.applyTopAlpha(net, 1).get(0).contains(Branch.IDENTITY));
    }
}
