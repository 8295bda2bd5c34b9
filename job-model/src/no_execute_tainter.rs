//! The node lifecycle controller's NoExecute tainting and its zone disruption modes
//! (pkg/controller/nodelifecycle `processTaintBaseEviction`, `doNoExecuteTaintingPass`,
//! `handleDisruption`, `ComputeZoneState`, `setLimiterInZone`; the
//! `RateLimitedTimedQueue` of pkg/controller/nodelifecycle/scheduler).
//!
//! A node that turned NotReady is marked for tainting at the next monitor pass (the
//! pass compares the Ready condition it observed *before* updating it), and each
//! zone's queue taints at most one node per 10 s (`--node-eviction-rate` 0.1). When
//! most of a zone is NotReady (more than 2 nodes and at least 55 %) the zone is in
//! partial disruption and tainting stops in a zone of up to 50 nodes (one node per
//! 100 s above); when every node of every zone is NotReady the controller enters
//! master disruption mode: it removes the NoExecute taints and taints nothing until
//! some node is Ready again. Taints are what the taint manager evicts on, so these
//! modes decide whether pods of lost nodes are evicted at all.
//!
//! ```
//! use job_model::no_execute_tainter::{ZoneState, compute_zone_state};
//! assert_eq!(compute_zone_state(0, 1), ZoneState::FullDisruption);
//! assert_eq!(compute_zone_state(2, 3), ZoneState::PartialDisruption);
//! assert_eq!(compute_zone_state(8, 2), ZoneState::Normal);
//! ```

use std::collections::{BTreeMap, VecDeque};

use sim_core::{SimDuration, SimTime, TimerSlot, TimerToken};

use crate::api::NodeId;

/// `nodeMonitorPeriod`: how often the controller looks at every node.
pub const NODE_MONITOR_PERIOD: SimDuration = SimDuration::from_secs(5);
/// `--node-eviction-rate` 0.1 nodes per second: one token per 10 s.
pub const EVICTION_PERIOD: SimDuration = SimDuration::from_secs(10);
/// `--secondary-node-eviction-rate` 0.01: one token per 100 s.
pub const SECONDARY_EVICTION_PERIOD: SimDuration = SimDuration::from_secs(100);
/// `--large-cluster-size-threshold`.
pub const LARGE_CLUSTER_THRESHOLD: usize = 50;
/// `--unhealthy-zone-threshold` 0.55, in percent.
pub const UNHEALTHY_ZONE_PERCENT: usize = 55;
/// Nodes with this label take no part in zone states (`isNodeExcludedFromDisruptionChecks`).
pub const LABEL_EXCLUDE_DISRUPTION: &str = "node.kubernetes.io/exclude-disruption";

/// A zone's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneState {
    /// Evict at the normal rate.
    Normal,
    /// Most nodes NotReady: evict slowly (large zones) or not at all.
    PartialDisruption,
    /// No node Ready.
    FullDisruption,
}

/// `ComputeZoneState` over the Ready conditions of a zone's nodes.
pub fn compute_zone_state(ready: usize, not_ready: usize) -> ZoneState {
    if ready == 0 && not_ready > 0 {
        ZoneState::FullDisruption
    } else if not_ready > 2 && not_ready * 100 >= UNHEALTHY_ZONE_PERCENT * (ready + not_ready) {
        ZoneState::PartialDisruption
    } else {
        ZoneState::Normal
    }
}

/// `GetZoneKey`: region and zone labels (the deprecated failure-domain ones as a
/// fallback); nodes without either share the zone "".
pub fn zone_key(labels: &BTreeMap<String, String>) -> String {
    let get = |k: &str, old: &str| {
        labels
            .get(k)
            .or_else(|| labels.get(old))
            .cloned()
            .unwrap_or_default()
    };
    let zone = get(
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    );
    let region = get(
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/region",
    );
    if zone.is_empty() && region.is_empty() {
        String::new()
    } else {
        format!("{region}:\0:{zone}")
    }
}

/// A token bucket of burst 1 (`NewTokenBucketRateLimiter(qps, 1)`), or the never
/// limiter of a zero rate.
#[derive(Clone, Copy, Debug)]
struct Limiter {
    period: Option<SimDuration>,
    next_token: SimTime,
}

impl Limiter {
    fn try_accept(&mut self, now: SimTime) -> bool {
        match self.period {
            Some(p) if now >= self.next_token => {
                self.next_token = now + p;
                true
            }
            _ => false,
        }
    }

    /// `SwapLimiter`: a new bucket, drained if the old one had no token.
    fn swap(&mut self, period: Option<SimDuration>, now: SimTime) {
        if self.period == period {
            return;
        }
        let had_token = self.period.is_some() && now >= self.next_token;
        self.period = period;
        if let Some(p) = period {
            self.next_token = if had_token { now } else { now + p };
        }
    }
}

#[derive(Clone, Debug)]
struct Zone {
    state: ZoneState,
    /// Nodes marked for tainting, oldest first (`zoneNoExecuteTainter`).
    queue: VecDeque<NodeId>,
    limiter: Limiter,
    /// The scheduled pass that waits for the next token.
    pass: TimerSlot,
}

/// What `handle_disruption` asks of the node lifecycle controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisruptionChange {
    /// Nothing beyond new limiters.
    None,
    /// Every node of every zone is NotReady: remove the NoExecute taints.
    EnterMasterDisruption,
    /// Some node is Ready again after master disruption.
    ExitMasterDisruption,
}

/// The zones, their queues and limiters.
#[derive(Clone, Debug)]
pub struct NoExecuteTainter {
    zone_of: Vec<u32>,
    excluded: Vec<bool>,
    zones: Vec<Zone>,
    /// Per node, bumped whenever its NoExecute taint is added or removed, so the taint
    /// manager's timers of an earlier taint expire.
    pub taint_gen: Vec<u32>,
}

impl NoExecuteTainter {
    /// Zones from the nodes' labels, all Normal with a full bucket.
    pub fn new<'a>(node_labels: impl Iterator<Item = &'a BTreeMap<String, String>>) -> Self {
        let mut keys: Vec<String> = Vec::new();
        let (mut zone_of, mut excluded) = (Vec::new(), Vec::new());
        for labels in node_labels {
            let key = zone_key(labels);
            let z = match keys.iter().position(|k| *k == key) {
                Some(z) => z,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            };
            zone_of.push(z as u32);
            excluded.push(labels.contains_key(LABEL_EXCLUDE_DISRUPTION));
        }
        let zone = Zone {
            state: ZoneState::Normal,
            queue: VecDeque::new(),
            limiter: Limiter {
                period: Some(EVICTION_PERIOD),
                next_token: SimTime::ZERO,
            },
            pass: TimerSlot::default(),
        };
        NoExecuteTainter {
            taint_gen: vec![0; zone_of.len()],
            zone_of,
            excluded,
            zones: vec![zone; keys.len()],
        }
    }

    /// The zone of `node`.
    pub fn zone_of(&self, node: NodeId) -> u32 {
        self.zone_of[node.0 as usize]
    }

    /// `markNodeForTainting`: queue the node unless it is queued already.
    pub fn mark(&mut self, node: NodeId) {
        let z = self.zone_of(node) as usize;
        let q = &mut self.zones[z].queue;
        if !q.contains(&node) {
            q.push_back(node);
        }
    }

    /// The node is Ready again (or gone): it leaves its zone's queue.
    pub fn unmark(&mut self, node: NodeId) {
        let z = self.zone_of(node) as usize;
        self.zones[z].queue.retain(|&n| n != node);
    }

    /// `doNoExecuteTaintingPass` for one zone: the nodes to taint now, in order, and
    /// when a pass must run again for the rest (a token is due).
    pub fn take_due(&mut self, zone: u32, now: SimTime, out: &mut Vec<NodeId>) -> Option<SimTime> {
        let z = &mut self.zones[zone as usize];
        while !z.queue.is_empty() && z.limiter.try_accept(now) {
            out.extend(z.queue.pop_front());
        }
        if z.queue.is_empty() {
            return None;
        }
        z.limiter.period.map(|_| z.limiter.next_token)
    }

    /// Arms the zone's pass for `at`; returns the token if an event must be scheduled.
    pub fn arm_pass(&mut self, zone: u32, at: SimTime) -> Option<TimerToken> {
        self.zones[zone as usize].pass.arm_earliest(at)
    }

    /// A scheduled pass fires: true if it is the current one.
    pub fn pass_fired(&mut self, zone: u32, token: TimerToken) -> bool {
        self.zones[zone as usize].pass.fire(token)
    }

    /// Number of zones.
    pub fn zones(&self) -> u32 {
        self.zones.len() as u32
    }

    /// `handleDisruption` after node health changed; `ready(node)` is `None` for a node
    /// that no longer exists.
    pub fn handle_disruption(
        &mut self,
        now: SimTime,
        ready: impl Fn(NodeId) -> Option<bool>,
    ) -> DisruptionChange {
        let n = self.zones.len();
        let (mut ready_n, mut not_ready_n) = (vec![0usize; n], vec![0usize; n]);
        for (i, &z) in self.zone_of.iter().enumerate() {
            if self.excluded[i] {
                continue;
            }
            match ready(NodeId(i as u32)) {
                Some(true) => ready_n[z as usize] += 1,
                Some(false) => not_ready_n[z as usize] += 1,
                None => {}
            }
        }
        let present = |z: usize| ready_n[z] + not_ready_n[z] > 0;
        let new: Vec<ZoneState> = (0..n)
            .map(|z| compute_zone_state(ready_n[z], not_ready_n[z]))
            .collect();
        let all_are = (0..n)
            .filter(|&z| present(z))
            .all(|z| new[z] == ZoneState::FullDisruption);
        let all_were = (0..n)
            .filter(|&z| present(z))
            .all(|z| self.zones[z].state == ZoneState::FullDisruption);
        if all_are && all_were {
            return DisruptionChange::None;
        }
        if all_are {
            for z in &mut self.zones {
                z.limiter.swap(None, now);
                z.state = ZoneState::FullDisruption;
            }
            return DisruptionChange::EnterMasterDisruption;
        }
        for (z, &state) in new.iter().enumerate() {
            if !present(z) || (!all_were && self.zones[z].state == state) {
                continue;
            }
            let size = ready_n[z] + not_ready_n[z];
            let period = match state {
                ZoneState::Normal | ZoneState::FullDisruption => Some(EVICTION_PERIOD),
                ZoneState::PartialDisruption if size > LARGE_CLUSTER_THRESHOLD => {
                    Some(SECONDARY_EVICTION_PERIOD)
                }
                ZoneState::PartialDisruption => None,
            };
            self.zones[z].limiter.swap(period, now);
            self.zones[z].state = state;
        }
        if all_were {
            DisruptionChange::ExitMasterDisruption
        } else {
            DisruptionChange::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tainter(nodes: usize) -> NoExecuteTainter {
        let labels = BTreeMap::new();
        NoExecuteTainter::new(std::iter::repeat_n(&labels, nodes))
    }

    #[test]
    fn one_node_per_ten_seconds_is_tainted_in_a_zone() {
        let mut t = tainter(10);
        for n in 0..3 {
            t.mark(NodeId(n));
        }
        let mut out = Vec::new();
        let next = t.take_due(0, SimTime::from_secs(45), &mut out);
        assert_eq!(out, vec![NodeId(0)]);
        assert_eq!(next, Some(SimTime::from_secs(55)));
        out.clear();
        assert_eq!(
            t.take_due(0, SimTime::from_secs(55), &mut out),
            Some(SimTime::from_secs(65))
        );
        assert_eq!(out, vec![NodeId(1)]);
    }

    #[test]
    fn a_small_zone_mostly_not_ready_stops_tainting_and_resumes_when_nodes_return() {
        let mut t = tainter(5);
        let down = [true, true, true, false, false];
        let now = SimTime::from_secs(50);
        let change = t.handle_disruption(now, |n| Some(!down[n.0 as usize]));
        assert_eq!(change, DisruptionChange::None);
        t.mark(NodeId(0));
        let mut out = Vec::new();
        assert_eq!(t.take_due(0, now, &mut out), None);
        assert!(
            out.is_empty(),
            "partial disruption in a zone of 5: no tainting"
        );
        // Two come back: 1 of 5 NotReady is Normal again. The new bucket starts
        // drained (the never-limiter had no token), so the taint waits one period.
        let later = SimTime::from_secs(100);
        t.handle_disruption(later, |n| Some(n.0 != 0));
        assert_eq!(
            t.take_due(0, later, &mut out),
            Some(SimTime::from_secs(110))
        );
        assert!(out.is_empty());
        assert_eq!(t.take_due(0, SimTime::from_secs(110), &mut out), None);
        assert_eq!(out, vec![NodeId(0)]);
    }

    #[test]
    fn every_node_not_ready_enters_and_leaves_master_disruption() {
        let mut t = tainter(2);
        let now = SimTime::from_secs(40);
        assert_eq!(
            t.handle_disruption(now, |_| Some(false)),
            DisruptionChange::EnterMasterDisruption
        );
        t.mark(NodeId(0));
        let mut out = Vec::new();
        let later = now + SimDuration::from_secs(60);
        assert_eq!(t.take_due(0, later, &mut out), None);
        assert!(out.is_empty());
        assert_eq!(
            t.handle_disruption(later, |n| Some(n.0 == 1)),
            DisruptionChange::ExitMasterDisruption
        );
        let due = t.take_due(0, later, &mut out);
        assert_eq!(due, Some(later + EVICTION_PERIOD));
        t.take_due(0, later + EVICTION_PERIOD, &mut out);
        assert_eq!(out, vec![NodeId(0)]);
    }

    #[test]
    fn zones_come_from_region_and_zone_labels() {
        let a: BTreeMap<String, String> =
            [("topology.kubernetes.io/zone".to_string(), "a".to_string())].into();
        let b: BTreeMap<String, String> = [(
            "failure-domain.beta.kubernetes.io/zone".to_string(),
            "b".to_string(),
        )]
        .into();
        let none = BTreeMap::new();
        let t = NoExecuteTainter::new([&a, &b, &none, &a].into_iter());
        assert_eq!(t.zones(), 3);
        assert_eq!(t.zone_of(NodeId(0)), t.zone_of(NodeId(3)));
        // One zone fully down while another is fine: evictions go on in both.
        let mut t = t;
        assert_eq!(
            t.handle_disruption(SimTime::from_secs(40), |n| Some(n.0 != 0 && n.0 != 3)),
            DisruptionChange::None
        );
    }
}
