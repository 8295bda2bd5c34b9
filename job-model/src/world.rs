//! The simulated cluster as a [`Model`]: every event is dispatched to the component it
//! belongs to, then the watch events that component's writes produced are delivered
//! to the watching components, until none are left.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_core::Rng;
use sim_core::{Context, Model, SimTime, StreamKey, TimerToken, stream};

use crate::api::{DeletionCause, DisruptionReason, JobConditionType, NodeId, PodId, secs};
use crate::api_server::{ApiServer, Notice};
use crate::controller::JobController;
use crate::controller::job_pods::PodView;
use crate::garbage_collector::{self, Propagation};
use crate::kubelet::Kubelet;
use crate::run::{Arrival, JobAction, NodeAction, NodeTarget, RunSpec};
use crate::scheduler::{Constraints, Scheduler};
use crate::store::JobId;
use crate::workload::ContainerExit;

/// Everything that happens on the virtual clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A Job is created (index into the arrival list).
    JobArrival(u32),
    /// An action of the scenario's timeline on a Job (index into `RunSpec::job_faults`).
    JobFault(u32),
    /// The TTL-after-finished controller deletes the Job.
    TtlExpired(JobId),
    /// An action of the scenario's timeline on nodes (index into `RunSpec::node_faults`).
    NodeFault(u32),
    /// A machine stops for `down_ms` (`node_lifecycle::FOREVER`: for good).
    NodeDown {
        /// The node.
        node: NodeId,
        /// How long.
        down_ms: u64,
    },
    /// The machine of this outage (epoch) is back.
    NodeUp(NodeId, u32),
    /// `nodeMonitorGracePeriod` after the outage (epoch) began.
    NodeNotReady(NodeId, u32),
    /// The monitor pass after NotReady: the node is marked for NoExecute tainting.
    NodeTaintCheck(NodeId, u32),
    /// A zone's NoExecute tainter has a token again.
    NoExecuteTaintPass(u32, TimerToken),
    /// The taint manager's eviction of a pod whose toleration of a NoExecute taint of
    /// its node's pool ran out.
    PoolTaintEviction {
        /// The pod.
        pod: PodId,
        /// Its node.
        node: NodeId,
    },
    /// The taint manager's eviction of a pod from a NotReady node.
    TaintEviction {
        /// The pod.
        pod: PodId,
        /// Its node.
        node: NodeId,
        /// The node's NoExecute taint generation (`NoExecuteTainter::taint_gen`).
        taint_gen: u32,
    },
    /// PodGC's pass over the pods of a deleted node.
    PodGc(NodeId),
    /// PodGC's pass over the terminating pods of an out-of-service node.
    PodGcTerminating(NodeId),
    /// PodGC's pass that finds a terminating pod no node was assigned to.
    PodGcUnscheduled(PodId),
    /// The Job controller's worker syncs the Job.
    JobSync(JobId),
    /// A delayed work-queue entry becomes ready.
    JobSyncAfter(JobId, TimerToken),
    /// The kubelet starts the pod's containers.
    ContainerStart {
        /// Pod.
        pod: PodId,
        /// Kubelet generation when scheduled.
        generation: u32,
    },
    /// The main container exits on its own.
    ContainerExit {
        /// Pod.
        pod: PodId,
        /// Kubelet generation when scheduled.
        generation: u32,
        /// How.
        exit: ContainerExit,
    },
    /// The crash-loop back-off elapsed; the container restarts.
    ContainerRestart {
        /// Pod.
        pod: PodId,
        /// Kubelet generation when scheduled.
        generation: u32,
    },
    /// Graceful termination ends (exit on SIGTERM, or SIGKILL at the grace period).
    ContainerKilled {
        /// Pod.
        pod: PodId,
        /// Kubelet generation when scheduled.
        generation: u32,
        /// The exit code the container reports, if it was running.
        exit_code: Option<i32>,
    },
}

/// The cluster.
pub struct World {
    pub(crate) spec: Arc<RunSpec>,
    pub(crate) api: ApiServer,
    pub(crate) controller: JobController,
    pub(crate) scheduler: Scheduler,
    pub(crate) kubelet: Kubelet,
    pub(crate) arrivals: Vec<Arrival>,
    /// The template (index into `spec.jobs`) of each Job row.
    pub(crate) job_template: Vec<usize>,
    notices: Vec<Notice>,
    /// Job rows by name, for the faults timeline.
    by_name: BTreeMap<String, JobId>,
    /// Jobs whose TTL-after-finished deletion is scheduled.
    ttl_scheduled: Vec<bool>,
    /// Nodes whose current outage is for good.
    pub(crate) gone_for_good: Vec<bool>,
    /// The node lifecycle controller's NoExecute tainting per zone.
    pub(crate) tainter: crate::no_execute_tainter::NoExecuteTainter,
    /// Node events, in order.
    pub(crate) node_events: Vec<crate::node_lifecycle::NodeEvent>,
}

impl World {
    pub(crate) fn new(
        spec: Arc<RunSpec>,
        api: ApiServer,
        controller: JobController,
        kubelet: Kubelet,
        arrivals: Vec<Arrival>,
    ) -> Self {
        let spec_nodes = api.nodes.len();
        let tainter =
            crate::no_execute_tainter::NoExecuteTainter::new(api.nodes.iter().map(|n| &n.labels));
        let disruption_conditions = spec
            .gates
            .enabled(crate::version::FeatureGate::PodDisruptionConditions);
        World {
            spec,
            api,
            controller,
            scheduler: Scheduler::new(disruption_conditions),
            kubelet,
            arrivals,
            job_template: Vec::new(),
            notices: Vec::new(),
            by_name: BTreeMap::new(),
            ttl_scheduled: Vec::new(),
            gone_for_good: vec![false; spec_nodes],
            tainter,
            node_events: Vec::new(),
        }
    }

    /// Resolves a node fault's target to nodes.
    fn node_fault(&mut self, ctx: &mut Context<'_, Event>, i: u32) {
        let fault = self.spec.node_faults[i as usize].clone();
        let by_name = |w: &World, name: &str| {
            w.api
                .nodes
                .iter()
                .position(|n| n.name == name)
                .map(|k| NodeId(k as u32))
        };
        match fault.action {
            NodeAction::Drain { node } => {
                if let Some(n) = by_name(self, &node) {
                    self.drain(n);
                }
            }
            NodeAction::KubeletRestart { node } => {
                if let Some(n) = by_name(self, &node) {
                    self.kubelet_restart(ctx, n);
                }
            }
            NodeAction::OutOfService { node } => {
                if let Some(n) = by_name(self, &node) {
                    self.out_of_service(ctx, n);
                }
            }
            NodeAction::NodePressure { node } => {
                if let Some(n) = by_name(self, &node) {
                    self.node_pressure(ctx, n);
                }
            }
            NodeAction::Down { target, duration } => {
                let down_ms = duration.map_or(crate::node_lifecycle::FOREVER, |d| d.as_millis());
                let nodes: Vec<NodeId> = match target {
                    NodeTarget::Node(name) => by_name(self, &name).into_iter().collect(),
                    NodeTarget::Pool { pool, count } => {
                        let Some(pool) = self.spec.node_pools.iter().position(|p| p.name == pool)
                        else {
                            return;
                        };
                        let up: Vec<NodeId> = (0..self.api.nodes.len() as u32)
                            .map(NodeId)
                            .filter(|n| {
                                let node = &self.api.nodes[n.0 as usize];
                                node.pool == pool && node.exists && node.kubelet_up
                            })
                            .collect();
                        choose(up, count, ctx.seed(), "fault-pick-nodes", i)
                    }
                };
                for n in nodes {
                    self.node_down(ctx, n, down_ms);
                }
            }
        }
    }

    fn job_fault(&mut self, ctx: &mut Context<'_, Event>, i: u32) {
        let fault = &self.spec.job_faults[i as usize];
        let Some(&job) = self.by_name.get(&fault.job) else {
            return;
        };
        if self.api.live_job(job).is_none() {
            return;
        }
        // Without SuspendJob the API server drops spec.suspend from the update
        // (dropDisabledFields): suspend and resume change nothing.
        let suspend_enabled = self
            .spec
            .gates
            .enabled(crate::version::FeatureGate::SuspendJob);
        match fault.action {
            JobAction::Suspend | JobAction::Resume if !suspend_enabled => {}
            JobAction::Suspend => self.api.update_job_spec(job, |s| s.suspend = true),
            JobAction::Resume => self.api.update_job_spec(job, |s| s.suspend = false),
            JobAction::Scale {
                parallelism,
                completions,
            } => self.api.update_job_spec(job, |s| {
                if let Some(p) = parallelism {
                    s.parallelism = p;
                }
                if completions.is_some() {
                    s.completions = completions;
                }
            }),
            JobAction::Delete => {
                garbage_collector::delete_job(&mut self.api, job, Propagation::Background)
            }
            JobAction::DeletePods { count } => {
                for p in self.pick_active_pods(ctx, i, job, count) {
                    self.api.delete_pod(p, None, DeletionCause::User);
                }
            }
            JobAction::Preempt { count } => {
                for p in self.pick_active_pods(ctx, i, job, count) {
                    self.evict(p, DisruptionReason::PreemptionByScheduler);
                }
            }
            JobAction::Evict { count } => {
                let reason = DisruptionReason::EvictionByEvictionAPI;
                // The DisruptionTarget condition exists from PodDisruptionConditions on.
                let conditions = self
                    .spec
                    .gates
                    .enabled(crate::version::FeatureGate::PodDisruptionConditions);
                for p in self.pick_active_pods(ctx, i, job, count) {
                    if conditions {
                        self.api.update_pod(p, |pod| {
                            pod.disruption.get_or_insert(reason);
                        });
                    }
                    self.api
                        .delete_pod(p, None, DeletionCause::Disruption(reason));
                }
            }
        }
    }

    /// `count` of `job`'s active pods, in creation order, picked by a partial
    /// Fisher-Yates shuffle drawn from the stream of fault `fault`.
    fn pick_active_pods(
        &self,
        ctx: &mut Context<'_, Event>,
        fault: u32,
        job: JobId,
        count: u32,
    ) -> Vec<PodId> {
        let mut pods = self.api.job_pods[job.index()].active.clone();
        pods.sort_by_key(|&p| self.api.pods[p].uid);
        choose(pods, count, ctx.seed(), "fault-pick-pods", fault)
    }

    /// The TTL-after-finished controller: a finished Job with `ttlSecondsAfterFinished`
    /// is deleted that long after its terminal condition's lastTransitionTime.
    fn schedule_ttl(&mut self, ctx: &mut Context<'_, Event>, job: JobId) {
        let Some(j) = self.api.live_job(job) else {
            return;
        };
        let Some(ttl) = j.spec.ttl_seconds_after_finished else {
            return;
        };
        let Some(finished) = j
            .status
            .true_condition(JobConditionType::Complete)
            .or_else(|| j.status.true_condition(JobConditionType::Failed))
        else {
            return;
        };
        if self.ttl_scheduled.len() <= job.index() {
            self.ttl_scheduled.resize(job.index() + 1, false);
        }
        if std::mem::replace(&mut self.ttl_scheduled[job.index()], true) {
            return;
        }
        let at = (finished.last_transition_time + secs(ttl.into())).max(ctx.now());
        ctx.schedule(at, Event::TtlExpired(job));
    }

    fn job_arrives(&mut self, i: u32) {
        let arrival = &self.arrivals[i as usize];
        let t = &self.spec.jobs[arrival.template];
        let name = arrival.name.clone();
        let job = self
            .api
            .create_job(name.clone(), t.namespace.clone(), t.spec.clone());
        self.by_name.insert(name, job);
        self.job_template.push(arrival.template);
        let tmpl = &t.spec.template;
        self.scheduler.register_job(
            job.index(),
            Constraints {
                node_selector: tmpl
                    .node_selector
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                affinity: tmpl.required_node_affinity.clone(),
                tolerations: tmpl.tolerations.clone(),
            },
        );
    }

    /// Delivers watch events until the components have nothing more to say.
    fn dispatch(&mut self, ctx: &mut Context<'_, Event>) {
        loop {
            self.api.take_outbox(&mut self.notices);
            if self.notices.is_empty() {
                if self.scheduler.take_cycle_request() {
                    self.scheduler.run_cycle(&mut self.api);
                    continue;
                }
                return;
            }
            let notices = std::mem::take(&mut self.notices);
            for &notice in &notices {
                self.deliver(ctx, notice);
            }
            self.notices = notices;
        }
    }

    fn deliver(&mut self, ctx: &mut Context<'_, Event>, notice: Notice) {
        let job_finished =
            |api: &ApiServer, job: JobId| api.live_job(job).is_none_or(|j| j.status.is_finished());
        match notice {
            Notice::PodAdded { pod, job } => {
                self.controller.on_pod_event(ctx, job, false, false);
                self.scheduler.on_pod_added(&mut self.api, pod);
            }
            Notice::PodUpdated {
                pod,
                job,
                before,
                after,
            } => {
                let deleted = !before.deleting && after.deleting;
                // updatePod treats a new deletionTimestamp like deletePod, which does not
                // sync a finished Job.
                if !(deleted && job_finished(&self.api, job)) {
                    let failed = |v: &PodView| v.phase == crate::api::PodPhase::Failed;
                    self.controller
                        .on_pod_event(ctx, job, failed(&before), failed(&after));
                }
                if !before.bound && after.bound {
                    let behavior = &self.spec.jobs[self.job_template[job.index()]].behavior;
                    self.kubelet.on_pod_bound(&mut self.api, ctx, pod, behavior);
                    self.watch_pool_no_execute_taints(ctx, pod);
                }
                if deleted {
                    if after.bound {
                        let behavior = &self.spec.jobs[self.job_template[job.index()]].behavior;
                        self.kubelet
                            .on_pod_deleting(&mut self.api, ctx, pod, behavior);
                    } else {
                        self.scheduler.on_pod_deleting(&mut self.api, pod);
                        // No kubelet will ever stop it: PodGC's next pass does.
                        let next_tick = crate::node_lifecycle::next_pod_gc_tick(ctx.now());
                        ctx.schedule(next_tick, Event::PodGcUnscheduled(pod));
                    }
                }
            }
            Notice::PodRemoved { job, .. } => {
                if !job_finished(&self.api, job) {
                    self.controller.on_pod_event(ctx, job, false, false);
                }
                garbage_collector::finish_foreground_deletion(&mut self.api, job);
            }
            Notice::NodeResourcesFreed(node) => self.scheduler.on_node_changed(node),
            Notice::JobAdded(job) => self.controller.on_job_added(ctx, job),
            Notice::JobUpdated { job, spec } => {
                self.controller
                    .on_job_updated(ctx, &self.api, job, spec, false);
                self.schedule_ttl(ctx, job);
            }
            Notice::JobRemoved(job) => {
                self.controller.on_job_removed(job);
            }
        }
    }

    /// The current time as the API server knows it.
    pub fn now(&self) -> SimTime {
        self.api.now
    }
}

/// `count` of `items` (in their given order), picked by a partial Fisher-Yates shuffle
/// drawn from the stream keyed by (`domain`, fault index): the same choice in every run
/// with this seed, whatever else happens.
fn choose<T>(mut items: Vec<T>, count: u32, seed: u64, domain: &str, fault: u32) -> Vec<T> {
    let mut rng = stream(seed, &StreamKey::new(domain, [u64::from(fault), 0, 0]));
    let n = (count as usize).min(items.len());
    for k in 0..n {
        let span = (items.len() - k) as u64;
        let pick = k + (rng.next_u64() % span) as usize;
        items.swap(k, pick);
    }
    items.truncate(n);
    items
}

impl Model for World {
    type Event = Event;

    fn handle(&mut self, ctx: &mut Context<'_, Event>, event: Event) {
        self.api.now = ctx.now();
        match event {
            Event::JobArrival(i) => self.job_arrives(i),
            Event::JobFault(i) => self.job_fault(ctx, i),
            Event::NodeFault(i) => self.node_fault(ctx, i),
            Event::NodeDown { node, down_ms } => self.node_down(ctx, node, down_ms),
            Event::NodeUp(node, epoch) => self.node_up(ctx, node, epoch),
            Event::NodeNotReady(node, epoch) => self.node_not_ready(ctx, node, epoch),
            Event::TaintEviction {
                pod,
                node,
                taint_gen,
            } => self.taint_eviction(pod, node, taint_gen),
            Event::NodeTaintCheck(node, epoch) => self.node_taint_check(ctx, node, epoch),
            Event::NoExecuteTaintPass(zone, token) => {
                if self.tainter.pass_fired(zone, token) {
                    self.run_no_execute_tainter(ctx, zone);
                }
            }
            Event::PoolTaintEviction { pod, node } => self.pool_taint_eviction(pod, node),
            Event::PodGc(node) => self.pod_gc(ctx, node),
            Event::PodGcTerminating(node) => self.pod_gc_terminating(ctx, node),
            Event::PodGcUnscheduled(pod) => self.pod_gc_unscheduled(ctx.now(), pod),
            Event::TtlExpired(job) => {
                garbage_collector::delete_job(&mut self.api, job, Propagation::Foreground)
            }
            Event::JobSync(job) => {
                self.controller.dequeue(job);
                self.controller.sync_job(&mut self.api, ctx, job);
            }
            Event::JobSyncAfter(job, token) => {
                if self.controller.waiting_fired(job, token) {
                    self.controller.sync_job(&mut self.api, ctx, job);
                }
            }
            Event::ContainerStart { pod, generation } => {
                let Some(job) = self.api.pods.get(pod).map(|p| p.job) else {
                    return;
                };
                let behavior = &self.spec.jobs[self.job_template[job.index()]].behavior;
                self.kubelet
                    .start_container(&mut self.api, ctx, pod, generation, behavior);
            }
            Event::ContainerExit {
                pod,
                generation,
                exit,
            } => self
                .kubelet
                .container_exited(&mut self.api, ctx, pod, generation, exit),
            Event::ContainerRestart { pod, generation } => {
                let Some(job) = self.api.pods.get(pod).map(|p| p.job) else {
                    return;
                };
                let behavior = &self.spec.jobs[self.job_template[job.index()]].behavior;
                self.kubelet
                    .restart_container(&mut self.api, ctx, pod, generation, behavior);
            }
            Event::ContainerKilled {
                pod,
                generation,
                exit_code,
            } => self
                .kubelet
                .container_killed(&mut self.api, ctx, pod, generation, exit_code),
        }
        self.dispatch(ctx);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_stay_small_so_the_heap_moves_little() {
        assert!(
            std::mem::size_of::<super::Event>() <= 24,
            "{}",
            std::mem::size_of::<super::Event>()
        );
    }
}
