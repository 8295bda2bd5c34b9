//! Object storage: Jobs in a table, pods in a generational slab.

use sim_core::SimTime;

use crate::api::{Job, JobSpec, JobStatus, Pod, PodId};

/// Index of a Job in the run (Jobs are never removed from the table: a deleted Job
/// keeps its row so its events and metrics stay available).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u32);

impl JobId {
    /// The row.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl Job {
    /// A freshly created Job.
    pub fn new(name: String, namespace: String, uid: u64, spec: JobSpec, now: SimTime) -> Job {
        Job {
            name,
            namespace,
            uid,
            creation_timestamp: now,
            deletion_timestamp: None,
            removed_at: None,
            generation: 1,
            spec: std::sync::Arc::new(spec),
            status: JobStatus::default(),
        }
    }
}

/// Pods by generational handle. Removed pods free their slot for reuse; a handle to a
/// removed pod stays stale forever because the slot's generation moves on.
#[derive(Debug, Default)]
pub struct PodSlab {
    slots: Vec<(u32, Option<Pod>)>,
    free: Vec<u32>,
    live: usize,
}

impl PodSlab {
    /// Stores `pod`, returning its handle.
    pub fn insert(&mut self, pod: Pod) -> PodId {
        self.live += 1;
        if let Some(slot) = self.free.pop() {
            let entry = &mut self.slots[slot as usize];
            entry.1 = Some(pod);
            PodId {
                slot,
                generation: entry.0,
            }
        } else {
            self.slots.push((0, Some(pod)));
            PodId {
                slot: (self.slots.len() - 1) as u32,
                generation: 0,
            }
        }
    }

    /// Removes the pod, if the handle is current.
    pub fn remove(&mut self, id: PodId) -> Option<Pod> {
        let entry = self.slots.get_mut(id.slot as usize)?;
        if entry.0 != id.generation || entry.1.is_none() {
            return None;
        }
        entry.0 = entry.0.wrapping_add(1);
        self.free.push(id.slot);
        self.live -= 1;
        entry.1.take()
    }

    /// The pod, if the handle is current.
    pub fn get(&self, id: PodId) -> Option<&Pod> {
        match self.slots.get(id.slot as usize) {
            Some((g, Some(p))) if *g == id.generation => Some(p),
            _ => None,
        }
    }

    /// The pod, mutably, if the handle is current.
    pub fn get_mut(&mut self, id: PodId) -> Option<&mut Pod> {
        match self.slots.get_mut(id.slot as usize) {
            Some((g, Some(p))) if *g == id.generation => Some(p),
            _ => None,
        }
    }

    /// Pods currently stored.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no pod is stored.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every stored pod with its handle, in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = (PodId, &Pod)> {
        self.slots.iter().enumerate().filter_map(|(slot, (g, p))| {
            p.as_ref().map(|p| {
                (
                    PodId {
                        slot: slot as u32,
                        generation: *g,
                    },
                    p,
                )
            })
        })
    }
}

impl std::ops::Index<PodId> for PodSlab {
    type Output = Pod;
    fn index(&self, id: PodId) -> &Pod {
        self.get(id).expect("stale pod handle")
    }
}

impl std::ops::IndexMut<PodId> for PodSlab {
    fn index_mut(&mut self, id: PodId) -> &mut Pod {
        self.get_mut(id).expect("stale pod handle")
    }
}
