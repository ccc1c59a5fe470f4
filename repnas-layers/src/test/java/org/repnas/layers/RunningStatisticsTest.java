package org.repnas.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BatchNorm running statistics follow DL4J's rule: running = decay * running + (1 - decay) * batch (biased var). */
class RunningStatisticsTest {

    @Test
    void oneStepMovesRunningStatisticsTowardsTheBatch() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .updater(new Adam(1e-2)).list()
                .layer(OdbbConvLayer.builder().nOut(4).preset(BlockPreset.ALL).bnDecay(0.8).activation(Activation.IDENTITY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(2).build())
                .setInputType(InputType.convolutional(5, 6, 4)).build());
        net.init();
        OdbbConvLayerImpl block = (OdbbConvLayerImpl) net.getLayer(0);
        block.odbbConf().setActiveBranches(EnumSet.of(Branch.IDENTITY, Branch.KXK));
        INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 1, 8, 4, 5, 6).muli(3).addi(1.5);
        OdbbParams.BatchNorm id = OdbbParams.bn(Branch.IDENTITY);
        OdbbParams.BatchNorm avg = OdbbParams.bn(Branch.CONV_1X1_AVG);
        INDArray mean0 = block.getParam(id.mean()).dup();
        INDArray var0 = block.getParam(id.var()).dup();
        INDArray inactiveBefore = block.getParam(avg.mean()).dup();

        net.fit(new DataSet(x, Nd4j.rand(DataType.DOUBLE, 8, 2)));

        // the identity branch's BatchNorm sees the input itself
        INDArray batchMean = x.mean(0, 2, 3).reshape(1, 4);
        INDArray batchVar = x.var(false, 0, 2, 3).reshape(1, 4);
        INDArray expectedMean = mean0.mul(0.8).addi(batchMean.mul(0.2));
        INDArray expectedVar = var0.mul(0.8).addi(batchVar.mul(0.2));
        assertTrue(expectedMean.equalsWithEps(block.getParam(id.mean()), 1e-12), block.getParam(id.mean()) + " vs " + expectedMean);
        assertTrue(expectedVar.equalsWithEps(block.getParam(id.var()), 1e-12), block.getParam(id.var()) + " vs " + expectedVar);
        assertEquals(inactiveBefore, block.getParam(avg.mean()), "an inactive branch's statistics do not move");
    }

    @Test
    void calibrationSetsRunningStatisticsToTheAverageOfBatchStatistics() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .list()
                .layer(OdbbConvLayer.builder().nOut(4).preset(BlockPreset.ALL).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(5, 6, 4)).build());
        net.init();
        OdbbConvLayerImpl block = (OdbbConvLayerImpl) net.getLayer(0);
        block.odbbConf().setActiveBranches(EnumSet.of(Branch.IDENTITY, Branch.KXK));
        OdbbParams.BatchNorm id = OdbbParams.bn(Branch.IDENTITY);
        OdbbParams.BatchNorm avg = OdbbParams.bn(Branch.CONV_1X1_AVG);
        INDArray inactiveBefore = block.getParam(avg.var()).dup();
        INDArray meanSum = Nd4j.zeros(DataType.DOUBLE, 1, 4), varSum = Nd4j.zeros(DataType.DOUBLE, 1, 4);
        block.startCalibration();
        for (int i = 0; i < 3; i++) {
            INDArray x = TestNetworks.randomInput(DataType.DOUBLE, 10 + i, 8, 4, 5, 6).muli(1 + i).addi(i);
            net.output(x, true);
            meanSum.addi(x.mean(0, 2, 3).reshape(1, 4));
            varSum.addi(x.var(false, 0, 2, 3).reshape(1, 4));
        }
        block.finishCalibration();
        assertTrue(meanSum.div(3).equalsWithEps(block.getParam(id.mean()), 1e-12), block.getParam(id.mean()).toString());
        assertTrue(varSum.div(3).equalsWithEps(block.getParam(id.var()), 1e-12), block.getParam(id.var()).toString());
        assertEquals(inactiveBefore, block.getParam(avg.var()), "inactive branches are not calibrated");
    }
}
