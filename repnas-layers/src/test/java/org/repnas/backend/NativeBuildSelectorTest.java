package org.repnas.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repnas.backend.NativeBuildSelector.Build;
import org.repnas.backend.NativeBuildSelector.Choice;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.repnas.backend.NativeBuildSelector.Build.GENERIC;
import static org.repnas.backend.NativeBuildSelector.Build.ONEDNN_AVX2;
import static org.repnas.backend.NativeBuildSelector.Build.ONEDNN_AVX512;
import static org.repnas.backend.NativeBuildSelector.choose;

/** The selection as a pure function of (CPU flags, builds on the class path, user property, switch). */
class NativeBuildSelectorTest {
    static final Set<String> SSE_ONLY = NativeBuildSelector.parseFlags("fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt");
    static final Set<String> AVX_ONLY = with(SSE_ONLY, "avx");
    static final Set<String> AVX2 = with(AVX_ONLY, "avx2 fma f16c bmi1 bmi2");
    static final Set<String> AVX512 = with(AVX2, "avx512f avx512vl avx512bw avx512dq avx512cd");
    /** Knights Landing: AVX-512 F and CD but not VL/BW/DQ, which the AVX-512 build needs. */
    static final Set<String> AVX512_KNL = with(AVX2, "avx512f avx512cd avx512er avx512pf");
    /** The three builds the project's pom puts on the class path. */
    static final Set<Build> SHIPPED = EnumSet.of(ONEDNN_AVX512, ONEDNN_AVX2, GENERIC);

    static Set<String> with(Set<String> base, String more) {
        Set<String> s = new HashSet<>(base);
        s.addAll(NativeBuildSelector.parseFlags(more));
        return s;
    }

    static Build pick(Set<String> flags, Set<Build> available) {
        return choose(flags, available, null, false).build();
    }

    @Test
    void theFastestShippedBuildTheCpuRuns() {
        assertEquals(ONEDNN_AVX512, pick(AVX512, SHIPPED));
        assertEquals(ONEDNN_AVX2, pick(AVX2, SHIPPED));
        assertEquals(ONEDNN_AVX2, pick(AVX512_KNL, SHIPPED), "AVX-512 without VL/BW/DQ is not enough");
        assertEquals(GENERIC, pick(AVX_ONLY, SHIPPED));
        assertEquals(GENERIC, pick(SSE_ONLY, SHIPPED));
        assertEquals(GENERIC, pick(with(AVX512, "-"), EnumSet.of(GENERIC)));
    }

    @Test
    void onlyBuildsOnTheClassPathAreChosen() {
        Choice c = choose(AVX512, EnumSet.of(ONEDNN_AVX2, GENERIC), null, false);
        assertEquals(ONEDNN_AVX2, c.build(), "the avx512 jar is not shipped");
        assertTrue(c.reason().contains("faster build"), c.reason());
        assertEquals(ONEDNN_AVX2, pick(AVX512, EnumSet.of(ONEDNN_AVX2)));
        assertEquals(GENERIC, pick(AVX512, EnumSet.of(GENERIC)));
        assertEquals(ONEDNN_AVX512, pick(AVX512, EnumSet.of(ONEDNN_AVX512)));
        assertEquals(GENERIC, pick(AVX2, EnumSet.of(ONEDNN_AVX512, GENERIC)), "never a build the CPU cannot run");
        // builds this project does not ship, chosen when they are what a user has
        assertEquals(Build.ONEDNN, pick(SSE_ONLY, EnumSet.of(ONEDNN_AVX2, Build.ONEDNN, GENERIC)));
        assertEquals(Build.AVX512, pick(AVX512, EnumSet.of(Build.AVX2, Build.AVX512, GENERIC)));
        assertEquals(Build.AVX2, pick(AVX2, EnumSet.of(Build.AVX2, Build.AVX512, GENERIC)));
        assertEquals(ONEDNN_AVX2, pick(AVX512, EnumSet.of(ONEDNN_AVX2, Build.AVX512)), "oneDNN beats AVX-512 compile flags");
    }

    @Test
    void noRunnableBuildLeavesJavaCppAloneAndSaysWhatToAdd() {
        Choice c = choose(AVX2, EnumSet.of(ONEDNN_AVX512), null, false);
        assertNull(c.build());
        assertNull(c.extension());
        assertTrue(c.reason().contains("avx512bw") && c.reason().contains("nd4j-native:<version>:linux-x86_64"), c.reason());
        assertNull(choose(SSE_ONLY, EnumSet.of(ONEDNN_AVX2, ONEDNN_AVX512), null, false).build());
    }

    @Test
    void theUsersPropertyAndTheSwitchWin() {
        Choice user = choose(AVX512, SHIPPED, "-onednn-avx2", false);
        assertNull(user.build(), "an explicit -Dorg.bytedeco.javacpp.platform.extension is never overridden");
        assertTrue(user.reason().contains("set by the user"), user.reason());
        assertNull(choose(AVX512, SHIPPED, "", false).build(), "an empty extension (the generic build) is a choice too");
        assertNull(choose(SSE_ONLY, SHIPPED, "-onednn-avx512", true).build());
        Choice off = choose(AVX512, SHIPPED, null, true);
        assertNull(off.build());
        assertTrue(off.reason().contains(NativeBuildSelector.SWITCH), off.reason());
    }

    @Test
    void nothingToDecide() {
        assertNull(choose(AVX512, null, null, false).build(), "another OS or architecture");
        assertNull(choose(AVX512, EnumSet.noneOf(Build.class), null, false).build(), "no nd4j-native natives (CUDA)");
        assertNull(choose(null, SHIPPED, null, false).build(), "no /proc/cpuinfo");
    }

    @Test
    void extensionsAndClassifiersAreNd4jsOwn() {
        assertEquals("-onednn-avx512", ONEDNN_AVX512.extension());
        assertEquals("linux-x86_64-onednn-avx2", ONEDNN_AVX2.classifier());
        assertEquals("", GENERIC.extension());
        assertEquals("linux-x86_64", GENERIC.classifier());
    }

    @Test
    void readsTheFlagsLineOfCpuinfo(@TempDir Path dir) throws Exception {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu AVX avx2 fma f16c\nbugs\t\t: \n"
                + "processor\t: 1\nflags\t\t: fpu\n");
        assertEquals(Set.of("fpu", "avx", "avx2", "fma", "f16c"), NativeBuildSelector.cpuFlags(cpuinfo));
        Files.writeString(cpuinfo, "processor\t: 0\nFeatures\t: fp asimd\n");
        assertNull(NativeBuildSelector.cpuFlags(cpuinfo), "an ARM cpuinfo has no flags line");
        assertNull(NativeBuildSelector.cpuFlags(dir.resolve("absent")));
    }

    @Test
    void theShippedBuildsAreOnTheTestClassPath() {
        assertEquals(SHIPPED, NativeBuildSelector.availableBuilds());
    }
}
