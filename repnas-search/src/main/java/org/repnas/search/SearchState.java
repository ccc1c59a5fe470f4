package org.repnas.search;

import org.nd4j.shade.jackson.annotation.JsonAutoDetect;

import java.util.ArrayList;
import java.util.List;

/** What a search checkpoint holds besides the network: the position in the schedule and the history so far. */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
final class SearchState {
    SearchConfig config;
    String modelType;
    /** The epoch under way (0-based) and the batches of it done. */
    int epoch;
    long batchesDone;
    /** The network's iteration count after those batches (DL4J counts an iteration only after its listeners ran). */
    int iterations;
    double lossSum;
    long lossCount;
    double secondsInEpoch;
    double secondsTotal;
    List<RepNasSearch.EpochRecord> history = new ArrayList<>();
}
