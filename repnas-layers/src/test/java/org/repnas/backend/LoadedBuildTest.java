package org.repnas.backend;

import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The build ND4J loaded is the one the selector chose, with nobody calling it: the {@code Nd4jBackend} service hook ran
 * on ND4J's initialisation. Child JVMs check the user's property and the switch.
 */
class LoadedBuildTest {

    static String loadedNd4jcpu() {
        return Loader.getLoadedLibraries().get("nd4jcpu");
    }

    /** The platform directory of a loaded library, e.g. "linux-x86_64-onednn-avx512". */
    static String buildDir(String libraryPath) {
        Path p = Path.of(libraryPath);
        return p.getParent().getFileName().toString();
    }

    @Test
    void theLoadedLibraryIsTheChosenBuild() {
        Nd4j.create(1);
        NativeBuildSelector.Choice c = NativeBuildSelector.installed();
        assertNotNull(c, "the service hook ran before ND4J loaded its natives");
        String lib = loadedNd4jcpu();
        assertNotNull(lib, "nd4jcpu loaded: " + Loader.getLoadedLibraries());
        String user = System.getProperty(NativeBuildSelector.JAVACPP_EXTENSION);
        String expected = NativeBuildSelector.PLATFORM + (c.build() != null ? c.extension() : user);
        assertEquals(expected, buildDir(lib), c.reason() + "; loaded " + lib);
        java.util.Set<String> flags = NativeBuildSelector.cpuFlags(Path.of("/proc/cpuinfo"));
        if (user == null) {
            NativeBuildSelector.Build best = flags.containsAll(NativeBuildSelector.AVX512_FLAGS) ? NativeBuildSelector.Build.ONEDNN_AVX512
                    : flags.containsAll(NativeBuildSelector.AVX2_FLAGS) ? NativeBuildSelector.Build.ONEDNN_AVX2
                    : NativeBuildSelector.Build.GENERIC;
            assertEquals(best, c.build(), "the pom ships both oneDNN builds and the generic one; " + c.reason());
        }
    }

    @Test
    void theUsersExtensionIsKept() throws Exception {
        // "" is JavaCPP's generic build: not what the selector would pick on an AVX2 or AVX-512 machine
        List<String> out = child("-D" + NativeBuildSelector.JAVACPP_EXTENSION + "=");
        assertEquals("linux-x86_64", line(out, "dir"), String.join("\n", out));
        assertTrue(line(out, "reason").contains("set by the user"), String.join("\n", out));
    }

    @Test
    void theSwitchLeavesJavaCppAlone() throws Exception {
        List<String> out = child("-D" + NativeBuildSelector.SWITCH + "=false");
        assertEquals("null", line(out, "property"), String.join("\n", out));
        assertTrue(line(out, "reason").contains("switched off"), String.join("\n", out));
        assertTrue(line(out, "dir").startsWith("linux-x86_64"), String.join("\n", out));
    }

    static String line(List<String> out, String key) {
        return out.stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst()
                .orElse("(no " + key + " line)");
    }

    static List<String> child(String... props) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx1g");
        cmd.addAll(List.of(props));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PrintLoadedBuild.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            lines = r.lines().collect(Collectors.toList());
        }
        assertEquals(0, p.waitFor(), String.join("\n", lines));
        return lines;
    }

    /** A user's program: uses ND4J, prints what loaded. */
    public static final class PrintLoadedBuild {
        public static void main(String[] args) {
            Nd4j.create(1);
            System.out.println("property=" + System.getProperty(NativeBuildSelector.JAVACPP_EXTENSION));
            NativeBuildSelector.Choice c = NativeBuildSelector.installed();
            System.out.println("reason=" + (c == null ? "(hook did not run)" : c.reason()));
            System.out.println("dir=" + buildDir(loadedNd4jcpu()));
        }
    }

    @Test
    void buildDirOfAJavaCppCachePath() {
        assertEquals("linux-x86_64-onednn-avx2", buildDir("/root/.javacpp/cache/nd4j-native-1.0.0-M2.1-linux-x86_64-onednn-avx2.jar"
                + File.separator + "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-onednn-avx2/libnd4jcpu.so"));
    }
}
