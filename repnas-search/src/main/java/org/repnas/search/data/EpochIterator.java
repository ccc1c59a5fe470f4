package org.repnas.search.data;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

import java.util.List;

/**
 * The batches of one epoch of an {@link EpochDataSource}; {@link #reset()} starts that same epoch again (not the next
 * one). Used for BatchNorm recalibration, which must see the same training batches whenever it runs.
 */
public class EpochIterator implements DataSetIterator {
    private final EpochDataSource source;
    private final int epoch;
    private DataSetIterator current;

    public EpochIterator(EpochDataSource source, int epoch) {
        this.source = source;
        this.epoch = epoch;
    }

    private DataSetIterator current() {
        if (current == null) current = source.iterator(epoch);
        return current;
    }

    @Override public boolean hasNext() { return current().hasNext(); }
    @Override public DataSet next() { return current().next(); }
    @Override public DataSet next(int num) { return current().next(num); }
    @Override public void reset() { current = null; }
    @Override public boolean resetSupported() { return true; }
    @Override public boolean asyncSupported() { return false; }
    @Override public int inputColumns() { return current().inputColumns(); }
    @Override public int totalOutcomes() { return current().totalOutcomes(); }
    @Override public int batch() { return current().batch(); }
    @Override public void setPreProcessor(DataSetPreProcessor p) { throw new UnsupportedOperationException("set it on the source's iterators"); }
    @Override public DataSetPreProcessor getPreProcessor() { return current().getPreProcessor(); }
    @Override public List<String> getLabels() { return current().getLabels(); }
}
