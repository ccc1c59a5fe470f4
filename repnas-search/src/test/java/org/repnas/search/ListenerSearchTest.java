package org.repnas.search;

import org.deeplearning4j.earlystopping.EarlyStoppingConfiguration;
import org.deeplearning4j.earlystopping.EarlyStoppingResult;
import org.deeplearning4j.earlystopping.saver.InMemoryModelSaver;
import org.deeplearning4j.earlystopping.termination.MaxEpochsTerminationCondition;
import org.deeplearning4j.earlystopping.trainer.EarlyStoppingTrainer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.layers.Architecture;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbParams;
import org.repnas.layers.TinySupernet;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.data.ShuffledDataSetIterator;

import org.nd4j.linalg.learning.config.IUpdater;
import org.repnas.layers.OdbbConvLayer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search is DL4J listeners: {@code net.fit(iterator, epochs)} with {@link RepNas#listeners} does what
 * {@link RepNasSearch} does; each phase does what it should; DL4J's EarlyStoppingTrainer can drive a search.
 */
class ListenerSearchTest {
    static final DataSet TRAIN = TinySupernet.data(96, 2);
    static final DataSet TEST = TinySupernet.data(48, 5);
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    static SearchConfig config() {
        return SearchConfig.budget(8).epochs(5).warmupEpochs(1).fixedEpochs(2).seed(13).calibrationBatches(2)
                .alphaLearningRate(0.05).modelName("tiny");
    }

    static DataSetIterator test() {
        return new ShuffledDataSetIterator(TEST, 24, 0, false);
    }

    @Test
    void fitWithTheListenersEqualsTheDriverMultiLayerNetwork() throws Exception {
        sameAsTheDriver(() -> TinySupernet.supernet(3));
    }

    @Test
    void fitWithTheListenersEqualsTheDriverComputationGraph() throws Exception {
        sameAsTheDriver(() -> TinySupernet.supernetGraph(3));
    }

    private static void sameAsTheDriver(Supplier<Model> supernet) throws Exception {
        SearchConfig config = config();
        EpochDataSource source = EpochDataSource.shuffled(TRAIN, 16, 7);

        Model driven = supernet.get();
        RepNasSearch.Result r = RepNasSearch.create(config, null, QUIET).run(driven, source, test());

        Model own = supernet.get();
        RepNas.configure(own, config, source.batchesPerEpoch());
        DataSetIterator calibration = new org.repnas.search.data.EpochIterator(source, 0);   // epoch 0's batches, as the driver's
        own.setListeners(RepNas.listeners(config, test(), calibration));
        DataSetIterator train = new ShuffledDataSetIterator(TRAIN, 16, 7, true);    // reset() moves to the next epoch's order
        if (own instanceof MultiLayerNetwork m) m.fit(train, config.getEpochs());   // DL4J's own loop
        else ((ComputationGraph) own).fit(train, config.getEpochs());
        Architecture arch = RepNas.finish(own, config, calibration);

        assertEquals(r.architecture(), arch, "the same architecture, alpha included");
        assertEquals(driven.params(), own.params(), "the same weights, alpha and running statistics");
        assertTrue(arch.blocks().get(0).alpha().values().stream().anyMatch(a -> Math.abs(a) > 1e-3), "alpha moved");
    }

    @Test
    void eachPhaseDoesWhatItShould() {
        SearchConfig config = SearchConfig.budget(6).epochs(4).warmupEpochs(1).fixedEpochs(1).seed(5).alphaLearningRate(0.05);
        MultiLayerNetwork net = TinySupernet.supernet(2);
        RepNas.configure(net, config, 6);
        List<Double> alphaAfterEpoch = new ArrayList<>();
        List<Boolean> gated = new ArrayList<>();
        List<INDArray> meansAtFixedStart = new ArrayList<>();
        List<EnumSet<Branch>> identityBlock = new ArrayList<>();
        net.setListeners(RepNas.listeners(config));
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onEpochStart(Model model) {
                if (net.getEpochCount() == 3) {
                    meansAtFixedStart.add(OdbbBlocks.find(model).get(1).layer().getParam(OdbbParams.bn(Branch.KXK).mean()).dup());
                }
            }

            @Override
            public void onForwardPass(Model model, List<INDArray> activations) {
                gated.add(OdbbBlocks.find(model).get(0).conf().getGateNoise() != null);
                identityBlock.add(OdbbBlocks.find(model).get(1).conf().getActiveBranches());
            }

            @Override
            public void onEpochEnd(Model model) {
                alphaAfterEpoch.add(OdbbBlocks.find(model).get(0).layer().alpha(Branch.KXK));
            }
        });
        net.fit(new ShuffledDataSetIterator(TRAIN, 16, 1, true), 4);

        assertEquals(0.0, alphaAfterEpoch.get(0), 0.0, "alpha does not change during warm-up");
        assertTrue(gated.subList(0, 6).stream().noneMatch(g -> g), "no gates in warm-up");
        assertTrue(gated.subList(6, 18).stream().allMatch(g -> g), "gates while searching");
        assertNotEquals(alphaAfterEpoch.get(0), alphaAfterEpoch.get(2), "alpha learns while searching");
        assertTrue(gated.subList(18, 24).stream().noneMatch(g -> g), "no gates once fixed");
        assertEquals(alphaAfterEpoch.get(2), alphaAfterEpoch.get(3), 0.0, "alpha stays once fixed (no gradient, no step)");
        // BatchNorm statistics are reset when the architecture is fixed
        assertEquals(1, meansAtFixedStart.size());
        assertEquals(0.0, meansAtFixedStart.get(0).norm2Number().doubleValue(), 0.0, "running means reset to 0");
        assertTrue(OdbbBlocks.find(net).get(0).conf().isArchitectureFixed());
        assertEquals(identityBlock.get(18), identityBlock.get(23), "the fixed architecture does not change");
        // identity always on (the default, official): the stride-1 block never loses it
        assertTrue(identityBlock.stream().allMatch(s -> s.contains(Branch.IDENTITY)), "identity always on");
        int kept = OdbbBlocks.find(net).stream().mapToInt(b -> b.conf().getActiveBranches().size()).sum();
        assertEquals(6 + 1, kept, "budget 6 plus the always-on identity");
    }

    @Test
    void searchedIdentityCompetesForTheBudget() {
        SearchConfig config = SearchConfig.budget(4).identity(IdentityMode.SEARCHED).epochs(2).warmupEpochs(0).fixedEpochs(0).seed(1);
        MultiLayerNetwork net = TinySupernet.supernet(2);
        List<Integer> counts = new ArrayList<>();
        List<Boolean> identity = new ArrayList<>();
        net.setListeners(RepNas.listeners(config));
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onForwardPass(Model model, List<INDArray> activations) {
                counts.add(OdbbBlocks.find(model).stream().mapToInt(b -> b.conf().getActiveBranches().size()).sum());
                identity.add(OdbbBlocks.find(model).get(1).conf().getActiveBranches().contains(Branch.IDENTITY));
            }
        });
        net.fit(new ShuffledDataSetIterator(TRAIN, 8, 1, true), 2);
        assertTrue(counts.stream().allMatch(c -> c == 4), "identity counted in the budget: " + counts);
        assertTrue(identity.contains(true) && identity.contains(false), "identity sometimes kept, sometimes not");
    }

    @Test
    void earlyStoppingDrivesASearchScoringTheArchitectureFoundSoFar() {
        SearchConfig config = SearchConfig.budget(7).epochs(3).warmupEpochs(1).fixedEpochs(0).seed(2).calibrationBatches(2)
                .alphaLearningRate(0.05);
        MultiLayerNetwork net = TinySupernet.supernet(4);
        RepNas.configure(net, config, 6);
        net.setListeners(RepNas.listeners(config));
        ArchitectureEvaluator evaluator = RepNas.evaluator(config, test(), new ShuffledDataSetIterator(TRAIN, 16, 3, false));
        EarlyStoppingConfiguration<MultiLayerNetwork> es = new EarlyStoppingConfiguration.Builder<MultiLayerNetwork>()
                .epochTerminationConditions(new MaxEpochsTerminationCondition(3))
                .scoreCalculator(new ArchitectureScoreCalculator(evaluator))
                .modelSaver(new InMemoryModelSaver<>())
                .build();
        List<EnumSet<Branch>> before = OdbbBlocks.find(net).stream().map(b -> b.conf().getActiveBranches()).toList();
        EarlyStoppingResult<MultiLayerNetwork> result = new EarlyStoppingTrainer(es, net,
                new ShuffledDataSetIterator(TRAIN, 16, 1, true)).fit();
        assertEquals(3, result.getTotalEpochs());
        assertEquals(3, result.getScoreVsEpoch().size());
        assertTrue(result.getScoreVsEpoch().values().stream().allMatch(a -> a > 0 && a <= 1), result.getScoreVsEpoch().toString());
        // scoring leaves no trace in the network, and scores what an evaluation of the architecture found so far gives
        INDArray params = net.params().dup();
        List<EnumSet<Branch>> active = OdbbBlocks.find(net).stream().map(b -> b.conf().getActiveBranches()).toList();
        double score = new ArchitectureScoreCalculator(evaluator).calculateScore(net);
        assertEquals(params, net.params());
        assertEquals(active, OdbbBlocks.find(net).stream().map(b -> b.conf().getActiveBranches()).toList());
        assertEquals(result.getScoreVsEpoch().get(2), score, 0.0, "the last epoch's score, computed again");
        assertNotEquals(before, OdbbBlocks.find(net).stream().map(b -> b.conf().getActiveBranches()).toList(),
                "the search sampled architectures");
        Architecture best = RepNas.finish(result.getBestModel(), config, new ShuffledDataSetIterator(TRAIN, 16, 3, false));
        assertEquals(7 + 1, best.keptCount());
    }

    @Test
    void aComputationGraphSearchResumesExactly(@TempDir Path dir) throws Exception {
        EpochDataSource src = EpochDataSource.shuffled(TRAIN, 16, 3);
        SearchConfig config = SearchConfig.budget(9).epochs(4).warmupEpochs(1).fixedEpochs(1).seed(4).modelName("graph");
        ComputationGraph a = TinySupernet.supernetGraph(1);
        RepNasSearch.Result ra = RepNasSearch.create(config, dir.resolve("a"), QUIET).run(a, src, test());

        RepNasSearch[] sb = {RepNasSearch.create(config, dir.resolve("b"), QUIET)};
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> sb[0].run(TinySupernet.supernetGraph(1), SearchResumeTest.interrupting(src, 2, 1, 3, sb), test()));
        RepNasSearch.Result rb = RepNasSearch.resume(dir.resolve("b"), src, test(), QUIET);
        assertEquals(a.params(), rb.model().params());
        assertEquals(ra.architecture(), rb.architecture());
        assertEquals(((ComputationGraph) rb.model()).getConfiguration().toJson(), a.getConfiguration().toJson());
    }

    @Test
    void aDamagedNewestCheckpointFallsBackToThePreviousOne(@TempDir Path dir) throws Exception {
        EpochDataSource src = EpochDataSource.shuffled(TRAIN, 16, 3);
        SearchConfig config = SearchConfig.budget(9).epochs(3).warmupEpochs(1).fixedEpochs(1).seed(4);
        RepNasSearch.Result full = RepNasSearch.create(config, dir.resolve("full"), QUIET).run(TinySupernet.supernet(1), src, test());

        RepNasSearch[] s = {RepNasSearch.create(config, dir.resolve("cut"), QUIET)};
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> s[0].run(TinySupernet.supernet(1), SearchResumeTest.interrupting(src, 2, 99, 2, s), test()));
        Path latest = dir.resolve("cut").resolve(Files.readString(dir.resolve("cut/latest")).trim());
        assertEquals("checkpoint-e0002-b000000", latest.getFileName().toString());
        Path model = latest.resolve("model.zip");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(bytes, bytes.length / 2));          // cut off
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        RepNasSearch.Result resumed = RepNasSearch.resume(dir.resolve("cut"), src, test(), new PrintStream(said));
        assertTrue(said.toString().contains("checkpoint-e0001-b000000") && said.toString().contains("is damaged"), said.toString());
        assertEquals(full.model().params(), resumed.model().params(), "resumed from the previous checkpoint, exactly");
    }

    /** A learning rate set on the config is used, not silently ignored; without weight options the network keeps its own. */
    @Test
    void weightOptionsAskForTheSearchsOptimizer() {
        MultiLayerNetwork own = TinySupernet.supernet(3);
        IUpdater before = ((OdbbConvLayer) own.getLayerWiseConfigurations().getConf(0).getLayer()).getUpdater();
        RepNas.configure(own, config(), 4);
        assertEquals(before, ((OdbbConvLayer) own.getLayerWiseConfigurations().getConf(0).getLayer()).getUpdater(),
                "no weight option set: the network's own updater stays");

        MultiLayerNetwork asked = TinySupernet.supernet(3);
        SearchConfig c = config().learningRate(0.07);
        assertTrue(c.isConfigureOptimizer());
        RepNas.configure(asked, c, 4);
        IUpdater u = ((OdbbConvLayer) asked.getLayerWiseConfigurations().getConf(0).getLayer()).getUpdater();
        assertTrue(u instanceof SgdMomentum, "the search's updater: " + u);
        assertEquals(0.07, u.getLearningRate(0, 0), 1e-12);
    }

    @Test
    void aSearchWithoutEvaluationStillRecordsWhatItKept() throws Exception {
        RepNasSearch.Result r = RepNasSearch.create(SearchConfig.budget(5).epochs(2).warmupEpochs(0).fixedEpochs(1), null, QUIET)
                .run(TinySupernet.supernet(1), EpochDataSource.shuffled(TRAIN, 32, 1), null);
        assertNull(r.history().get(0).testAccuracy);
        assertEquals(5 + 1, r.history().get(1).kept.stream().mapToInt(List::size).sum());
        assertFalse(r.history().get(0).alpha.isEmpty());
    }
}
