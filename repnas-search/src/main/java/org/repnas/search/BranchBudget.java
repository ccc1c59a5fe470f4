package org.repnas.search;

import org.repnas.layers.Branch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;

/**
 * The global top-C rule (paper Eq. 13): over all branches of all blocks, keep the C with the highest score
 * (alpha + zeta while searching, alpha alone for the final architecture). A block left with no branch keeps its KxK
 * (or, without one, its best branch) in place of the lowest-ranked branch of a block that has several, so that exactly
 * C branches are kept and no block is empty.
 */
public final class BranchBudget {
    private BranchBudget() {
    }

    /** One scored branch of block {@code block}. */
    private record Scored(int block, Branch branch, double score) {
    }

    /**
     * @param present the branches each block has
     * @param scores  per block, a score for each present branch, indexed by {@link Branch#ordinal()}
     * @param budget  C, at least the number of blocks and at most the number of branches
     * @return the kept branches per block
     */
    public static List<EnumSet<Branch>> keep(List<EnumSet<Branch>> present, List<double[]> scores, int budget) {
        check(present, budget, "");
        List<Scored> all = new ArrayList<>();
        for (int i = 0; i < present.size(); i++) {
            for (Branch b : present.get(i)) {
                double s = scores.get(i)[b.ordinal()];
                if (Double.isNaN(s)) {
                    throw new IllegalStateException("architecture parameter of block " + i + " branch " + b.id()
                            + " is NaN: the search diverged (lower the alpha learning rate)");
                }
                all.add(new Scored(i, b, s));
            }
        }
        // Highest score first; ties broken by block, then branch order, so the result is deterministic.
        all.sort(Comparator.comparingDouble((Scored s) -> -s.score()).thenComparingInt(Scored::block)
                .thenComparingInt(s -> s.branch().ordinal()));
        List<EnumSet<Branch>> kept = new ArrayList<>();
        for (int i = 0; i < present.size(); i++) kept.add(EnumSet.noneOf(Branch.class));
        List<Scored> taken = new ArrayList<>(all.subList(0, budget));
        for (Scored s : taken) kept.get(s.block()).add(s.branch());

        for (int i = 0; i < present.size(); i++) {
            if (!kept.get(i).isEmpty()) continue;
            Branch fallback = present.get(i).contains(Branch.KXK) ? Branch.KXK : best(all, i);
            // give up the lowest-ranked branch of a block that keeps more than one
            for (int j = taken.size() - 1; j >= 0; j--) {
                Scored s = taken.get(j);
                if (kept.get(s.block()).size() > 1) {
                    kept.get(s.block()).remove(s.branch());
                    taken.remove(j);
                    break;
                }
            }
            kept.get(i).add(fallback);
        }
        return kept;
    }

    private static Branch best(List<Scored> sorted, int block) {
        for (Scored s : sorted) {
            if (s.block() == block) return s.branch();
        }
        throw new IllegalStateException("block " + block + " has no branch");
    }

    /** Fails with a message naming the fix when no architecture can meet the budget. */
    public static void check(List<EnumSet<Branch>> present, int budget) {
        check(present, budget, "");
    }

    /** As {@link #check(List, int)}; {@code note} follows the branch count in messages. */
    static void check(List<EnumSet<Branch>> present, int budget, String note) {
        int blocks = present.size();
        int branches = present.stream().mapToInt(EnumSet::size).sum();
        if (blocks == 0) {
            throw new IllegalArgumentException("The network has no OdbbConvLayer, so there is no branch to keep.");
        }
        if (budget < blocks) {
            throw new IllegalArgumentException("Branch budget " + budget + " is below the number of blocks (" + blocks
                    + "): every block keeps at least one branch. Use a budget between " + blocks + " and " + branches + note + ".");
        }
        if (budget > branches) {
            throw new IllegalArgumentException("Branch budget " + budget + " is above the number of branches in the network ("
                    + branches + note + "). Use a budget between " + blocks + " and " + branches + ".");
        }
    }
}
