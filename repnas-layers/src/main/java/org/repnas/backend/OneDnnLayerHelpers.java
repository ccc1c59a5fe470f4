package org.repnas.backend;

import org.deeplearning4j.config.DL4JSystemProperties;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;


/**
 * Lets DL4J's own layers run on oneDNN, which is what makes a fused network (plain {@code ConvolutionLayer}s) fast.
 *
 * <p>In DL4J 1.0.0-M2.1 a {@code ConvolutionLayer} on the CPU falls back to im2col and a matrix multiply, about 10x
 * slower than the oneDNN convolution the same natives have, for two reasons: layer helpers are off by default (system
 * property {@value DL4JSystemProperties#DISABLE_HELPER_PROPERTY} = true), and the check that would switch oneDNN on
 * looks for a class M2.1 no longer has (see {@link org.nd4j.nativeblas.Nd4jCpu}, the shim this library ships).
 *
 * <p>{@link org.repnas.layers.fusion.NetworkFuser}-made and zoo networks get the helpers without asking (their layers are created
 * inside {@link #whileCreating}). For a fused network you restore yourself, call {@link #enable()} once, before
 * building or restoring it: DL4J picks a layer's helper when it creates the layer. Or start the JVM with {@code -Dorg.eclipse.deeplearning4j.helpers.disable=false}. The switch is
 * JVM-wide and applies to all DL4J layers that have a oneDNN helper (convolution, subsampling, batch normalization,
 * local response normalization); outputs agree with the built-in path to float rounding.
 */
public final class OneDnnLayerHelpers {
    /** DL4J's system property; "false" enables layer helpers. */
    public static final String PROPERTY = DL4JSystemProperties.DISABLE_HELPER_PROPERTY;

    private OneDnnLayerHelpers() {
    }

    /**
     * Enables DL4J's oneDNN layer helpers for layers created from now on.
     *
     * @return whether oneDNN will actually be used (false on a backend without it, such as CUDA or a generic build)
     */
    public static boolean enable() {
        System.setProperty(PROPERTY, "false");
        return available();
    }

    /** Switches the helpers off again for layers created from now on (DL4J's default). */
    public static void disable() {
        System.setProperty(PROPERTY, "true");
    }

    /**
     * Runs {@code create} (which builds or restores networks) with the helpers enabled, then puts the property back as
     * it was: the layers created inside use oneDNN, nothing else in the JVM changes. Used by the fuser and the zoo.
     */
    public static <T, E extends Exception> T whileCreating(Creation<T, E> create) throws E {
        synchronized (OneDnnLayerHelpers.class) {
            String before = System.getProperty(PROPERTY);
            System.setProperty(PROPERTY, "false");
            try {
                return create.create();
            } finally {
                if (before == null) System.clearProperty(PROPERTY);
                else System.setProperty(PROPERTY, before);
            }
        }
    }

    /** What {@link #whileCreating} runs: builds or restores networks, and may fail as restoring from a file can. */
    @FunctionalInterface
    public interface Creation<T, E extends Exception> {
        T create() throws E;
    }

    /** Whether layers created now get a oneDNN helper. */
    public static boolean enabled() {
        return !Boolean.parseBoolean(System.getProperty(PROPERTY, DL4JSystemProperties.HELPER_DISABLE_DEFAULT_VALUE))
                && available();
    }

    /** Whether the loaded ND4J backend has oneDNN that DL4J's layers can use. */
    public static boolean available() {
        return BaseMKLDNNHelper.mklDnnEnabled();
    }
}
