package org.repnas.layers;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * The names of an ODBB's parameters: the one place they are built and recognised. Everything else asks here (by
 * branch, or {@link #role(String)} of a name) instead of matching prefixes or suffixes. Names contain no '_': DL4J
 * splits gradient keys ("layer_param") at the last underscore.
 */
public final class OdbbParams {
    private OdbbParams() {
    }

    /** What a parameter is, which decides its initialisation, updater and regularization. */
    public enum Role {
        /** A convolution kernel (main KxK, a branch's own kernel, or the 1x1 in front of the 1x1-KxK's KxK). */
        KERNEL,
        GAMMA,
        BETA,
        /** BatchNorm running mean: updated by its own step, not by an optimizer. */
        RUNNING_MEAN,
        /** BatchNorm running variance (the variance itself, not DL4J's log10(std)). */
        RUNNING_VAR,
        /** A branch's architecture parameter alpha, shape [1, 1]. */
        ALPHA;

        public boolean isRunningStatistic() {
            return this == RUNNING_MEAN || this == RUNNING_VAR;
        }
    }

    /** The four parameters of one BatchNorm, each of shape [1, channels]. */
    public record BatchNorm(String gamma, String beta, String mean, String var) {
        private static BatchNorm named(String prefix) {
            return new BatchNorm(prefix + "Gamma", prefix + "Beta", prefix + "Mean", prefix + "Var");
        }
    }

    /** The main KxK kernel, SameDiff's YXIO layout {@code [K, K, nIn/groups, nOut]}. */
    public static final String MAIN_KERNEL = "W";
    /** The 1x1 in front of the KxK in the 1x1-KxK branch, {@code [1, 1, nIn/groups, nIn]}, identity-initialised. */
    public static final String PRE_KXK_KERNEL = "W1x1KxkPre";

    /**
     * A branch's own kernel when weight sharing is off (KxK and 1x1-KxK always use {@link #MAIN_KERNEL}; identity has
     * none).
     */
    public static String branchKernel(Branch b) {
        return b == Branch.KXK ? MAIN_KERNEL : MAIN_KERNEL + b.paramKey();
    }

    /** The BatchNorm that ends branch {@code b}. */
    public static BatchNorm bn(Branch b) {
        return BatchNorm.named("bn" + b.paramKey());
    }

    /** Whether the branch has a BatchNorm inside it (before its KxK convolution or average pooling). */
    public static boolean hasInnerBn(Branch b) {
        return b == Branch.CONV_1X1_KXK || b == Branch.CONV_1X1_AVG;
    }

    /** The padding BatchNorm inside the 1x1-KxK and 1x1-AVG branches. */
    public static BatchNorm innerBn(Branch b) {
        if (!hasInnerBn(b)) {
            throw new IllegalArgumentException("branch " + b.id() + " has no inner BatchNorm");
        }
        return BatchNorm.named("bn" + b.paramKey() + "Inner");
    }

    /** The architecture parameter of branch {@code b}. */
    public static String alpha(Branch b) {
        return "alpha" + b.paramKey();
    }

    private static final Map<String, Role> ROLES;

    static {
        Map<String, Role> m = new HashMap<>();
        m.put(MAIN_KERNEL, Role.KERNEL);
        m.put(PRE_KXK_KERNEL, Role.KERNEL);
        for (Branch b : Branch.values()) {
            if (b != Branch.IDENTITY) m.put(branchKernel(b), Role.KERNEL);
            put(m, bn(b));
            if (hasInnerBn(b)) put(m, innerBn(b));
            m.put(alpha(b), Role.ALPHA);
        }
        ROLES = Collections.unmodifiableMap(m);
    }

    private static void put(Map<String, Role> m, BatchNorm bn) {
        m.put(bn.gamma(), Role.GAMMA);
        m.put(bn.beta(), Role.BETA);
        m.put(bn.mean(), Role.RUNNING_MEAN);
        m.put(bn.var(), Role.RUNNING_VAR);
    }

    /** The role of an ODBB parameter name; fails for a name no ODBB has. */
    public static Role role(String name) {
        Role r = ROLES.get(name);
        if (r == null) {
            throw new IllegalArgumentException("'" + name + "' is not an OdbbConvLayer parameter");
        }
        return r;
    }
}
