package org.repnas.search;

/** The phases of a one-stage RepNAS search (paper Algorithm 1, with the official code's warm-up). */
public enum SearchPhase {
    /** Architectures drawn at random under the budget (the top C of alpha + noise with alpha still zero); alpha frozen. */
    WARMUP,
    /** The top C of alpha + logistic noise each iteration; kept branches gated, so alpha learns. */
    SEARCH,
    /** The deterministic top C of alpha, fixed at the first fixed epoch (BatchNorm statistics reset); weights train on. */
    FIXED
}
