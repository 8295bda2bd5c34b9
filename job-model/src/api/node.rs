//! Nodes and resources.

use std::collections::BTreeMap;
use std::ops::{Add, AddAssign, SubAssign};

use super::pod::Taint;

/// Requests or capacity: CPU in millicores, memory in bytes, and pod slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resources {
    /// CPU, millicores.
    pub cpu_milli: u64,
    /// Memory, bytes.
    pub memory: u64,
    /// Pod slots.
    pub pods: u64,
}

impl Resources {
    /// True if `self` fits within `free` in every dimension.
    pub fn fits_in(&self, free: &Resources) -> bool {
        self.cpu_milli <= free.cpu_milli && self.memory <= free.memory && self.pods <= free.pods
    }

    /// `self - other`, saturating at zero in each dimension.
    pub fn saturating_sub(&self, other: &Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_sub(other.cpu_milli),
            memory: self.memory.saturating_sub(other.memory),
            pods: self.pods.saturating_sub(other.pods),
        }
    }
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            memory: self.memory + o.memory,
            pods: self.pods + o.pods,
        }
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl SubAssign for Resources {
    fn sub_assign(&mut self, o: Resources) {
        *self = self.saturating_sub(&o);
    }
}

/// Index of a node in the cluster (nodes are never removed from the table; a deleted
/// node is marked so).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// A node as the control plane sees it.
#[derive(Clone, Debug)]
pub struct Node {
    /// `<pool>-<ordinal>`.
    pub name: String,
    /// Index of its pool in the scenario.
    pub pool: usize,
    /// Labels (pool labels plus kubernetes.io/hostname).
    pub labels: BTreeMap<String, String>,
    /// Allocatable resources.
    pub allocatable: Resources,
    /// Requests of the pods bound to it and not yet terminated.
    pub allocated: Resources,
    /// spec.unschedulable (cordoned).
    pub unschedulable: bool,
    /// spec.taints.
    pub taints: Vec<Taint>,
    /// Ready condition is True.
    pub ready: bool,
    /// The Node object exists (false after deletion).
    pub exists: bool,
    /// The machine and its kubelet are up (heartbeats reach the control plane).
    pub kubelet_up: bool,
    /// Bumped whenever the node goes down or comes back, so timers set for one
    /// outage (NotReady after the grace period, taint evictions) expire with it.
    pub epoch: u32,
}

impl Node {
    /// Resources still free.
    pub fn free(&self) -> Resources {
        self.allocatable.saturating_sub(&self.allocated)
    }
}
