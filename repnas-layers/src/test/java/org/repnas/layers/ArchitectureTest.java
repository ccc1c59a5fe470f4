package org.repnas.layers;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repnas.layers.BlockPreset;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbBlocks;
import org.repnas.layers.OdbbConvLayer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureTest {

    @Test
    void jsonRoundTripAndApply(@TempDir Path dir) throws IOException {
        MultiLayerNetwork net = TinySupernet.supernet(2);
        Architecture sampled = new Architecture("tiny", 9, List.of(
                new Architecture.BlockArchitecture("layer0", List.of("kxk", "1x1", "1xk"), null),
                new Architecture.BlockArchitecture("layer1", List.of("identity", "1x1_avg", "kx1"), null),
                new Architecture.BlockArchitecture("layer2", List.of("kxk", "1x1", "1x1_kxk"), null)));
        sampled.applyTo(net);
        Architecture exported = Architecture.of(net, "tiny");
        assertEquals(sampled.keptPerBlock(), exported.keptPerBlock());
        assertEquals(9, exported.keptCount());
        Path file = dir.resolve("arch.json");
        exported.write(file);
        Architecture back = Architecture.read(file);
        assertEquals(exported, back);
        assertEquals(exported.blocks().get(1).alpha(), back.blocks().get(1).alpha());

        // apply to a fresh supernet: same kept sets
        MultiLayerNetwork fresh = TinySupernet.supernet(7);
        back.applyTo(fresh);
        assertEquals(back.keptPerBlock(), Architecture.of(fresh, "tiny").keptPerBlock());

        // retrain from scratch: a network whose blocks have only the kept branches
        MultiLayerConfiguration conf = back.restrict(TinySupernet.supernetConf(8));
        MultiLayerNetwork scratch = new MultiLayerNetwork(conf);
        scratch.init();
        List<OdbbBlocks.Block> blocks = OdbbBlocks.find(scratch);
        for (int i = 0; i < blocks.size(); i++) {
            assertEquals(back.keptPerBlock().get(i), blocks.get(i).conf().getPresentBranches());
        }
        assertTrue(scratch.numParams() < fresh.numParams());
    }

    @Test
    void badFilesSayWhatIsWrong(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.json");
        IOException e1 = assertThrows(IOException.class, () -> Architecture.read(missing));
        assertTrue(e1.getMessage().contains("not found"), e1.getMessage());
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"blocks\": [{\"name\": \"a\", \"kept\": [\"3x5\"]}]}");
        Exception e2 = assertThrows(Exception.class, () -> Architecture.read(broken));
        assertTrue(e2.getMessage().contains("Unknown branch '3x5'"), e2.getMessage());
        Architecture two = new Architecture("x", 2, List.of(new Architecture.BlockArchitecture("a", List.of("kxk"), null),
                new Architecture.BlockArchitecture("b", List.of("kxk"), null)));
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> two.applyTo(TinySupernet.supernet(1)));
        assertTrue(e3.getMessage().contains("has 2 blocks but the model has 3"), e3.getMessage());
    }

    /** RepVGG-A0's 22 blocks: stem 3->48 /2, stages of 2, 4, 14, 1 blocks to 48, 96, 192, 1280, each starting with /2. */
    static List<OdbbConvLayer> repVggA0Blocks() {
        List<OdbbConvLayer> blocks = new ArrayList<>();
        blocks.add(OdbbConvLayer.builder().nIn(3).nOut(48).stride(2).preset(BlockPreset.ALL).build());
        int[] depths = {2, 4, 14, 1};
        int[] widths = {48, 96, 192, 1280};
        int in = 48;
        for (int s = 0; s < 4; s++) {
            for (int i = 0; i < depths[s]; i++) {
                blocks.add(OdbbConvLayer.builder().nIn(in).nOut(widths[s]).stride(i == 0 ? 2 : 1).preset(BlockPreset.ALL).build());
                in = widths[s];
            }
        }
        return blocks;
    }

    @Test
    void officialRepNasA0MatchesTheFile() throws IOException {
        List<OdbbConvLayer> blocks = repVggA0Blocks();
        Architecture a;
        try (InputStream in = getClass().getResourceAsStream("/official-repnas-a0.tsv")) {
            a = Architecture.fromOfficialTsv(in, "official-repnas-a0.tsv", "RepVGG-A0", blocks);
        }
        assertEquals(22, a.blocks().size());
        // the file's rows, in its column order 1x1 1x1_avg 3x3 1x1_3x3 1x3 3x1
        String[] rows = {"001100", "001100", "001000", "001100", "000100", "000100", "001100", "001100", "001100", "000100",
                "001100", "001110", "001100", "001100", "001100", "001100", "001100", "001100", "001100", "000100", "001100", "111111"};
        Branch[] columns = {Branch.CONV_1X1, Branch.CONV_1X1_AVG, Branch.KXK, Branch.CONV_1X1_KXK, Branch.CONV_1XK, Branch.CONV_KX1};
        int identities = 0;
        for (int i = 0; i < 22; i++) {
            EnumSet<Branch> expected = EnumSet.noneOf(Branch.class);
            for (int c = 0; c < 6; c++) if (rows[i].charAt(c) == '1') expected.add(columns[c]);
            if (blocks.get(i).identityPossible()) { expected.add(Branch.IDENTITY); identities++; }
            assertEquals(expected, a.blocks().get(i).keptBranches(), "block " + i);
        }
        assertEquals(17, identities);
        assertEquals(40 + 17 + 4, a.keptCount());
    }
}
