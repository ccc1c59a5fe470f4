package org.repnas.backend;

import org.nd4j.common.io.Resource;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * Runs {@link NativeBuildSelector#install()} in any JVM that has this library on its class path, without the user
 * doing anything. Registered in {@code META-INF/services/org.nd4j.linalg.factory.Nd4jBackend}: ND4J's
 * {@code Nd4jBackend.load()} instantiates every registered backend (running this class's static initialiser) before it
 * picks one and loads its natives. This "backend" is never picked: its priority is below the CPU and CUDA backends and it
 * reports itself unavailable.
 */
public final class NativeBuildSelectionHook extends Nd4jBackend {
    static {
        NativeBuildSelector.install();
    }

    /** Below the CPU backend (0); not Integer.MIN_VALUE, which overflows ND4J's comparator (o2 - o1). */
    static final int PRIORITY = -1000;

    @Override
    public boolean allowsOrder() {
        return false;
    }

    @Override
    public int getPriority() {
        return PRIORITY;
    }

    @Override
    public boolean isAvailable() {
        return false;
    }

    @Override
    public boolean canRun() {
        return false;
    }

    @Override
    public Resource getConfigurationResource() {
        return null;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class getNDArrayClass() {
        return null;
    }

    @Override
    public Environment getEnvironment() {
        return null;
    }

    @Override
    public String buildInfo() {
        return "repnas nd4j-native build selection (not a backend)";
    }

    @Override
    public void logBackendInit() {
    }
}
