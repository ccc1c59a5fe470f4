package org.repnas.search;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.layers.Architecture;
import org.repnas.layers.TinySupernet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.data.ShuffledDataSetIterator;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SearchResumeTest {
    static final DataSet TRAIN = TinySupernet.data(96, 2);
    static final DataSet TEST = TinySupernet.data(48, 5);

    static SearchConfig config() {
        return SearchConfig.budget(10).identity(IdentityMode.SEARCHED).epochs(4).warmupEpochs(1).fixedEpochs(1).seed(9)
                .configureOptimizer(true).learningRate(0.05).modelName("tiny");
    }

    static DataSetIterator test() {
        return new ShuffledDataSetIterator(TEST, 24, 0, false);
    }

    /** Serves the normal data, but asks for a checkpoint and then "crashes" at given points of a given epoch. */
    static EpochDataSource interrupting(EpochDataSource src, int epoch, int requestAt, int crashAt, RepNasSearch[] search) {
        return new EpochDataSource() {
            @Override
            public DataSetIterator iterator(int e) {
                DataSetIterator it = src.iterator(e);
                return new ShuffledDataSetIterator(TRAIN, 16, 0, false) {
                    int served;
                    @Override public boolean hasNext() { return it.hasNext(); }
                    @Override public DataSet next() {
                        if (e == epoch && served == requestAt) search[0].requestCheckpoint();
                        if (e == epoch && served == crashAt) throw new IllegalStateException("simulated crash");
                        served++;
                        return it.next();
                    }
                };
            }

            @Override
            public long batchesPerEpoch() {
                return src.batchesPerEpoch();
            }
        };
    }

    @Test
    void killedAndResumedSearchEndsBitExactlyLikeAnUninterruptedOne(@TempDir Path dir) throws Exception {
        EpochDataSource src = EpochDataSource.shuffled(TRAIN, 16, 3);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());

        MultiLayerNetwork a = TinySupernet.supernet(1);
        RepNasSearch.Result ra = RepNasSearch.create(config(), dir.resolve("a"), System.out).run(a, src, test());

        // crash in the middle of the search phase, just after a checkpoint taken on request mid-epoch
        RepNasSearch[] sb = {RepNasSearch.create(config(), dir.resolve("b"), quiet)};
        assertThrows(IllegalStateException.class,
                () -> sb[0].run(TinySupernet.supernet(1), interrupting(src, 2, 2, 4, sb), test()));
        assertEquals("checkpoint-e0002-b000003", Files.readString(dir.resolve("b/latest")).trim());
        RepNasSearch.Result rb = RepNasSearch.resume(dir.resolve("b"), src, test(), quiet);

        MultiLayerNetwork b = (MultiLayerNetwork) rb.model();
        assertEquals(a.getLayerWiseConfigurations().toJson(), b.getLayerWiseConfigurations().toJson(), "masks and counters");
        assertEquals(a.params(), b.params(), "weights, alpha and running statistics");
        assertEquals(a.getUpdater().getStateViewArray(), b.getUpdater().getStateViewArray(), "both updaters' states");
        assertEquals(ra.architecture(), rb.architecture());
        assertEquals(4, rb.history().size());
        for (int i = 0; i < 4; i++) {
            assertEquals(ra.history().get(i).loss, rb.history().get(i).loss, 0.0);
            assertEquals(ra.history().get(i).kept, rb.history().get(i).kept);
        }
        assertEquals(10, ra.architecture().keptCount());
        assertTrue(Files.exists(dir.resolve("a/architecture.json")) && Files.exists(dir.resolve("a/history.json")));
        assertEquals(ra.architecture(), Architecture.read(dir.resolve("a/architecture.json")));
    }

    @Test
    void nanLossStopsAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        EpochDataSource src = EpochDataSource.shuffled(TRAIN, 16, 3);
        EpochDataSource poisoned = new EpochDataSource() {
            @Override
            public DataSetIterator iterator(int e) {
                DataSetIterator it = src.iterator(e);
                if (e == 1) {
                    it.setPreProcessor((DataSetPreProcessor) ds -> ds.getFeatures().putScalar(0, Double.NaN));
                }
                return it;
            }

            @Override
            public long batchesPerEpoch() {
                return src.batchesPerEpoch();
            }
        };
        RepNasSearch s = RepNasSearch.create(config(), dir, new PrintStream(new ByteArrayOutputStream()));
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                () -> s.run(TinySupernet.supernet(1), poisoned, test()));
        assertTrue(e.getMessage().contains("epoch 2, batch 1") && e.getMessage().contains("checkpoint-e0001-b000000")
                && e.getMessage().contains("is intact"), e.getMessage());
        Path latest = dir.resolve("checkpoint-e0001-b000000");
        assertEquals(latest.getFileName().toString(), Files.readString(dir.resolve("latest")).trim());
        // the checkpoint is whole and resumable
        MultiLayerNetwork restored = org.deeplearning4j.util.ModelSerializer.restoreMultiLayerNetwork(latest.resolve("model.zip").toFile(), true);
        assertEquals(0L, restored.params().isNaN().castTo(org.nd4j.linalg.api.buffer.DataType.INT).sumNumber().longValue());
    }

    @Test
    void badInputsAreRejectedBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        EpochDataSource src = EpochDataSource.shuffled(TRAIN, 16, 3);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        IllegalArgumentException low = assertThrows(IllegalArgumentException.class, () -> RepNasSearch.create(
                SearchConfig.budget(2).epochs(2), dir, quiet).run(TinySupernet.supernet(1), src, test()));
        assertTrue(low.getMessage().contains("below the number of blocks (3)"), low.getMessage());
        IllegalArgumentException high = assertThrows(IllegalArgumentException.class, () -> RepNasSearch.create(
                SearchConfig.budget(40).epochs(2), dir, quiet).run(TinySupernet.supernet(1), src, test()));
        assertTrue(high.getMessage().contains("above the number of branches in the network (18 (identity is always on and not counted))"),
                high.getMessage());
        assertEquals(List.of(), Files.list(dir).toList(), "nothing written");

        RepNasSearch.create(SearchConfig.budget(5).epochs(1).fixedEpochs(0), dir, quiet).run(TinySupernet.supernet(1), src, test());
        IllegalStateException again = assertThrows(IllegalStateException.class, () -> RepNasSearch.create(
                SearchConfig.budget(5).epochs(1), dir, quiet).run(TinySupernet.supernet(1), src, test()));
        assertTrue(again.getMessage().contains("resume it"), again.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> RepNasSearch.resume(dir.resolve("empty"), src, test(), quiet));
    }
}
