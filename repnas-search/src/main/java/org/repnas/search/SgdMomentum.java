package org.repnas.search;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Map;
import java.util.Objects;

/**
 * SGD with classical (heavy-ball) momentum, as PyTorch's {@code torch.optim.SGD(momentum=m)} that the official RepNAS
 * training uses: v = m * v + g, update = lr * v. (DL4J has only Nesterov momentum.) Weight decay as in PyTorch is DL4J's
 * {@code L2Regularization}, which is added to the gradient before the updater.
 */
public final class SgdMomentum implements IUpdater {
    private final double learningRate;
    private final ISchedule learningRateSchedule;
    private final double momentum;

    public SgdMomentum(@JsonProperty("learningRate") double learningRate,
                       @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                       @JsonProperty("momentum") double momentum) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
        this.momentum = momentum;
    }

    public SgdMomentum(ISchedule learningRate, double momentum) {
        this(Double.NaN, learningRate, momentum);
    }

    public double getLearningRate() { return learningRate; }
    public ISchedule getLearningRateSchedule() { return learningRateSchedule; }
    public double getMomentum() { return momentum; }

    @Override
    public long stateSize(long numParams) {
        return numParams;
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
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule schedule) {
        throw new UnsupportedOperationException("SgdMomentum is immutable: create a new one");
    }

    @Override
    public SgdMomentum clone() {
        return new SgdMomentum(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone(), momentum);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SgdMomentum s && Double.compare(s.learningRate, learningRate) == 0 && s.momentum == momentum
                && Objects.equals(s.learningRateSchedule, learningRateSchedule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, learningRateSchedule, momentum);
    }

    @Override
    public String toString() {
        return "SgdMomentum(lr=" + (learningRateSchedule != null ? learningRateSchedule : learningRate) + ", momentum="
                + momentum + ")";
    }

    static final class Updater implements GradientUpdater<SgdMomentum> {
        private final SgdMomentum config;
        private INDArray velocity;

        Updater(SgdMomentum config) {
            this.config = config;
        }

        @Override
        public SgdMomentum getConfig() {
            return config;
        }

        @Override
        public void setState(Map<String, INDArray> state, boolean initialize) {
            velocity = state.get("V");
            if (velocity == null) throw new IllegalStateException("SgdMomentum state needs V, got " + state.keySet());
            if (initialize) velocity.assign(0);
        }

        @Override
        public Map<String, INDArray> getState() {
            return Map.of("V", velocity);
        }

        @Override
        public void setStateViewArray(INDArray viewArray, long[] gradientShape, char order, boolean initialize) {
            velocity = viewArray.reshape(order, gradientShape);
            if (initialize) velocity.assign(0);
        }

        @Override
        public void applyUpdater(INDArray gradient, int iteration, int epoch) {
            double lr = config.getLearningRate(iteration, epoch);
            velocity.muli(config.momentum).addi(gradient.reshape(velocity.ordering(), velocity.shape()));
            gradient.assign(velocity.reshape(gradient.ordering(), gradient.shape()).mul(lr));
        }
    }
}
