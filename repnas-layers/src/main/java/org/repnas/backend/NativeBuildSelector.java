package org.repnas.backend;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Picks which nd4j-native build JavaCPP loads: the fastest one the CPU can run among those on the class path.
 *
 * <p>nd4j-native 1.0.0-M2.1 ships one jar per build (classifiers {@code linux-x86_64-onednn-avx512},
 * {@code -onednn-avx2}, the generic {@code linux-x86_64}, ...). With several on the class path JavaCPP, left alone,
 * loads whichever comes first in its own fixed order (onednn-avx2 before onednn-avx512), and a build the CPU cannot run
 * is not refused: dlopen succeeds and ND4J then calls {@code System.exit(1)}. So the choice is made here, before ND4J
 * loads its natives, by setting JavaCPP's {@value #JAVACPP_EXTENSION} to the build's extension:
 * <ol>
 *   <li>an extension the user set ({@code -D}{@value #JAVACPP_EXTENSION}{@code =...}) is never overridden;</li>
 *   <li>{@code -D}{@value #SWITCH}{@code =false} switches the selection off (JavaCPP's default order then applies);</li>
 *   <li>otherwise the first {@link Build} (oneDNN-AVX-512, oneDNN-AVX2, oneDNN, AVX-512, AVX2, generic) whose
 *       natives are on the class path and whose instruction sets {@code /proc/cpuinfo} lists.</li>
 * </ol>
 * If nothing can be decided (another OS or architecture, no nd4j-native natives at all, e.g. the CUDA backend, or no
 * readable CPU flags), JavaCPP's defaults are left alone. One INFO line says what was chosen and why.
 *
 * <p>It runs without being called: {@link NativeBuildSelectionHook} is an {@code Nd4jBackend} service that ND4J
 * instantiates before it loads any native code. {@link #install()} may also be called first thing in a {@code main}.
 */
public final class NativeBuildSelector {
    /** JavaCPP's system property naming the build (a suffix of the platform directory, e.g. "-onednn-avx2"). */
    public static final String JAVACPP_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    /** Our switch: {@code -Drepnas.natives.select=false} leaves the choice to JavaCPP. */
    public static final String SWITCH = "repnas.natives.select";
    /** The only platform whose builds this selector knows. */
    static final String PLATFORM = "linux-x86_64";
    /** Where nd4j-native's jars keep each build's libraries ({@code <dir>/linux-x86_64<extension>/}). */
    static final String NATIVES_DIR = "org/nd4j/linalg/cpu/nativecpu/bindings/";
    static final List<String> LIBRARIES = List.of("libnd4jcpu.so", "libjnind4jcpu.so");

    /** Instruction sets libnd4j's AVX2 builds are compiled for ({@code -mavx -mavx2 -mfma -mf16c}). */
    static final Set<String> AVX2_FLAGS = Set.of("avx", "avx2", "fma", "f16c");
    /**
     * What libnd4j's AVX-512 builds need: its own start-up check ({@code isMinimalRequirementsMet}: avx, avx2,
     * avx512f/vl/bw/dq/cd) plus the other {@code -m} flags they are compiled with (fma, f16c, bmi, bmi2).
     */
    static final Set<String> AVX512_FLAGS = Set.of("avx", "avx2", "fma", "f16c", "bmi1", "bmi2",
            "avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd");

    /** The builds, fastest first (oneDNN convolutions are ~5x faster than the builds without it). */
    public enum Build {
        ONEDNN_AVX512("-onednn-avx512", AVX512_FLAGS),
        ONEDNN_AVX2("-onednn-avx2", AVX2_FLAGS),
        ONEDNN("-onednn", Set.of()),
        AVX512("-avx512", AVX512_FLAGS),
        AVX2("-avx2", AVX2_FLAGS),
        GENERIC("", Set.of());

        private final String extension;
        private final Set<String> requiredFlags;

        Build(String extension, Set<String> requiredFlags) {
            this.extension = extension;
            this.requiredFlags = requiredFlags;
        }

        /** JavaCPP's platform extension of this build ("" for the generic one). */
        public String extension() {
            return extension;
        }

        /** The Maven classifier of its jar. */
        public String classifier() {
            return PLATFORM + extension;
        }

        /** CPU flags ({@code /proc/cpuinfo} names) the build needs. */
        public Set<String> requiredFlags() {
            return requiredFlags;
        }

        public boolean runsOn(Set<String> cpuFlags) {
            return cpuFlags.containsAll(requiredFlags);
        }
    }

    /**
     * The outcome.
     *
     * @param build  the build to load, or null to leave JavaCPP's settings alone
     * @param reason one sentence for the log
     */
    public record Choice(Build build, String reason) {
        /** The value for {@value #JAVACPP_EXTENSION}, or null when nothing is to be set. */
        public String extension() {
            return build == null ? null : build.extension();
        }
    }

    private static final Logger log = LoggerFactory.getLogger(NativeBuildSelector.class);
    private static Choice installed;

    private NativeBuildSelector() {
    }

    /**
     * The decision, as a pure function.
     *
     * @param cpuFlags      the CPU's flags, or null when they cannot be read
     * @param available     the builds whose natives are on the class path, or null on a platform this does not handle
     * @param userExtension the user's {@value #JAVACPP_EXTENSION}, or null
     * @param switchedOff   whether {@value #SWITCH} is false
     */
    public static Choice choose(Set<String> cpuFlags, Set<Build> available, String userExtension, boolean switchedOff) {
        if (userExtension != null) {
            return new Choice(null, "kept -D" + JAVACPP_EXTENSION + "=" + userExtension + " set by the user");
        }
        if (switchedOff) {
            return new Choice(null, "selection switched off (-D" + SWITCH + "=false): JavaCPP's default order applies");
        }
        if (available == null) {
            return new Choice(null, "not " + PLATFORM + ": JavaCPP's defaults apply");
        }
        if (available.isEmpty()) {
            return new Choice(null, "no nd4j-native " + PLATFORM + " natives on the class path (another backend?)");
        }
        if (cpuFlags == null) {
            return new Choice(null, "CPU flags unreadable (no /proc/cpuinfo): JavaCPP's default order applies");
        }
        String present = "on the class path: " + available.stream().map(Build::classifier).collect(Collectors.joining(", "));
        for (Build b : Build.values()) {
            if (available.contains(b) && b.runsOn(cpuFlags)) {
                String why = b.requiredFlags() == AVX512_FLAGS ? "the CPU has AVX-512"
                        : b.requiredFlags() == AVX2_FLAGS ? (cpuFlags.containsAll(AVX512_FLAGS) ? "the CPU has AVX2 (and AVX-512)"
                        : "the CPU has AVX2, not AVX-512")
                        : cpuFlags.containsAll(AVX2_FLAGS) ? "needs no extended instruction set" : "the CPU has no AVX2";
                boolean faster = Arrays.stream(Build.values()).limit(b.ordinal()).anyMatch(f -> f.runsOn(cpuFlags));
                return new Choice(b, b.classifier() + ": " + why + (faster ? " (a faster build it could run is not on the class path)" : "")
                        + "; " + present);
            }
        }
        Set<String> missing = new LinkedHashSet<>();
        for (Build b : available) {
            b.requiredFlags().stream().filter(f -> !cpuFlags.contains(f)).sorted().forEach(missing::add);
        }
        return new Choice(null, "no build on the class path runs on this CPU (it lacks " + String.join(" ", missing)
                + "); " + present + ". Add org.nd4j:nd4j-native:<version>:" + Build.GENERIC.classifier());
    }

    /**
     * Decides once for this JVM and sets {@value #JAVACPP_EXTENSION} (also in JavaCPP's cached properties, in case
     * JavaCPP has been used already). Must run before ND4J loads its natives to have an effect; later calls return
     * the first decision.
     */
    public static synchronized Choice install() {
        if (installed != null) return installed;
        Choice c;
        try {
            c = choose(cpuFlags(Path.of("/proc/cpuinfo")), availableBuilds(),
                    System.getProperty(JAVACPP_EXTENSION), "false".equalsIgnoreCase(System.getProperty(SWITCH, "true").trim()));
        } catch (RuntimeException e) {
            c = new Choice(null, "selection failed (" + e + "): JavaCPP's default order applies");
        }
        if (c.build() != null) {
            System.setProperty(JAVACPP_EXTENSION, c.extension());
            try {
                // JavaCPP caches its platform properties when its Loader class initialises: keep the cache in sync
                org.bytedeco.javacpp.Loader.loadProperties().setProperty("platform.extension", c.extension());
            } catch (RuntimeException | LinkageError e) {
                log.debug("JavaCPP's cached properties not updated", e);
            }
            log.info("nd4j-native build {}", c.reason());
        } else if (c.reason().startsWith("no build on the class path runs")) {
            log.warn("nd4j-native build: {}", c.reason());
        } else {
            log.info("nd4j-native build: {}", c.reason());
        }
        installed = c;
        return c;
    }

    /** The decision {@link #install()} made, or null if it has not run. */
    public static synchronized Choice installed() {
        return installed;
    }

    /** The "flags" line of a cpuinfo file, or null if there is none (not Linux, not x86). */
    static Set<String> cpuFlags(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags") && line.indexOf(':') > 0) {
                    return parseFlags(line.substring(line.indexOf(':') + 1));
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    static Set<String> parseFlags(String flags) {
        return Arrays.stream(flags.trim().split("\\s+")).filter(f -> !f.isEmpty())
                .map(f -> f.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** The builds whose libraries are on the class path, or null on another platform than linux-x86_64. */
    static Set<Build> availableBuilds() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String platform = System.getProperty("org.bytedeco.javacpp.platform");
        boolean linuxX86 = platform != null ? platform.equals(PLATFORM)
                : os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
        if (!linuxX86) return null;
        EnumSet<Build> out = EnumSet.noneOf(Build.class);
        for (Build b : Build.values()) {
            if (present(b, loaders())) out.add(b);
        }
        return out;
    }

    private static Collection<ClassLoader> loaders() {
        Set<ClassLoader> ls = new LinkedHashSet<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) ls.add(context);
        ls.add(NativeBuildSelector.class.getClassLoader());
        return ls;
    }

    private static boolean present(Build b, Collection<ClassLoader> loaders) {
        for (ClassLoader l : loaders) {
            boolean all = true;
            for (String lib : LIBRARIES) {
                URL u = l.getResource(NATIVES_DIR + b.classifier() + "/" + lib);
                all &= u != null;
            }
            if (all) return true;
        }
        return false;
    }
}
