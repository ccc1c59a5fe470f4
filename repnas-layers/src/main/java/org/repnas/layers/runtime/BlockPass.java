package org.repnas.layers.runtime;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.repnas.layers.Branch;
import org.repnas.layers.OdbbConvLayer;
import org.repnas.layers.OdbbParams;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pass of an ODBB through its active branches: activation(sum over branches of BN_b(branch_b(x))), each branch
 * BatchNorm's gamma and beta scaled by the branch's gate in a search. A training pass keeps what {@link #backward}
 * needs; everything the configuration says (active branches, gate mode and temperature, BatchNorm epsilon,
 * activation) is read when the pass runs.
 */
public final class BlockPass {

    private record BranchRun(Branch branch, BranchPath path, BatchNormPass bn, Gate gate) {
    }

    private final OdbbConvLayer conf;
    private final BlockParams params;
    private final List<BranchRun> runs = new ArrayList<>();
    private INDArray input;
    /** Training only: the sum of the branches before the activation; backward turns it into dL/dsum in place. */
    private INDArray preActivation;
    private INDArray output;
    private boolean differentiated;

    private BlockPass(OdbbConvLayer conf, BlockParams params) {
        this.conf = conf;
        this.params = params;
    }

    /**
     * Runs the block on {@code x} (NCHW, the layer's data type).
     *
     * @param gateNoise in a training pass, the logistic noise zeta of each branch's gate (missing branches: 0); null for no gates
     */
    public static BlockPass forward(OdbbConvLayer conf, BlockParams params, INDArray x, boolean training,
                                    Map<Branch, Double> gateNoise, Memory mem) {
        BlockPass pass = new BlockPass(conf, params);
        pass.run(x, training, training ? gateNoise : null, mem);
        return pass;
    }

    private void run(INDArray x, boolean training, Map<Branch, Double> gateNoise, Memory mem) {
        EnumSet<Branch> active = conf.getActiveBranches();
        if (active.isEmpty()) {
            throw new IllegalStateException(conf + ": no active branch");
        }
        input = mem.cOrder(x, true);
        x = input;
        long[] shape = {x.size(0), conf.getNOut(), conf.outputSize(x.size(2)), conf.outputSize(x.size(3))};
        INDArray sum = training ? mem.kept(shape) : mem.result(shape);
        double eps = conf.getBnEps();
        for (Branch b : active) {
            BranchPath path = BranchPath.of(b, conf, params);
            INDArray y = path.forward(x, training, mem);
            Gate gate = gateNoise == null ? Gate.NONE : Gate.of(conf.getGateMode(),
                    params.param(OdbbParams.alpha(b)).getDouble(0), gateNoise.getOrDefault(b, 0.0), conf.getGateTemperature());
            OdbbParams.BatchNorm names = OdbbParams.bn(b);
            INDArray gamma = gated(names.gamma(), gate, mem);
            INDArray beta = gated(names.beta(), gate, mem);
            BatchNormPass bn = training ? BatchNormPass.withBatchStatistics(y, 0, gamma, beta, eps, mem)
                    : BatchNormPass.withRunningStatistics(y, 0, params.vector(names.mean()), params.vector(names.var()),
                    gamma, beta, eps);
            if (runs.isEmpty()) {
                bn.apply(sum);
            } else {
                INDArray term = mem.scratch(shape);
                bn.apply(term);
                sum.addi(term);
            }
            runs.add(new BranchRun(b, path, bn, gate));
        }
        if (training) {
            preActivation = sum;
            output = mem.result(shape).assign(sum);
        } else {
            output = sum;
        }
        output = conf.getActivation().getActivation(output, training);
    }

    /** A BatchNorm parameter vector times the gate's value (kept: backward needs it). */
    private INDArray gated(String name, Gate gate, Memory mem) {
        INDArray p = params.vector(name);
        return gate.value() == 1.0 ? p : mem.kept(p.length()).assign(p).muli(gate.value());
    }

    public INDArray output() {
        return output;
    }

    /**
     * Whether {@link #backward} can run: a training pass, not yet differentiated, whose arrays are still valid (the
     * workspace holding them has not been closed or reused since).
     */
    public boolean canDifferentiate() {
        return preActivation != null && !differentiated && !preActivation.wasClosed();
    }

    /**
     * Backpropagates dL/d(output) = {@code epsilon}: adds every parameter gradient of the pass to its (zeroed) gradient
     * view and returns dL/dx. Once only: it reuses the pass's arrays.
     * Running statistics: {@link #writeRunningStatisticSteps}.
     */
    public INDArray backward(INDArray epsilon, Map<String, INDArray> gradientViews, Memory mem) {
        if (!canDifferentiate()) {
            throw new IllegalStateException(conf + ": backward needs a training forward pass that has not been differentiated");
        }
        differentiated = true;
        params.useGradients(gradientViews);
        // backprop of some activations (identity) returns epsilon itself
        INDArray dSum = conf.getActivation().backprop(preActivation, mem.cOrder(epsilon, false)).getFirst();
        double[] dSumPerChannel = ChannelOps.sum(dSum, mem);
        InputGradient dx = new InputGradient(mem.result(input.shape()), mem);
        for (BranchRun run : runs) {
            BatchNormPass.Gradients g = run.bn().backward(dSum, dSumPerChannel, mem);
            OdbbParams.BatchNorm names = OdbbParams.bn(run.branch());
            // the pass used gamma * gate and beta * gate
            double[] gamma = ChannelVectors.read(params.param(names.gamma()));
            double[] beta = ChannelVectors.read(params.param(names.beta()));
            double gate = run.gate().value();
            double dGate = 0;
            double[] dGamma = new double[gamma.length];
            double[] dBeta = new double[gamma.length];
            for (int c = 0; c < gamma.length; c++) {
                dGamma[c] = g.dGamma()[c] * gate;
                dBeta[c] = g.dBeta()[c] * gate;
                dGate += gamma[c] * g.dGamma()[c] + beta[c] * g.dBeta()[c];
            }
            ChannelVectors.write(params.grad(names.gamma()), dGamma);
            ChannelVectors.write(params.grad(names.beta()), dBeta);
            if (run.gate().slope() != 0) {
                params.grad(OdbbParams.alpha(run.branch())).putScalar(0, dGate * run.gate().slope());
            }
            run.path().backward(g.dIn(), dx, mem);
        }
        return dx.result();
    }

    /** The BatchNorms of a training pass (branch and inner), by their parameter names. */
    private List<BranchPath.Norm> norms() {
        List<BranchPath.Norm> norms = new ArrayList<>();
        for (BranchRun run : runs) {
            norms.add(new BranchPath.Norm(OdbbParams.bn(run.branch()), run.bn()));
            norms.addAll(run.path().innerNorms());
        }
        return norms;
    }

    /**
     * Running statistics, as DL4J's BatchNormalization: their "gradient" is the step (running - batch) * (1 - decay),
     * which their NoOp updater applies unchanged: running <- decay * running + (1 - decay) * batch.
     */
    public void writeRunningStatisticSteps(double decay) {
        for (BranchPath.Norm n : norms()) {
            step(n.names().mean(), n.pass().batchMean(), decay);
            step(n.names().var(), n.pass().batchVar(), decay);
        }
    }

    private void step(String runningName, INDArray batch, double decay) {
        double[] running = ChannelVectors.read(params.param(runningName));
        double[] b = ChannelVectors.read(batch);
        for (int c = 0; c < running.length; c++) {
            running[c] = (running[c] - b[c]) * (1.0 - decay);
        }
        ChannelVectors.write(params.grad(runningName), running);
    }

    /** A training pass's batch statistics by running-statistic parameter name, each {@code [C]}. */
    public Map<String, INDArray> batchStatistics() {
        Map<String, INDArray> stats = new LinkedHashMap<>();
        for (BranchPath.Norm n : norms()) {
            stats.put(n.names().mean(), n.pass().batchMean());
            stats.put(n.names().var(), n.pass().batchVar());
        }
        return stats;
    }
}
