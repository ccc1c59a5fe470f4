package org.repnas.search.data;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * Minibatches of an in-memory data set in a fresh random order every epoch. The order of epoch e depends only on
 * (seed, e), so a resumed run that calls {@link #setEpoch} sees exactly the batches an uninterrupted run would.
 * (ND4J's ViewIterator keeps one order forever; DL4J's sampling iterators draw with replacement.)
 */
public class ShuffledDataSetIterator implements DataSetIterator {
    private final DataSet data;
    private final int batch;
    private final long seed;
    private final boolean shuffle;
    private int epoch;
    private int[] order;
    private int cursor;
    private DataSetPreProcessor preProcessor;

    /**
     * @param shuffle false keeps the data's order (for evaluation)
     */
    public ShuffledDataSetIterator(DataSet data, int batch, long seed, boolean shuffle) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batch);
        }
        if (data.numExamples() == 0) {
            throw new IllegalArgumentException("the data set is empty");
        }
        this.data = data;
        this.batch = batch;
        this.seed = seed;
        this.shuffle = shuffle;
        setEpoch(0);
    }

    /** Positions the iterator at the start of epoch {@code e} (used when resuming). */
    public void setEpoch(int e) {
        this.epoch = e;
        int n = data.numExamples();
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) idx.add(i);
        if (shuffle) {
            Collections.shuffle(idx, new Random(seed * 1_000_003L + e));
        }
        order = idx.stream().mapToInt(Integer::intValue).toArray();
        cursor = 0;
    }

    public int getEpoch() {
        return epoch;
    }

    @Override
    public DataSet next(int num) {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        int end = Math.min(cursor + num, order.length);
        int[] rows = new int[end - cursor];
        for (int i = cursor; i < end; i++) rows[i - cursor] = order[i];
        cursor = end;
        DataSet ds = new DataSet(gather(data.getFeatures(), rows), gather(data.getLabels(), rows));
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    private static INDArray gather(INDArray a, int[] rows) {
        long[] shape = a.shape().clone();
        INDArray flat = a.reshape(a.size(0), a.length() / a.size(0));
        INDArray picked = Nd4j.pullRows(flat, 1, rows);
        shape[0] = rows.length;
        return picked.reshape(shape);
    }

    @Override
    public DataSet next() {
        return next(batch);
    }

    @Override
    public boolean hasNext() {
        return cursor < order.length;
    }

    /** Starts the next epoch (a new order). */
    @Override
    public void reset() {
        setEpoch(epoch + 1);
    }

    @Override public int inputColumns() { return (int) (data.getFeatures().length() / data.numExamples()); }
    @Override public int totalOutcomes() { return (int) data.getLabels().size(1); }
    @Override public boolean resetSupported() { return true; }
    @Override public boolean asyncSupported() { return false; }
    @Override public int batch() { return batch; }
    @Override public void setPreProcessor(DataSetPreProcessor p) { this.preProcessor = p; }
    @Override public DataSetPreProcessor getPreProcessor() { return preProcessor; }
    /** No label names (null, as DL4J expects; an empty list would make evaluate() see zero classes). */
    @Override public List<String> getLabels() { return null; }

    public int numExamples() {
        return data.numExamples();
    }
}
