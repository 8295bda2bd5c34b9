//! Which nodes have room: a max-tree over the nodes' free cpu, memory and pod slots,
//! so the scheduler visits only nodes that might fit a pod instead of every node.
//!
//! Each internal entry holds the per-dimension maximum of its subtree. A subtree whose
//! maximum is below the request in any dimension holds no node that fits, so it is
//! skipped; leaves are then checked exactly by the scheduler's filters. Visiting is in
//! node order, so results are identical to a scan of every node.

use crate::api::{NodeId, Resources};

/// The free resources of every node, as a max-tree.
#[derive(Clone, Debug, Default)]
pub struct NodeFreeIndex {
    leaves: usize,
    max: Vec<[u64; 3]>,
}

fn key(r: &Resources) -> [u64; 3] {
    [r.cpu_milli, r.memory, r.pods]
}

impl NodeFreeIndex {
    /// An index of `free` (one entry per node, in node order).
    pub fn new(free: impl ExactSizeIterator<Item = Resources>) -> Self {
        let leaves = free.len().next_power_of_two().max(1);
        let mut max = vec![[0u64; 3]; 2 * leaves];
        for (i, r) in free.enumerate() {
            max[leaves + i] = key(&r);
        }
        for i in (1..leaves).rev() {
            max[i] = merge(max[2 * i], max[2 * i + 1]);
        }
        NodeFreeIndex { leaves, max }
    }

    /// Node `id` now has `free` resources.
    pub fn set(&mut self, id: NodeId, free: Resources) {
        let mut i = self.leaves + id.0 as usize;
        self.max[i] = key(&free);
        while i > 1 {
            i /= 2;
            self.max[i] = merge(self.max[2 * i], self.max[2 * i + 1]);
        }
    }

    /// Calls `f` for every node, in order, whose free resources may fit `need` (all
    /// that do fit, and possibly some that do not).
    ///
    /// ```
    /// use job_model::api::{NodeId, Resources};
    /// use job_model::node_index::NodeFreeIndex;
    /// let r = |cpu| Resources { cpu_milli: cpu, memory: 1, pods: 1 };
    /// let idx = NodeFreeIndex::new([r(100), r(900), r(0), r(500)].into_iter());
    /// let mut seen = vec![];
    /// idx.for_each_candidate(&r(400), |n| seen.push(n.0));
    /// assert_eq!(seen, vec![1, 3]);
    /// ```
    pub fn for_each_candidate(&self, need: &Resources, mut f: impl FnMut(NodeId)) {
        let need = key(need);
        self.visit(1, &need, &mut f);
    }

    fn visit(&self, i: usize, need: &[u64; 3], f: &mut impl FnMut(NodeId)) {
        let m = &self.max[i];
        if m[0] < need[0] || m[1] < need[1] || m[2] < need[2] {
            return;
        }
        if i >= self.leaves {
            f(NodeId((i - self.leaves) as u32));
        } else {
            self.visit(2 * i, need, f);
            self.visit(2 * i + 1, need, f);
        }
    }
}

fn merge(a: [u64; 3], b: [u64; 3]) -> [u64; 3] {
    [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::{StreamKey, stream};

    #[test]
    fn candidates_include_every_node_that_fits_in_node_order() {
        use rand_core::Rng;
        let mut rng = stream(3, &StreamKey::new("node-index-test", [0, 0, 0]));
        for n in [1usize, 2, 7, 64, 200] {
            let mut free: Vec<Resources> = (0..n)
                .map(|_| Resources {
                    cpu_milli: rng.next_u64() % 4000,
                    memory: rng.next_u64() % 8,
                    pods: rng.next_u64() % 3,
                })
                .collect();
            let mut idx = NodeFreeIndex::new(free.iter().copied());
            for round in 0..200 {
                let i = (rng.next_u64() % n as u64) as usize;
                free[i].cpu_milli = rng.next_u64() % 4000;
                idx.set(NodeId(i as u32), free[i]);
                let need = Resources {
                    cpu_milli: rng.next_u64() % 4000,
                    memory: rng.next_u64() % 8,
                    pods: 1,
                };
                let mut seen = Vec::new();
                idx.for_each_candidate(&need, |id| seen.push(id.0 as usize));
                let fits: Vec<usize> = (0..n).filter(|&k| need.fits_in(&free[k])).collect();
                let visited_fitting: Vec<usize> = seen
                    .iter()
                    .copied()
                    .filter(|&k| need.fits_in(&free[k]))
                    .collect();
                assert_eq!(visited_fitting, fits, "n {n} round {round}");
                assert!(seen.windows(2).all(|w| w[0] < w[1]), "node order");
            }
        }
    }
}
