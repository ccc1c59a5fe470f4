package org.repnas.search;

/** How a search treats the identity branch of blocks that can have one (nIn == nOut, stride 1). */
public enum IdentityMode {
    /**
     * Always kept and outside the budget, as in the official RepNAS code: the budget C counts the other six branches.
     * Identity costs almost nothing to train and nothing after fusion.
     */
    ALWAYS_ON,
    /** One more candidate with its own alpha, competing for the budget like the other branches. */
    SEARCHED
}
