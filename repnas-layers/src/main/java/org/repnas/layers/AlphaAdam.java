package org.repnas.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Map;
import java.util.Objects;

/**
 * Adam for the architecture parameters alpha, as PyTorch's {@code torch.optim.Adam} that the official RepNAS code uses:
 * bias correction by the optimizer's own step count and epsilon added after it. It takes a step only when its gradient
 * is not exactly zero. During a search's warm-up and after the architecture is fixed, alpha has no gradient, and this
 * updater leaves it (and its moments and step count) alone, as the official code does by not calling the architecture
 * optimizer then. DL4J's {@code Adam} would instead count every network iteration in its bias correction, so alpha's
 * first search steps after a warm-up would be about 16x larger than PyTorch's (beta1 0.5, beta2 0.999).
 *
 * <p>State per parameter: first and second moments, and the step count.
 */
public final class AlphaAdam implements IUpdater {
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;

    public AlphaAdam(@JsonProperty("learningRate") double learningRate, @JsonProperty("beta1") double beta1,
                     @JsonProperty("beta2") double beta2, @JsonProperty("epsilon") double epsilon) {
        if (!(learningRate >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)) {
            throw new IllegalArgumentException("AlphaAdam needs learningRate >= 0, betas in [0, 1) and epsilon > 0; got "
                    + learningRate + ", " + beta1 + ", " + beta2 + ", " + epsilon);
        }
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    /** The paper's architecture optimizer: lr 1e-4, betas 0.5 / 0.999, epsilon 1e-8 (PyTorch's default). */
    public static AlphaAdam paper() {
        return new AlphaAdam(1e-4, 0.5, 0.999, 1e-8);
    }

    public double getLearningRate() { return learningRate; }
    public double getBeta1() { return beta1; }
    public double getBeta2() { return beta2; }
    public double getEpsilon() { return epsilon; }

    /** The same updater with another learning rate. */
    public AlphaAdam withLearningRate(double lr) {
        return new AlphaAdam(lr, beta1, beta2, epsilon);
    }

    @Override
    public long stateSize(long numParams) {
        return 2 * numParams + 1;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        Updater u = new Updater(this);
        u.setStateViewArray(viewArray, viewArray.shape(), viewArray.ordering(), initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initializeStateArrays) {
        Updater u = new Updater(this);
        u.setState(state, initializeStateArrays);
        return u;
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule schedule) {
        throw new UnsupportedOperationException("AlphaAdam is immutable: use withLearningRate(" + lr + ")");
    }

    @Override
    public AlphaAdam clone() {
        return this;     // immutable
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AlphaAdam a && a.learningRate == learningRate && a.beta1 == beta1 && a.beta2 == beta2
                && a.epsilon == epsilon;
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public String toString() {
        return "AlphaAdam(lr=" + learningRate + ", betas=" + beta1 + "/" + beta2 + ", eps=" + epsilon + ")";
    }

    /** The state and step of one block of parameters. */
    static final class Updater implements GradientUpdater<AlphaAdam> {
        private final AlphaAdam config;
        private INDArray m;
        private INDArray v;
        /** One element: the number of steps taken. */
        private INDArray steps;

        Updater(AlphaAdam config) {
            this.config = config;
        }

        @Override
        public AlphaAdam getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            m = state.get("M");
            v = state.get("V");
            steps = state.get("T");
            if (m == null || v == null || steps == null) {
                throw new IllegalStateException("AlphaAdam state needs M, V and T, got " + state.keySet());
            }
            if (initialize) {
                m.assign(0);
                v.assign(0);
                steps.assign(0);
            }
        }

        @Override
        public Map<String, INDArray> getState() {
            return Map.of("M", m, "V", v, "T", steps);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char order, boolean initialize) {
            INDArray flat = viewArray.reshape(viewArray.length());
            long n = (flat.length() - 1) / 2;
            m = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n));
            v = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(n, 2 * n));
            steps = flat.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2 * n, 2 * n + 1));
            if (initialize) {
                flat.assign(0);
            }
        }

        /** Turns the gradient into the update DL4J subtracts from alpha (zero where there was no gradient). */
        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            if (gradient.amaxNumber().doubleValue() == 0.0) {
                return;                       // no gradient: no step (the update stays zero)
            }
            double t = steps.getDouble(0) + 1;
            steps.putScalar(0, t);
            INDArray g = gradient.reshape(m.shape());
            m.muli(config.beta1).addi(g.mul(1 - config.beta1));
            v.muli(config.beta2).addi(g.mul(g).muli(1 - config.beta2));
            double c1 = 1 - Math.pow(config.beta1, t);
            double c2 = 1 - Math.pow(config.beta2, t);
            INDArray denominator = Transforms.sqrt(v.div(c2), false).addi(config.epsilon);
            g.assign(m.div(c1).divi(denominator).muli(config.learningRate));
        }
    }
}
