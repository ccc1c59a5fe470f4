package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Compatibility shim for a DL4J 1.0.0-M2.1 bug, used through {@link org.repnas.backend.OneDnnLayerHelpers}.
 *
 * <p>DL4J's {@code BaseMKLDNNHelper.mklDnnEnabled()} asks {@code org.nd4j.nativeblas.Nd4jCpu$Environment} whether the
 * native build has oneDNN, but M2.1's natives moved that class to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}. The lookup fails, so DL4J's own layers
 * (ConvolutionLayer, SubsamplingLayer, BatchNormalization) never use oneDNN even on a oneDNN build. This class has the
 * old name and answers from the new one. It does nothing unless DL4J's helpers are enabled.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** The part of the old {@code Nd4jCpu.Environment} that DL4J's oneDNN check calls. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** True when the loaded nd4j-native build has oneDNN and uses it (false on any other backend). */
        public boolean isUseMKLDNN() {
            try {
                Class<?> env = Class.forName("org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment");
                Object instance = env.getMethod("getInstance").invoke(null);
                Method useOneDnn = env.getMethod("isUseONEDNN");
                return (boolean) useOneDnn.invoke(instance);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
