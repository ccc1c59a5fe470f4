package org.repnas.examples.bench;

import org.bytedeco.javacpp.Loader;
import org.nd4j.linalg.factory.Nd4j;
import org.repnas.backend.NativeBuildSelector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** What a benchmark result depends on: the CPU (model, flags), the nd4j-native build loaded, threads, date. */
public final class MachineInfo {
    private MachineInfo() {
    }

    /** Several lines, each starting with "# ". Initialises ND4J. */
    public static String describe() {
        Nd4j.create(1);
        String lib = Loader.getLoadedLibraries().get("nd4jcpu");
        NativeBuildSelector.Choice choice = NativeBuildSelector.installed();
        return "# date: " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + "\n"
                + "# cpu: " + cpuinfo("model name") + ", " + Runtime.getRuntime().availableProcessors() + " cores\n"
                + "# cpu flags: " + cpuinfo("flags") + "\n"
                + "# nd4j-native build loaded: " + (lib == null ? "(none)" : Path.of(lib).getParent().getFileName()) + " (" + lib + ")\n"
                + "# build choice: " + (choice == null ? "(selector did not run)" : choice.reason()) + "\n"
                + "# java " + System.getProperty("java.version") + ", ND4J threads " + Nd4j.getEnvironment().maxMasterThreads()
                + ", OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS");
    }

    static String cpuinfo(String key) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            return lines.stream().filter(l -> l.startsWith(key)).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse("?");
        } catch (IOException e) {
            return "? (" + e.getMessage() + ")";
        }
    }
}
