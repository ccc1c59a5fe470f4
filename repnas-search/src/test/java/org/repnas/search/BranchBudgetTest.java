package org.repnas.search;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.layers.TinySupernet;
import org.repnas.search.data.ShuffledDataSetIterator;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BranchBudgetTest {

    @Test
    void exactlyCKeptAndNoBlockEmptyForRandomScores() {
        Random r = new Random(1);
        List<EnumSet<Branch>> present = List.of(EnumSet.allOf(Branch.class), EnumSet.of(Branch.CONV_1X1, Branch.CONV_1X1_AVG),
                EnumSet.complementOf(EnumSet.of(Branch.IDENTITY)), EnumSet.of(Branch.KXK));
        for (int trial = 0; trial < 2000; trial++) {
            int budget = 4 + r.nextInt(16 - 4 + 1);
            List<double[]> scores = new ArrayList<>();
            for (int i = 0; i < present.size(); i++) {
                double[] s = new double[7];
                for (int j = 0; j < 7; j++) s[j] = r.nextGaussian() * (trial % 3 == 0 ? 0.01 : 3);
                scores.add(s);
            }
            List<EnumSet<Branch>> kept = BranchBudget.keep(present, scores, budget);
            assertEquals(budget, kept.stream().mapToInt(EnumSet::size).sum());
            for (int i = 0; i < kept.size(); i++) {
                assertFalse(kept.get(i).isEmpty(), "block " + i + " empty");
                assertTrue(present.get(i).containsAll(kept.get(i)));
            }
        }
    }

    @Test
    void topCOfScoresAndKxkFallback() {
        List<EnumSet<Branch>> present = List.of(EnumSet.of(Branch.KXK, Branch.CONV_1X1, Branch.CONV_1XK),
                EnumSet.of(Branch.KXK, Branch.CONV_1X1));
        double[] a = new double[7], b = new double[7];
        a[Branch.KXK.ordinal()] = 5; a[Branch.CONV_1X1.ordinal()] = 4; a[Branch.CONV_1XK.ordinal()] = 3;
        b[Branch.KXK.ordinal()] = -2; b[Branch.CONV_1X1.ordinal()] = -1;
        // top 3 are all in block 0: block 1 falls back to its KxK, replacing block 0's lowest (1xK)
        List<EnumSet<Branch>> kept = BranchBudget.keep(present, List.of(a, b), 3);
        assertEquals(EnumSet.of(Branch.KXK, Branch.CONV_1X1), kept.get(0));
        assertEquals(EnumSet.of(Branch.KXK), kept.get(1));
        // a wider budget reaches block 1's best branches by score
        kept = BranchBudget.keep(present, List.of(a, b), 4);
        assertEquals(EnumSet.of(Branch.KXK, Branch.CONV_1X1, Branch.CONV_1XK), kept.get(0));
        assertEquals(EnumSet.of(Branch.CONV_1X1), kept.get(1));
    }

    @Test
    void impossibleBudgetsNameTheRange() {
        List<EnumSet<Branch>> present = List.of(EnumSet.allOf(Branch.class), EnumSet.of(Branch.KXK));
        IllegalArgumentException low = assertThrows(IllegalArgumentException.class, () -> BranchBudget.check(present, 1));
        assertTrue(low.getMessage().contains("below the number of blocks (2)") && low.getMessage().contains("between 2 and 8"), low.getMessage());
        IllegalArgumentException high = assertThrows(IllegalArgumentException.class, () -> BranchBudget.check(present, 9));
        assertTrue(high.getMessage().contains("above the number of branches in the network (8)"), high.getMessage());
    }

    @Test
    void listenerMeetsTheBudgetEveryIterationOfFit() {
        MultiLayerNetwork net = TinySupernet.supernet(1);
        int budget = 7;   // 3 blocks: 7 + 6 + 6 = 19 branches
        BranchBudgetListener listener = new BranchBudgetListener(budget, 5);
        List<List<EnumSet<Branch>>> seen = new ArrayList<>();
        // record what actually ran: the active sets when each iteration's forward pass happens
        net.setListeners(listener, new org.deeplearning4j.optimize.api.BaseTrainingListener() {
            @Override
            public void onForwardPass(org.deeplearning4j.nn.api.Model model, List<org.nd4j.linalg.api.ndarray.INDArray> activations) {
                List<EnumSet<Branch>> s = new ArrayList<>();
                for (OdbbBlocks.Block b : OdbbBlocks.find(model)) s.add(b.conf().getActiveBranches());
                seen.add(s);
            }
        });
        DataSet d = TinySupernet.data(96, 2);
        DataSetIterator it = new ShuffledDataSetIterator(d, 16, 3, true);
        net.fit(it, 2);
        assertEquals(12, seen.size());
        Set<List<EnumSet<Branch>>> distinct = new HashSet<>(seen);
        for (List<EnumSet<Branch>> s : seen) {
            assertEquals(budget, s.stream().mapToInt(EnumSet::size).sum(), "kept " + s);
            assertTrue(s.stream().noneMatch(EnumSet::isEmpty));
        }
        assertTrue(distinct.size() > 6, "the kept sets should change between iterations, saw " + distinct.size());
    }

    @Test
    void networkWithoutOdbbIsRejected() {
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork plain = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(
                new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().list()
                        .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nIn(4).nOut(2).build()).build());
        plain.init();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BranchBudgetListener(3, 1).prepare(plain));
        assertTrue(e.getMessage().contains("no OdbbConvLayer"), e.getMessage());
    }
}
