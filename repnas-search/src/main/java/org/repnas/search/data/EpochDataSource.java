package org.repnas.search.data;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Training data whose order in epoch e depends only on e, so that a resumed run sees the batches an uninterrupted run
 * would.
 */
public interface EpochDataSource {
    /** A fresh iterator over epoch {@code epoch}, positioned at its first batch. */
    DataSetIterator iterator(int epoch);

    /** Number of minibatches per epoch. */
    long batchesPerEpoch();

    /** A source from a function of the epoch (which must give the same batches for the same epoch). */
    static EpochDataSource of(long batchesPerEpoch, java.util.function.IntFunction<DataSetIterator> epoch) {
        return new EpochDataSource() {
            @Override
            public DataSetIterator iterator(int e) {
                return epoch.apply(e);
            }

            @Override
            public long batchesPerEpoch() {
                return batchesPerEpoch;
            }
        };
    }

    /** An in-memory data set reshuffled every epoch with {@code seed}. */
    static EpochDataSource shuffled(DataSet data, int batch, long seed) {
        return new EpochDataSource() {
            @Override
            public DataSetIterator iterator(int epoch) {
                ShuffledDataSetIterator it = new ShuffledDataSetIterator(data, batch, seed, true);
                it.setEpoch(epoch);
                return it;
            }

            @Override
            public long batchesPerEpoch() {
                return (data.numExamples() + batch - 1) / batch;
            }
        };
    }
}
