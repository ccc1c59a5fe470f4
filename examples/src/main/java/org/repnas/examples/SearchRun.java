package org.repnas.examples;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.repnas.io.AtomicFiles;
import org.repnas.layers.Architecture;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.repnas.search.data.EpochDataSource;
import org.repnas.search.RepNasSearch;
import org.repnas.search.SearchConfig;
import org.repnas.layers.fusion.NetworkFuser;
import org.repnas.layers.fusion.SameDiffExport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * What every example main does after loading its data: run (or resume) the search, fuse, evaluate supernet and
 * fused network on the test data, and write the outputs. Every file is written to a temporary name and renamed into
 * place, so a failed run never leaves half a file over a previous good one.
 */
final class SearchRun {
    private SearchRun() {
    }

    /**
     * Runs or resumes the search, then fuses and reports.
     *
     * @param test     evaluation data for the per-epoch accuracy (may be an iterator over a large set)
     * @param testHead a batch of test examples for the final table (accuracy comparison and latency)
     */
    static RepNasSearch.Result run(SearchOptions f, SearchConfig config, Supplier<MultiLayerNetwork> supernet,
                                   EpochDataSource train, DataSetIterator test, DataSet testHead) throws IOException {
        Path out = f.out;
        Path checkpoints = out.resolve("search");
        long start = System.nanoTime();
        RepNasSearch.Result result = f.resume
                ? RepNasSearch.resume(checkpoints, train, test, System.out)
                : RepNasSearch.create(config, checkpoints, System.out).run(supernet.get(), train, test);
        double minutes = (System.nanoTime() - start) / 60e9;

        MultiLayerNetwork net = (MultiLayerNetwork) result.model();
        MultiLayerNetwork fused = NetworkFuser.fuse(net);
        SameDiff sd = SameDiffExport.fromNetwork(net);
        Report report = Report.of(net, fused, sd, testHead);

        Files.createDirectories(out);
        result.architecture().write(out.resolve("architecture.json"));
        ArchitecturePicture.write(result.architecture(), out.resolve("architecture.png"));
        writeModel(fused, out.resolve("fused-model.zip"));
        AtomicFiles.write(out.resolve("fused-model.sd"), tmp -> SameDiffExport.save(sd, tmp.toFile()));

        System.out.println();
        System.out.printf("search and training took %.1f min; the architecture keeps %d branches%n", minutes,
                result.architecture().keptCount());
        System.out.print(report.table());
        System.out.println(alphaSpread(result.architecture()));
        System.out.println(MemoryReport.of(net, testHead).line());
        System.out.println("wrote " + out.resolve("architecture.json") + ", architecture.png, fused-model.zip (plain DL4J), "
                + "fused-model.sd (SameDiff), search/history.json");
        return result;
    }

    static void writeModel(Model net, Path file) throws IOException {
        AtomicFiles.write(file, tmp -> ModelSerializer.writeModel(net, tmp.toFile(), false));
    }

    /**
     * How far the search moved alpha, against the logistic noise it adds while searching (standard deviation
     * pi / sqrt(3) = 1.81): with alpha all near zero the search sampled architectures at random.
     */
    static String alphaSpread(Architecture a) {
        double[] alphas = a.blocks().stream().filter(b -> b.alpha() != null).flatMap(b -> b.alpha().values().stream())
                .mapToDouble(Double::doubleValue).toArray();
        double mean = java.util.Arrays.stream(alphas).average().orElse(0);
        double std = Math.sqrt(java.util.Arrays.stream(alphas).map(v -> (v - mean) * (v - mean)).average().orElse(0));
        double max = java.util.Arrays.stream(alphas).map(Math::abs).max().orElse(0);
        return String.format("alpha: standard deviation %.3f over %d branches, largest |alpha| %.3f; the logistic noise "
                + "added to alpha while searching has standard deviation %.2f", std, alphas.length, max, Math.PI / Math.sqrt(3));
    }

    /** Accuracy, parameters and latency of the supernet (final architecture) against its fused forms. */
    record Report(double supernetAccuracy, double fusedAccuracy, double sameDiffAccuracy, long identicalPredictions,
                  long examples, long supernetParams, long fusedParams, int latencyBatch, double multiBranchMs,
                  double fusedMs, double sameDiffMs, double othersCpuShare) {

        /** Chunk of test images per forward pass: a whole test set at once would need gigabytes of activations. */
        static final int EVAL_CHUNK = 500;

        static Report of(MultiLayerNetwork supernet, MultiLayerNetwork fused, SameDiff sd, DataSet test) {
            INDArray x = test.getFeatures();
            Evaluation ea = new Evaluation(), eb = new Evaluation(), ec = new Evaluation();
            long same = 0;
            for (long from = 0; from < x.size(0); from += EVAL_CHUNK) {
                org.nd4j.linalg.indexing.INDArrayIndex rows =
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(from, Math.min(from + EVAL_CHUNK, x.size(0)));
                INDArray xs = x.get(rows).dup(), labels = test.getLabels().get(rows);
                INDArray a = supernet.output(xs, false);
                INDArray b = fused.output(xs, false);
                ea.eval(labels, a);
                eb.eval(labels, b);
                ec.eval(labels, SameDiffExport.output(sd, xs));
                same += a.argMax(1).eq(b.argMax(1)).castTo(DataType.INT).sumNumber().longValue();
            }
            int lb = (int) Math.min(64, x.size(0));
            INDArray batch = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, lb)).dup();
            // timed in turn, as the benchmarks do, so that warm-up and a busy machine fall on all three alike; the
            // first calls of each (JIT, oneDNN primitive creation) are in the warm-up rounds
            double[] ms = new double[3];
            double others = Timing.othersCpuShareDuring(() -> System.arraycopy(Timing.interleavedMedianMs(WARMUP, REPS,
                    () -> supernet.output(batch, false), () -> fused.output(batch, false),
                    () -> SameDiffExport.output(sd, batch)), 0, ms, 0, 3));
            return new Report(ea.accuracy(), eb.accuracy(), ec.accuracy(), same, x.size(0), supernet.numParams(),
                    fused.numParams(), lb, ms[0], ms[1], ms[2], others);
        }

        static final int WARMUP = 5, REPS = 21;
        /** Above this share of the CPUs taken by other processes, the table says its latencies are inflated. */
        static final double BUSY = 0.2;

        String table() {
            return String.format("""
                    | network                        | test accuracy | parameters | latency, batch %-3d |
                    |--------------------------------|---------------|------------|--------------------|
                    | supernet, final architecture   | %13.4f | %10d | %15.1f ms |
                    | fused, plain DL4J layers       | %13.4f | %10d | %15.1f ms |
                    | fused, SameDiff graph          | %13.4f | %10d | %15.1f ms |
                    fused predictions identical to the supernet's on %d of %d test images
                    latency: median of %d runs of each, timed in turn after %d warm-up rounds
                    """, latencyBatch, supernetAccuracy, supernetParams, multiBranchMs, fusedAccuracy, fusedParams, fusedMs,
                    sameDiffAccuracy, fusedParams, sameDiffMs, identicalPredictions, examples, REPS, WARMUP)
                    + (othersCpuShare > BUSY ? String.format("note: other processes took %.0f%% of the CPUs while timing, so "
                    + "these latencies are inflated and vary from run to run (ND4J's parallel ops wait for CPU time); time "
                    + "on an idle machine, or with OMP_WAIT_POLICY=PASSIVE, which keeps them steadier on a busy one%n",
                    100 * othersCpuShare) : "");
        }
    }
}
