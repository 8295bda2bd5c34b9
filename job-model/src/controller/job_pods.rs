//! The pods of one Job, indexed the way the Job controller reads them.
//!
//! Upstream lists every pod of the Job on each sync and filters. The simulator keeps
//! the filtered views up to date on every pod write instead (like an informer
//! indexer), so a sync costs what changed, not what exists: the active pods, counters
//! of ready/terminating pods, the finished pods that still carry the tracking
//! finalizer (the only ones a sync must look at), and per completion index the
//! counts that decide which indexes are free for new pods.

use crate::api::{Pod, PodId, PodPhase};
use crate::controller::indexed_job_utils::OrderedIntervals;
use crate::store::PodSlab;

/// What the index needs to know of a pod, captured before and after every write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodView {
    /// status.phase.
    pub phase: PodPhase,
    /// Has a deletionTimestamp.
    pub deleting: bool,
    /// Ready=True.
    pub ready: bool,
    /// Carries the tracking finalizer.
    pub finalizer: bool,
    /// Bound to a node.
    pub bound: bool,
    /// restartCount of its containers.
    pub restart_count: i32,
    /// Completion index.
    pub index: Option<u32>,
}

impl PodView {
    /// The view of `pod`.
    pub fn of(pod: &Pod) -> PodView {
        PodView {
            phase: pod.phase,
            deleting: pod.deletion_timestamp.is_some(),
            ready: pod.ready,
            finalizer: pod.has_tracking_finalizer,
            bound: pod.node.is_some(),
            restart_count: pod.restart_count,
            index: pod.completion_index,
        }
    }
    /// `controller.IsPodActive`.
    pub fn active(&self) -> bool {
        !self.phase.is_terminal() && !self.deleting
    }
    /// Being deleted, not terminal.
    pub fn terminating(&self) -> bool {
        !self.phase.is_terminal() && self.deleting
    }
    /// Finished (or being deleted) while still carrying the finalizer: a pod a sync
    /// may have to count.
    pub fn finished_with_finalizer(&self) -> bool {
        self.finalizer && (self.phase.is_terminal() || self.deleting)
    }
    fn pending_or_running(&self) -> bool {
        matches!(self.phase, PodPhase::Pending | PodPhase::Running)
    }
}

/// Per completion index counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexSlot {
    /// Active pods of the index.
    pub active: u32,
    /// Terminating pods of the index.
    pub terminating: u32,
    /// Succeeded pods still carrying the finalizer.
    pub succeeded_with_finalizer: u32,
    /// Succeeded pods present in the store (v1.21 counts from these).
    pub succeeded_pods: u32,
}

/// Indexed-Job part of the index.
#[derive(Clone, Debug, Default)]
pub struct IndexTable {
    slots: Vec<IndexSlot>,
    /// Indexes below completions that no pod occupies and that are not done: the
    /// candidates of upstream `firstPendingIndexes`, lowest first.
    free: IndexBitSet,
    /// Active pods that `activePodsForRemoval` would pick regardless of counts:
    /// duplicates of an index and pods with an index >= completions.
    irregular_active: u32,
    completions: u32,
}

/// How the free set judges an index; depends on the Job's spec and status.
#[derive(Clone, Copy, Debug)]
pub struct FreeRule<'a> {
    /// Completed indexes from the status (v1.22+), or `None` for v1.21 counting.
    pub completed: Option<&'a OrderedIntervals>,
    /// Failed indexes from the status.
    pub failed: Option<&'a OrderedIntervals>,
    /// Terminating pods block their index (onlyReplaceFailedPods).
    pub terminating_blocks: bool,
}

impl IndexTable {
    /// The table for `completions` indexes, all free.
    pub fn new(completions: u32) -> Self {
        IndexTable {
            slots: vec![IndexSlot::default(); completions as usize],
            free: IndexBitSet::full(completions),
            irregular_active: 0,
            completions,
        }
    }

    /// Counts of index `i`.
    pub fn slot(&self, i: u32) -> IndexSlot {
        self.slots.get(i as usize).copied().unwrap_or_default()
    }

    /// Free indexes, lowest first.
    pub fn free(&self) -> impl Iterator<Item = u32> + '_ {
        self.free.iter()
    }

    /// Active pods that must go whatever the counts (duplicates, out of range).
    pub fn irregular_active(&self) -> u32 {
        self.irregular_active
    }

    fn slot_mut(&mut self, i: u32) -> &mut IndexSlot {
        if i as usize >= self.slots.len() {
            self.slots.resize(i as usize + 1, IndexSlot::default());
        }
        &mut self.slots[i as usize]
    }

    fn irregular_of(&self, i: u32, active: u32) -> u32 {
        if i >= self.completions {
            active
        } else {
            active.saturating_sub(1)
        }
    }

    /// Re-judges whether index `i` is free.
    pub fn refresh(&mut self, i: u32, rule: &FreeRule<'_>) {
        if i >= self.completions {
            self.free.remove(i);
            return;
        }
        let s = self.slot(i);
        let succeeded = match rule.completed {
            Some(done) => done.has(i) || s.succeeded_with_finalizer > 0,
            None => s.succeeded_pods > 0,
        };
        let blocked = succeeded
            || s.active != 0
            || (rule.terminating_blocks && s.terminating > 0)
            || rule.failed.is_some_and(|f| f.has(i));
        let is_free = !blocked;
        if is_free {
            self.free.insert(i);
        } else {
            self.free.remove(i);
        }
    }

    /// Re-judges every index, e.g. after completions changed.
    pub fn rebuild(&mut self, completions: u32, rule: &FreeRule<'_>) {
        self.completions = completions;
        if self.slots.len() < completions as usize {
            self.slots
                .resize(completions as usize, IndexSlot::default());
        }
        self.free.clear();
        self.irregular_active = (0..self.slots.len() as u32)
            .map(|i| self.irregular_of(i, self.slot(i).active))
            .sum();
        for i in 0..completions {
            self.refresh(i, rule);
        }
    }

    fn apply(&mut self, view: &PodView, sign: i32) {
        let Some(i) = view.index else { return };
        let add = |x: &mut u32| *x = x.wrapping_add_signed(sign);
        if view.active() {
            let before = self.slot(i).active;
            add(&mut self.slot_mut(i).active);
            let after = self.slot(i).active;
            self.irregular_active =
                self.irregular_active + self.irregular_of(i, after) - self.irregular_of(i, before);
        }
        let slot = self.slot_mut(i);
        if view.terminating() {
            add(&mut slot.terminating);
        }
        if view.phase == PodPhase::Succeeded {
            add(&mut slot.succeeded_pods);
            if view.finalizer {
                add(&mut slot.succeeded_with_finalizer);
            }
        }
    }
}

/// The pods of one Job.
#[derive(Clone, Debug, Default)]
pub struct JobPods {
    /// Every pod of the Job in the store.
    pub all: Vec<PodId>,
    /// Active pods (not terminal, not being deleted).
    pub active: Vec<PodId>,
    /// Active pods with Ready=True.
    pub ready_active: i32,
    /// Pods being deleted that are not terminal.
    pub terminating: i32,
    /// Sum of restartCount over pods in phase Pending or Running.
    pub restarts_pending_running: i64,
    /// Pods in phase Succeeded in the store.
    pub succeeded_pods: i32,
    /// Pods in phase Failed in the store.
    pub failed_pods: i32,
    /// Pods created so far (the next pod's ordinal).
    pub created: u32,
    finished_with_finalizer: Vec<PodId>,
    /// Indexed Jobs only.
    pub indexed: Option<IndexTable>,
}

impl JobPods {
    /// The index of a new Job; `completions` for Indexed Jobs.
    pub fn new(indexed_completions: Option<u32>) -> Self {
        JobPods {
            indexed: indexed_completions.map(IndexTable::new),
            ..JobPods::default()
        }
    }

    /// Finished pods that still carry the finalizer, in creation (uid) order. Prunes
    /// entries that no longer qualify.
    pub fn finished_with_finalizer(&mut self, pods: &mut PodSlab) -> &[PodId] {
        self.finished_with_finalizer
            .retain(|&id| match pods.get_mut(id) {
                Some(p) if PodView::of(p).finished_with_finalizer() => true,
                Some(p) => {
                    p.in_finished_list = false;
                    false
                }
                None => false,
            });
        self.finished_with_finalizer.sort_by_key(|&id| pods[id].uid);
        &self.finished_with_finalizer
    }

    /// Records the change of one pod from `before` to `after` (`None`: absent).
    pub fn update(
        &mut self,
        pods: &mut PodSlab,
        id: PodId,
        before: Option<PodView>,
        after: Option<PodView>,
        rule: &FreeRule<'_>,
    ) {
        if let Some(b) = before {
            self.count(&b, -1);
        }
        if let Some(a) = after {
            self.count(&a, 1);
        }
        let was_active = before.is_some_and(|v| v.active());
        let is_active = after.is_some_and(|v| v.active());
        if was_active && !is_active {
            let pos = pods[id].active_pos as usize;
            self.active.swap_remove(pos);
            if let Some(&moved) = self.active.get(pos) {
                pods[moved].active_pos = pos as u32;
            }
            pods[id].active_pos = u32::MAX;
        } else if !was_active && is_active {
            pods[id].active_pos = self.active.len() as u32;
            self.active.push(id);
        }
        if before.is_none() {
            pods[id].all_pos = self.all.len() as u32;
            self.all.push(id);
        } else if after.is_none() {
            let pos = pods[id].all_pos as usize;
            self.all.swap_remove(pos);
            if let Some(&moved) = self.all.get(pos) {
                pods[moved].all_pos = pos as u32;
            }
        }
        if after.is_some_and(|v| v.finished_with_finalizer()) && !pods[id].in_finished_list {
            pods[id].in_finished_list = true;
            self.finished_with_finalizer.push(id);
        }
        if let Some(table) = &mut self.indexed {
            if let Some(b) = before {
                table.apply(&b, -1);
            }
            if let Some(a) = after {
                table.apply(&a, 1);
            }
            let bi = before.and_then(|v| v.index);
            let ai = after.and_then(|v| v.index);
            if let Some(i) = bi {
                table.refresh(i, rule);
            }
            if ai.is_some() && ai != bi {
                table.refresh(ai.unwrap_or_default(), rule);
            }
        }
    }

    fn count(&mut self, v: &PodView, sign: i32) {
        if v.active() && v.ready {
            self.ready_active += sign;
        }
        if v.terminating() {
            self.terminating += sign;
        }
        if v.pending_or_running() {
            self.restarts_pending_running += i64::from(sign) * i64::from(v.restart_count);
        }
        match v.phase {
            PodPhase::Succeeded => self.succeeded_pods += sign,
            PodPhase::Failed => self.failed_pods += sign,
            _ => {}
        }
    }
}

/// A set of completion indexes as a bitmap: O(1) insert and remove, ascending
/// iteration that skips empty words, starting from the lowest word that may be set.
#[derive(Clone, Debug, Default)]
pub struct IndexBitSet {
    words: Vec<u64>,
    /// No word below this one has a bit set.
    low: usize,
}

impl IndexBitSet {
    /// `0..n`.
    pub fn full(n: u32) -> Self {
        let n = n as usize;
        let mut words = vec![u64::MAX; n / 64];
        if !n.is_multiple_of(64) {
            words.push((1u64 << (n % 64)) - 1);
        }
        IndexBitSet { words, low: 0 }
    }

    /// Adds `i`.
    pub fn insert(&mut self, i: u32) {
        let w = i as usize / 64;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << (i % 64);
        self.low = self.low.min(w);
    }

    /// Removes `i`.
    pub fn remove(&mut self, i: u32) {
        let w = i as usize / 64;
        if let Some(word) = self.words.get_mut(w) {
            *word &= !(1 << (i % 64));
            if *word == 0 && w == self.low {
                while self.low < self.words.len() && self.words[self.low] == 0 {
                    self.low += 1;
                }
            }
        }
    }

    /// Empties the set.
    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
        self.low = 0;
    }

    /// The members, ascending.
    ///
    /// ```
    /// use job_model::controller::job_pods::IndexBitSet;
    /// let mut s = IndexBitSet::full(130);
    /// for i in 0..128 { s.remove(i); }
    /// s.insert(70);
    /// assert_eq!(s.iter().collect::<Vec<_>>(), vec![70, 128, 129]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words
            .iter()
            .enumerate()
            .skip(self.low)
            .flat_map(|(w, &bits)| {
                let mut bits = bits;
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    Some(w as u32 * 64 + b)
                })
            })
    }
}
