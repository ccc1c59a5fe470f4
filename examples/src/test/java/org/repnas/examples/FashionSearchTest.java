package org.repnas.examples;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.examples.data.FashionMnist;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.search.RepNasSearch;
import org.repnas.search.SearchConfig;
import org.repnas.zoo.FashionMnistNet;
import org.repnas.layers.fusion.NetworkFuser;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small search of a small VGG-like ODBB network on real Fashion-MNIST runs in minutes, and its fused network gives
 * the same predictions as the supernet with the final architecture on the whole test set (10,000 images).
 */
class FashionSearchTest {

    @Test
    void searchThenFusedPredictionsMatchOnTheWholeTestSet(@TempDir Path dir) throws Exception {
        DataSet train = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TRAIN, 3000);
        DataSet test = FashionMnist.load(FashionMnist.DEBIAN_DIR, FashionMnist.Split.TEST, 0);
        MultiLayerNetwork supernet = FashionMnistNet.builder().seed(3).build().init();
        SearchConfig config = SearchConfig.budget(15).epochs(3).warmupEpochs(1).fixedEpochs(1).learningRate(0.05)
                .modelName("FashionMnistNet");
        RepNasSearch.Result r = RepNasSearch.create(config, dir, System.out)
                .run(supernet, EpochDataSource.shuffled(train, 64, 1), new ShuffledDataSetIterator(test, 1000, 0, false));
        assertEquals(15 + 3, r.architecture().keptCount(), "budget 15 plus the 3 always-on identities");
        MultiLayerNetwork net = (MultiLayerNetwork) r.model();
        assertTrue(r.history().get(2).testAccuracy > 0.5, "accuracy " + r.history().get(2).testAccuracy);

        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        INDArray a = predict(net, test.getFeatures());
        INDArray b = predict(fused, test.getFeatures());
        long same = a.argMax(1).eq(b.argMax(1)).castTo(DataType.INT).sumNumber().longValue();
        System.out.printf("fused predictions identical on %d of %d test images, output relative error %.2e%n", same,
                test.numExamples(), org.repnas.layers.TestNetworks.relativeError(b, a));
        assertEquals(test.numExamples(), same);
        assertTrue(org.repnas.layers.TestNetworks.relativeError(b, a) < 1e-5);
    }

    /** Outputs in batches of 1,000 (the whole test set at once would hold GBs of multi-branch activations). */
    static INDArray predict(MultiLayerNetwork net, INDArray x) {
        INDArray out = null;
        for (long i = 0; i < x.size(0); i += 1000) {
            INDArray part = net.output(x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, Math.min(i + 1000, x.size(0)))), false);
            out = out == null ? part : org.nd4j.linalg.factory.Nd4j.concat(0, out, part);
        }
        return out;
    }
}
