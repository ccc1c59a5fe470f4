package org.repnas.zoo;

import org.repnas.layers.fusion.NetworkFuser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.repnas.layers.BlockPreset;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Fused RepVGG parameter counts at 1000 classes are RepVGG's (paper Table 4, RepVGG Table 2). */
class RepVggTest {

    @ParameterizedTest(name = "RepVGG-{0}: {1}M")
    @CsvSource({"A0, 8.30", "A1, 12.78", "A2, 25.49", "B0, 14.33", "B1, 51.82", "B2, 80.31", "B3, 110.96"})
    void fusedParameterCounts(RepVgg.Variant v, double millions) {
        for (BlockPreset p : new BlockPreset[]{BlockPreset.ALL, BlockPreset.PLAIN}) {
            long n = NetworkFuser.fusedParameterCount(RepVgg.builder(v).preset(p).build().conf());
            System.out.printf("RepVGG-%s (%s) fused: %d parameters (%.2fM)%n", v, p, n, n / 1e6);
            assertEquals(millions, n / 1e6, 0.01 + 1e-9, v + " " + p);
        }
    }
}
