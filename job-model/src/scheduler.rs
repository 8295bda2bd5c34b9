//! The scheduler: binds pending pods to nodes where they fit.
//!
//! Pods wait in two places. New pods wait in the *active queue*, ordered by priority
//! then creation, and get one attempt against every node. A pod that fits nowhere
//! joins the *unschedulable queue of its class*: pods with identical requests,
//! priority and placement constraints, which therefore fit exactly the same nodes.
//! Such pods are retried only when a node changes (capacity freed, node added,
//! uncordoned, taint removed), and only against the changed nodes — no other node can
//! have become feasible — and a class whose head does not fit stops the whole class.
//! So a freed slot costs work proportional to the number of classes, not to the
//! number of pending pods.
//!
//! Filters: resources (cpu, memory, pods), `spec.unschedulable`, nodeSelector,
//! required node affinity, NoSchedule/NoExecute taints. Score: least allocated over
//! cpu and memory (upstream `NodeResourcesLeastAllocated` with equal weights and the
//! default non-zero requests), ties broken by node order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::api::{
    Node, NodeId, NodeSelectorOperator, NodeSelectorRequirement, Pod, PodId, Resources,
    TaintEffect, Toleration,
};
use crate::api_server::ApiServer;

/// Placement constraints shared by the pods of one template.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Constraints {
    /// nodeSelector.
    pub node_selector: Vec<(String, String)>,
    /// Required node affinity terms (ORed; requirements ANDed).
    pub affinity: Vec<Vec<NodeSelectorRequirement>>,
    /// Tolerations.
    pub tolerations: Vec<Toleration>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ClassKey {
    cpu_milli: u64,
    memory: u64,
    priority: i32,
    constraints: u32,
}

#[derive(Debug)]
struct Class {
    queue: VecDeque<PodId>,
}

const IN_ACTIVE_QUEUE: u32 = u32::MAX - 1;
const NOT_QUEUED: u32 = u32::MAX;

/// Upstream default requests used for scoring pods that request nothing.
const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;
const DEFAULT_MEMORY_REQUEST: u64 = 200 * 1024 * 1024;

/// The scheduler.
#[derive(Debug)]
pub struct Scheduler {
    active_queue: BTreeSet<(Reverse<i32>, u64, PodId)>,
    classes: Vec<Class>,
    class_index: BTreeMap<ClassKey, u32>,
    constraints: Vec<Constraints>,
    constraints_index: BTreeMap<Constraints, u32>,
    /// Constraint id of each Job row.
    job_constraints: Vec<u32>,
    dirty: Vec<NodeId>,
    node_dirty: Vec<bool>,
    cycle_scheduled: bool,
    /// Classes found blocked in this cycle (a reused buffer).
    blocked: Vec<bool>,
    /// Pods waiting in class queues.
    unschedulable: usize,
    /// Bind attempts so far (for the benchmark's statistics).
    pub attempts: u64,
    /// The lowest priority of any pod bound so far: nothing can be preempted by a
    /// pod whose priority is not above it.
    lowest_bound_priority: i32,
    /// Pods that preempted, with their victims (upstream's nominated pods): one does
    /// not preempt again while a victim is still terminating.
    nominated: BTreeMap<PodId, Vec<PodId>>,
    /// Victims get DisruptionTarget (PodDisruptionConditions).
    pub disruption_conditions: bool,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler::new(true)
    }
}

impl Scheduler {
    /// A scheduler; `disruption_conditions`: victims of preemption get DisruptionTarget.
    pub fn new(disruption_conditions: bool) -> Self {
        Scheduler {
            active_queue: BTreeSet::new(),
            classes: Vec::new(),
            class_index: BTreeMap::new(),
            constraints: Vec::new(),
            constraints_index: BTreeMap::new(),
            job_constraints: Vec::new(),
            dirty: Vec::new(),
            node_dirty: Vec::new(),
            cycle_scheduled: false,
            blocked: Vec::new(),
            unschedulable: 0,
            attempts: 0,
            lowest_bound_priority: i32::MAX,
            nominated: BTreeMap::new(),
            disruption_conditions,
        }
    }
}

/// How good a node is for preemption, lower first: (highest victim priority, sum of
/// victim priorities, number of victims, node index).
type PreemptionRank = (i32, i64, usize, u32);

/// Scheduling-queue order: higher priority first, then creation sequence.
type QueueKey = (Reverse<i32>, u64, PodId);

impl Scheduler {
    /// Interns the placement constraints of a Job's pods.
    pub fn register_job(&mut self, job_row: usize, c: Constraints) {
        let next = self.constraints.len() as u32;
        let id = *self.constraints_index.entry(c.clone()).or_insert_with(|| {
            self.constraints.push(c);
            next
        });
        if self.job_constraints.len() <= job_row {
            self.job_constraints.resize(job_row + 1, 0);
        }
        self.job_constraints[job_row] = id;
    }

    /// Pods waiting for a node.
    pub fn pending(&self) -> usize {
        self.active_queue.len() + self.unschedulable
    }

    fn request_cycle(&mut self) {
        self.cycle_scheduled = true;
    }

    /// Whether a scheduling cycle is due (pods were added or nodes freed since the
    /// last one); clears the request. The world runs the cycle once the event that
    /// requested it has been fully handled: binding takes no virtual time.
    pub fn take_cycle_request(&mut self) -> bool {
        std::mem::take(&mut self.cycle_scheduled)
    }

    /// A new pod to place.
    pub fn on_pod_added(&mut self, api: &mut ApiServer, pod: PodId) {
        let p = &mut api.pods[pod];
        if p.node.is_some() || p.deletion_timestamp.is_some() {
            return;
        }
        p.sched_queue = IN_ACTIVE_QUEUE;
        self.active_queue.insert((Reverse(p.priority), p.uid, pod));
        self.request_cycle();
    }

    /// A pending pod is being deleted: it leaves the queues.
    pub fn on_pod_deleting(&mut self, api: &mut ApiServer, pod: PodId) {
        let Some(p) = api.pods.get_mut(pod) else {
            return;
        };
        match p.sched_queue {
            NOT_QUEUED => {}
            IN_ACTIVE_QUEUE => {
                self.active_queue.remove(&(Reverse(p.priority), p.uid, pod));
            }
            _ => self.unschedulable -= 1, // lazily dropped from its class queue
        }
        p.sched_queue = NOT_QUEUED;
    }

    /// A node may now fit more pods.
    pub fn on_node_changed(&mut self, node: NodeId) {
        if self.unschedulable == 0 {
            return;
        }
        let i = node.0 as usize;
        if self.node_dirty.len() <= i {
            self.node_dirty.resize(i + 1, false);
        }
        if !self.node_dirty[i] {
            self.node_dirty[i] = true;
            self.dirty.push(node);
        }
        self.request_cycle();
    }

    fn class_of(&mut self, pod: &Pod, job_row: usize) -> u32 {
        let key = ClassKey {
            cpu_milli: pod.requests.cpu_milli,
            memory: pod.requests.memory,
            priority: pod.priority,
            constraints: self.job_constraints.get(job_row).copied().unwrap_or(0),
        };
        let next = self.classes.len() as u32;
        *self.class_index.entry(key).or_insert_with(|| {
            self.classes.push(Class {
                queue: VecDeque::new(),
            });
            next
        })
    }

    /// The head of a class queue, dropping stale entries.
    fn class_head(&mut self, api: &ApiServer, c: usize) -> Option<PodId> {
        while let Some(&pod) = self.classes[c].queue.front() {
            match api.pods.get(pod) {
                Some(p) if p.sched_queue == c as u32 => return Some(pod),
                _ => {
                    self.classes[c].queue.pop_front();
                }
            }
        }
        None
    }

    /// One scheduling cycle at the current instant: binds every pod that fits, best
    /// pod first (priority, then creation).
    pub fn run_cycle(&mut self, api: &mut ApiServer) {
        self.cycle_scheduled = false;
        let mut blocked = std::mem::take(&mut self.blocked);
        blocked.clear();
        blocked.resize(self.classes.len(), false);
        loop {
            let from_active = self.active_queue.first().copied();
            let mut best_class: Option<(usize, QueueKey)> = None;
            if !self.dirty.is_empty() {
                for c in 0..self.classes.len() {
                    if blocked.get(c).copied().unwrap_or(false) {
                        continue;
                    }
                    let Some(pod) = self.class_head(api, c) else {
                        continue;
                    };
                    let p = &api.pods[pod];
                    let key = (Reverse(p.priority), p.uid, pod);
                    if best_class.as_ref().is_none_or(|(_, k)| key < *k) {
                        best_class = Some((c, key));
                    }
                }
            }
            let take_active = match (&from_active, &best_class) {
                (Some(a), Some((_, b))) => a < b,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_active {
                let key = from_active.expect("checked");
                self.active_queue.remove(&key);
                let pod = key.2;
                self.attempts += 1;
                match self.best_node(api, pod, None) {
                    Some(node) => {
                        api.pods[pod].sched_queue = NOT_QUEUED;
                        self.lowest_bound_priority =
                            self.lowest_bound_priority.min(api.pods[pod].priority);
                        self.bind(api, pod, node);
                    }
                    None => {
                        self.preempt_for(api, pod);
                        let job_row = api.pods[pod].job.index();
                        let c = self.class_of(&api.pods[pod], job_row);
                        api.pods[pod].sched_queue = c;
                        self.classes[c as usize].queue.push_back(pod);
                        self.unschedulable += 1;
                        if blocked.len() < self.classes.len() {
                            blocked.resize(self.classes.len(), false);
                        }
                    }
                }
            } else {
                let (c, key) = best_class.expect("checked");
                let pod = key.2;
                self.attempts += 1;
                let dirty = std::mem::take(&mut self.dirty);
                let node = self.best_node(api, pod, Some(&dirty));
                self.dirty = dirty;
                match node {
                    Some(node) => {
                        self.classes[c].queue.pop_front();
                        self.unschedulable -= 1;
                        api.pods[pod].sched_queue = NOT_QUEUED;
                        self.lowest_bound_priority =
                            self.lowest_bound_priority.min(api.pods[pod].priority);
                        self.bind(api, pod, node);
                    }
                    None => {
                        // A retry that fails runs PostFilter again: what changed may
                        // now make preemption possible.
                        if api.pods[pod].priority > self.lowest_bound_priority {
                            self.preempt_for(api, pod);
                        }
                        blocked[c] = true;
                    }
                }
            }
        }
        for n in self.dirty.drain(..) {
            self.node_dirty[n.0 as usize] = false;
        }
        self.blocked = blocked;
    }

    /// Upstream DefaultPreemption (PostFilter), for a pod that fits nowhere: on the node
    /// where removing lower-priority pods makes it fit, evict the fewest and least
    /// important of them (DisruptionTarget PreemptionByScheduler, graceful delete).
    /// The pod waits in its class queue until the victims are gone; a later retry that
    /// fails may preempt again once they are.
    /// Nodes are ranked as upstream's `pickOneNodeForPreemption`: lowest highest-victim
    /// priority, lowest sum of victim priorities, fewest victims, then node order.
    /// PodDisruptionBudgets are not modelled.
    fn preempt_for(&mut self, api: &mut ApiServer, pod: PodId) {
        let p = &api.pods[pod];
        let priority = p.priority;
        // PodEligibleToPreemptOthers: a pod whose preemptionPolicy is Never waits.
        if priority <= self.lowest_bound_priority
            || api.jobs[p.job.index()].spec.template.preemption_never
        {
            return;
        }
        // PodEligibleToPreemptOthers: not while the victims it nominated for are
        // still terminating.
        if let Some(victims) = self.nominated.get(&pod)
            && victims
                .iter()
                .any(|&v| api.pods.get(v).is_some_and(|q| !q.phase.is_terminal()))
        {
            return;
        }
        let need = Resources {
            pods: 1,
            ..p.requests
        };
        let constraints = &self.constraints[self
            .job_constraints
            .get(p.job.index())
            .copied()
            .unwrap_or(0) as usize];
        let mut best: Option<(PreemptionRank, Vec<PodId>)> = None;
        for (i, node) in api.nodes.iter().enumerate() {
            if !node.kubelet_up || !fits_constraints(node, constraints) {
                continue;
            }
            let mut lower: Vec<PodId> = api
                .pods_on(NodeId(i as u32))
                .into_iter()
                .filter(|&v| {
                    let q = &api.pods[v];
                    q.priority < priority
                        && !q.phase.is_terminal()
                        && q.deletion_timestamp.is_none()
                })
                .collect();
            let mut free = node.free();
            for &v in &lower {
                free += api.pods[v].requests;
            }
            if !need.fits_in(&free) {
                continue;
            }
            // Reprieve the most important victims first while the pod still fits.
            lower.sort_by_key(|&v| (Reverse(api.pods[v].priority), api.pods[v].uid));
            let mut victims = Vec::new();
            for v in lower {
                let r = api.pods[v].requests;
                let after = free.saturating_sub(&r);
                if need.fits_in(&after) {
                    free = after;
                } else {
                    victims.push(v);
                }
            }
            let rank = (
                victims
                    .iter()
                    .map(|&v| api.pods[v].priority)
                    .max()
                    .unwrap_or(i32::MIN),
                victims
                    .iter()
                    .map(|&v| i64::from(api.pods[v].priority))
                    .sum(),
                victims.len(),
                i as u32,
            );
            if best.as_ref().is_none_or(|(b, _)| rank < *b) {
                best = Some((rank, victims));
            }
        }
        let Some((_, victims)) = best else {
            return;
        };
        self.nominated.insert(pod, victims.clone());
        let reason = crate::api::DisruptionReason::PreemptionByScheduler;
        for v in victims {
            if self.disruption_conditions {
                api.update_pod(v, |q| {
                    q.disruption.get_or_insert(reason);
                });
            }
            api.delete_pod(v, None, crate::api::DeletionCause::Disruption(reason));
        }
    }

    /// Binds `pod`; it is no longer a nominated pod.
    fn bind(&mut self, api: &mut ApiServer, pod: PodId, node: NodeId) {
        if !self.nominated.is_empty() {
            self.nominated.remove(&pod);
        }
        api.bind_pod(pod, node);
    }

    /// The feasible node with the highest score among `candidates` (all nodes if
    /// `None`); ties go to the earlier node.
    fn best_node(
        &self,
        api: &ApiServer,
        pod: PodId,
        candidates: Option<&[NodeId]>,
    ) -> Option<NodeId> {
        let p = &api.pods[pod];
        let constraints = &self.constraints[self
            .job_constraints
            .get(p.job.index())
            .copied()
            .unwrap_or(0) as usize];
        let mut best: Option<(u64, NodeId)> = None;
        let mut consider = |id: NodeId| {
            let node = &api.nodes[id.0 as usize];
            if !feasible(node, &p.requests, constraints) {
                return;
            }
            let score = least_allocated_score(node, &p.requests);
            let better = match best {
                None => true,
                Some((s, b)) => score > s || (score == s && id < b),
            };
            if better {
                best = Some((score, id));
            }
        };
        match candidates {
            Some(list) => list.iter().copied().for_each(&mut consider),
            None => {
                let need = Resources {
                    pods: 1,
                    ..p.requests
                };
                api.free_index.for_each_candidate(&need, &mut consider);
            }
        }
        best.map(|(_, id)| id)
    }
}

/// Filter plugins: NodeResourcesFit, NodeUnschedulable, NodeAffinity (selector and
/// required terms), TaintToleration.
pub fn feasible(node: &Node, requests: &Resources, c: &Constraints) -> bool {
    if !node.exists {
        return false;
    }
    let need = Resources {
        pods: 1,
        ..*requests
    };
    if !need.fits_in(&node.free()) {
        return false;
    }
    fits_constraints(node, c)
}

/// The filters other than resources: NodeUnschedulable, NodeAffinity, TaintToleration.
pub fn fits_constraints(node: &Node, c: &Constraints) -> bool {
    if !node.exists {
        return false;
    }
    let tolerated = |key: &str, value: &str, effect: TaintEffect| {
        c.tolerations.iter().any(|t| {
            t.tolerates(&crate::api::Taint {
                key: key.to_string(),
                value: value.to_string(),
                effect,
                time_added: None,
            })
        })
    };
    if node.unschedulable
        && !tolerated(
            "node.kubernetes.io/unschedulable",
            "",
            TaintEffect::NoSchedule,
        )
    {
        return false;
    }
    for taint in &node.taints {
        if taint.effect != TaintEffect::PreferNoSchedule
            && !c.tolerations.iter().any(|t| t.tolerates(taint))
        {
            return false;
        }
    }
    if !c
        .node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v))
    {
        return false;
    }
    c.affinity.is_empty()
        || c.affinity
            .iter()
            .any(|term| term.iter().all(|r| requirement_matches(r, node)))
}

fn requirement_matches(r: &NodeSelectorRequirement, node: &Node) -> bool {
    let v = node.labels.get(&r.key);
    let int = |s: &str| s.parse::<i64>().ok();
    match r.operator {
        NodeSelectorOperator::In => v.is_some_and(|v| r.values.contains(v)),
        NodeSelectorOperator::NotIn => v.is_none_or(|v| !r.values.contains(v)),
        NodeSelectorOperator::Exists => v.is_some(),
        NodeSelectorOperator::DoesNotExist => v.is_none(),
        NodeSelectorOperator::Gt => match (
            v.and_then(|v| int(v)),
            r.values.first().and_then(|x| int(x)),
        ) {
            (Some(a), Some(b)) => a > b,
            _ => false,
        },
        NodeSelectorOperator::Lt => match (
            v.and_then(|v| int(v)),
            r.values.first().and_then(|x| int(x)),
        ) {
            (Some(a), Some(b)) => a < b,
            _ => false,
        },
    }
}

/// Upstream LeastAllocated (cpu and memory, weight 1 each), 0..=100, with pods that
/// request nothing counted at the default non-zero requests.
pub fn least_allocated_score(node: &Node, requests: &Resources) -> u64 {
    let cpu = if requests.cpu_milli == 0 {
        DEFAULT_MILLI_CPU_REQUEST
    } else {
        requests.cpu_milli
    };
    let mem = if requests.memory == 0 {
        DEFAULT_MEMORY_REQUEST
    } else {
        requests.memory
    };
    let part = |cap: u64, used: u64, req: u64| {
        if cap == 0 {
            return 0;
        }
        let requested = used.saturating_add(req);
        if requested > cap {
            0
        } else {
            // In u128: a node without a limit in a dimension has a huge capacity.
            ((u128::from(cap - requested) * 100) / u128::from(cap)) as u64
        }
    };
    (part(node.allocatable.cpu_milli, node.allocated.cpu_milli, cpu)
        + part(node.allocatable.memory, node.allocated.memory, mem))
        / 2
}
