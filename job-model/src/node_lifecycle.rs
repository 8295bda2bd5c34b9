//! Nodes failing and coming back, as the control plane sees it (k8s-job-semantics.md
//! §9.5, §9.6): the node lifecycle controller marks a silent node Ready=Unknown after
//! `nodeMonitorGracePeriod` and taints it `node.kubernetes.io/unreachable` (NoSchedule at
//! once, NoExecute from the next monitor pass through its zone's rate-limited tainter,
//! see `no_execute_tainter`); the taint manager evicts each pod when its toleration runs out
//! (DisruptionTarget DeletionByTaintManager); a node gone for good is deleted by the
//! cloud provider and PodGC then fails and force-deletes its pods (DeletionByPodGC);
//! a node that comes back is Ready again and its kubelet reconciles the pods it held.
//! Drain cordons a node and evicts its pods through the Eviction API.

use sim_core::{Context, SimDuration, SimTime};

use crate::api::manifest::TAINT_NODE_UNREACHABLE;

/// The taint of non-graceful node shutdown.
pub const TAINT_NODE_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";
use crate::api::{
    ContainerState, DeletionCause, DisruptionReason, NodeId, PodId, PodPhase, Taint, TaintEffect,
    Toleration, WaitingReason,
};
use crate::no_execute_tainter::{DisruptionChange, NODE_MONITOR_PERIOD};
use crate::version::FeatureGate;
use crate::workload::ContainerExit;
use crate::world::{Event, World};

/// PodGC's period (`gcCheckPeriod`).
pub const POD_GC_PERIOD: SimDuration = SimDuration::from_secs(20);
/// How long PodGC waits after first seeing a node missing (`quarantineTime`).
pub const POD_GC_QUARANTINE: SimDuration = SimDuration::from_secs(40);
/// Exit code of a container lost with its machine (the kubelet reports it unknown).
pub const EXIT_LOST: i32 = 137;

fn has_unreachable_no_execute(taints: &[Taint]) -> bool {
    taints
        .iter()
        .any(|t| t.key == TAINT_NODE_UNREACHABLE && t.effect == TaintEffect::NoExecute)
}

/// The first PodGC pass after `now` (passes run every `POD_GC_PERIOD` from 0).
pub fn next_pod_gc_tick(now: SimTime) -> SimTime {
    let p = POD_GC_PERIOD.as_millis();
    SimTime::from_millis((now.as_millis() / p + 1) * p)
}

/// `down_ms` of [`Event::NodeDown`] for a node that never comes back.
pub const FOREVER: u64 = u64::MAX;

type Ctx<'a, 'b> = &'a mut Context<'b, Event>;

/// What happened to a node, for reports and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeEventKind {
    /// The machine stopped.
    Down,
    /// Ready=Unknown, tainted.
    NotReady,
    /// The Node object was deleted.
    Deleted,
    /// The machine is back and Ready.
    Up,
}

/// One node event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    /// When.
    pub time: SimTime,
    /// Which node.
    pub node: NodeId,
    /// What.
    pub kind: NodeEventKind,
}

/// Upstream `getMinTolerationTime` over the tolerations matching `taint`: `None` when
/// the pod tolerates it forever, `Some(0)` when it does not tolerate it at all.
pub fn toleration_time(tolerations: &[Toleration], taint: &Taint) -> Option<SimDuration> {
    let matching: Vec<&Toleration> = tolerations.iter().filter(|t| t.tolerates(taint)).collect();
    if matching.is_empty() {
        return Some(SimDuration::ZERO);
    }
    matching
        .iter()
        .filter_map(|t| t.toleration_seconds)
        .min()
        .map(|s| SimDuration::from_secs(s.max(0) as u64))
}

impl World {
    fn disruption_conditions(&self) -> bool {
        self.spec
            .gates
            .enabled(FeatureGate::PodDisruptionConditions)
    }

    /// The machine stops: the kubelet's timers for its pods die with it.
    pub(crate) fn node_down(&mut self, ctx: Ctx<'_, '_>, node: NodeId, down_ms: u64) {
        let n = &mut self.api.nodes[node.0 as usize];
        if !n.exists || !n.kubelet_up {
            return;
        }
        n.kubelet_up = false;
        n.epoch += 1;
        let epoch = n.epoch;
        self.node_events.push(NodeEvent {
            time: ctx.now(),
            node,
            kind: NodeEventKind::Down,
        });
        for p in self.api.pods_on(node) {
            self.api.pods[p].kubelet_generation += 1;
        }
        let grace = self.spec.control_plane.node_monitor_grace_period;
        ctx.schedule(ctx.now() + grace, Event::NodeNotReady(node, epoch));
        if down_ms != FOREVER {
            ctx.schedule(
                ctx.now() + SimDuration::from_millis(down_ms),
                Event::NodeUp(node, epoch),
            );
        } else {
            self.gone_for_good[node.0 as usize] = true;
        }
    }

    /// No heartbeat for the grace period: Ready=Unknown, the unreachable NoSchedule
    /// taint, pods not Ready; the NoExecute taint (and with it the taint manager's
    /// timers) comes through the zone's tainter from the next monitor pass.
    pub(crate) fn node_not_ready(&mut self, ctx: Ctx<'_, '_>, node: NodeId, epoch: u32) {
        let now = ctx.now();
        let n = &mut self.api.nodes[node.0 as usize];
        if n.epoch != epoch || n.kubelet_up || !n.exists {
            return;
        }
        n.ready = false;
        self.node_events.push(NodeEvent {
            time: now,
            node,
            kind: NodeEventKind::NotReady,
        });
        n.taints.push(Taint {
            key: TAINT_NODE_UNREACHABLE.into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
            time_added: None,
        });
        self.api.node_changed(node);
        for p in self.api.pods_on(node) {
            let pod = &self.api.pods[p];
            if !pod.phase.is_terminal() && pod.ready {
                self.api.update_pod(p, |pod| {
                    pod.ready = false;
                    pod.ready_transition = Some(crate::api::api_time(now));
                });
            }
        }
        // The pass that saw the condition change compares the one it observed before
        // (Ready): the node is marked for NoExecute tainting at the next pass.
        ctx.schedule(
            now + NODE_MONITOR_PERIOD,
            Event::NodeTaintCheck(node, epoch),
        );
        if self.gone_for_good[node.0 as usize] {
            // The cloud provider's node lifecycle controller deletes the Node of a
            // machine that no longer exists once it is NotReady.
            self.api.nodes[node.0 as usize].exists = false;
            self.api.node_changed(node);
            self.node_events.push(NodeEvent {
                time: now,
                node,
                kind: NodeEventKind::Deleted,
            });
            ctx.schedule(
                next_pod_gc_tick(now) + POD_GC_QUARANTINE,
                Event::PodGc(node),
            );
        }
        self.handle_disruption(ctx);
    }

    /// `processTaintBaseEviction` at the pass after NotReady: the node joins its
    /// zone's NoExecute tainting queue.
    pub(crate) fn node_taint_check(&mut self, ctx: Ctx<'_, '_>, node: NodeId, epoch: u32) {
        let n = &self.api.nodes[node.0 as usize];
        if n.epoch != epoch || n.kubelet_up || !n.exists || n.ready {
            return;
        }
        self.tainter.mark(node);
        let zone = self.tainter.zone_of(node);
        self.run_no_execute_tainter(ctx, zone);
    }

    /// `doNoExecuteTaintingPass` for a zone: taints the nodes its limiter lets through
    /// and comes back when the next token is due.
    pub(crate) fn run_no_execute_tainter(&mut self, ctx: Ctx<'_, '_>, zone: u32) {
        let now = ctx.now();
        let mut due = Vec::new();
        if let Some(at) = self.tainter.take_due(zone, now, &mut due)
            && let Some(token) = self.tainter.arm_pass(zone, at)
        {
            ctx.schedule(at, Event::NoExecuteTaintPass(zone, token));
        }
        for node in due {
            self.add_no_execute_taint(ctx, node);
        }
    }

    /// The unreachable NoExecute taint, and the taint manager's timer for each pod.
    fn add_no_execute_taint(&mut self, ctx: Ctx<'_, '_>, node: NodeId) {
        let now = ctx.now();
        let n = &mut self.api.nodes[node.0 as usize];
        if n.kubelet_up || n.ready || !n.exists || has_unreachable_no_execute(&n.taints) {
            return;
        }
        let taint = Taint {
            key: TAINT_NODE_UNREACHABLE.into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
            time_added: Some(now),
        };
        n.taints.push(taint.clone());
        self.api.node_changed(node);
        let gen_ = &mut self.tainter.taint_gen[node.0 as usize];
        *gen_ += 1;
        let taint_gen = *gen_;
        for p in self.api.pods_on(node) {
            let pod = &self.api.pods[p];
            if pod.phase.is_terminal() || pod.deletion_timestamp.is_some() {
                continue;
            }
            let tolerations = &self.api.jobs[pod.job.index()].spec.template.tolerations;
            if let Some(wait) = toleration_time(tolerations, &taint) {
                ctx.schedule(
                    now + wait,
                    Event::TaintEviction {
                        pod: p,
                        node,
                        taint_gen,
                    },
                );
            }
        }
    }

    /// Removes a node's unreachable NoExecute taint (`markNodeAsReachable`); the taint
    /// manager cancels its timers.
    fn remove_no_execute_taint(&mut self, node: NodeId) {
        let n = &mut self.api.nodes[node.0 as usize];
        if !has_unreachable_no_execute(&n.taints) {
            return;
        }
        n.taints
            .retain(|t| !(t.key == TAINT_NODE_UNREACHABLE && t.effect == TaintEffect::NoExecute));
        self.tainter.taint_gen[node.0 as usize] += 1;
        self.api.node_changed(node);
    }

    /// `handleDisruption` after a node's health changed: zone states, limiters, and
    /// master disruption mode (every node NotReady: the NoExecute taints go).
    pub(crate) fn handle_disruption(&mut self, ctx: Ctx<'_, '_>) {
        let nodes = &self.api.nodes;
        let change = self.tainter.handle_disruption(ctx.now(), |n| {
            let n = &nodes[n.0 as usize];
            n.exists.then_some(n.ready)
        });
        if change == DisruptionChange::EnterMasterDisruption {
            for i in 0..self.api.nodes.len() {
                self.remove_no_execute_taint(NodeId(i as u32));
            }
        }
        for zone in 0..self.tainter.zones() {
            self.run_no_execute_tainter(ctx, zone);
        }
    }

    /// The taint manager's `processPodOnNode` for a pod just bound to a node whose pool
    /// has NoExecute taints: the pod tolerates them (the scheduler saw to that), but a
    /// toleration with `tolerationSeconds` runs out that long after the binding.
    pub(crate) fn watch_pool_no_execute_taints(&mut self, ctx: Ctx<'_, '_>, pod: PodId) {
        let p = &self.api.pods[pod];
        let Some(node) = p.node else { return };
        let tolerations = &self.api.jobs[p.job.index()].spec.template.tolerations;
        let wait = self.api.nodes[node.0 as usize]
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::NoExecute)
            .filter_map(|t| toleration_time(tolerations, t))
            .min();
        if let Some(wait) = wait {
            ctx.schedule(ctx.now() + wait, Event::PoolTaintEviction { pod, node });
        }
    }

    /// The toleration of a pool's NoExecute taint ran out: the pod is evicted
    /// (DeletionByTaintManager).
    pub(crate) fn pool_taint_eviction(&mut self, pod: PodId, node: NodeId) {
        let Some(p) = self.api.pods.get(pod) else {
            return;
        };
        if p.node != Some(node) || p.deletion_timestamp.is_some() || p.phase.is_terminal() {
            return;
        }
        self.evict(pod, DisruptionReason::DeletionByTaintManager);
    }

    /// The taint manager evicts a pod whose toleration of the NoExecute taint ran out.
    pub(crate) fn taint_eviction(&mut self, pod: PodId, node: NodeId, taint_gen: u32) {
        let n = &self.api.nodes[node.0 as usize];
        if self.tainter.taint_gen[node.0 as usize] != taint_gen || n.kubelet_up {
            return;
        }
        let Some(p) = self.api.pods.get(pod) else {
            return;
        };
        if p.node != Some(node) || p.deletion_timestamp.is_some() || p.phase.is_terminal() {
            return;
        }
        self.evict(pod, DisruptionReason::DeletionByTaintManager);
    }

    /// DisruptionTarget (when the release has it) and a graceful DELETE.
    pub(crate) fn evict(&mut self, pod: PodId, reason: DisruptionReason) {
        if self.disruption_conditions() {
            self.api.update_pod(pod, |p| {
                p.disruption.get_or_insert(reason);
            });
        }
        self.api
            .delete_pod(pod, None, DeletionCause::Disruption(reason));
    }

    /// PodGC removes the pods of a deleted node: marked Failed with DisruptionTarget
    /// (DeletionByPodGC) first from PodDisruptionConditions on, then force-deleted.
    pub(crate) fn pod_gc(&mut self, ctx: Ctx<'_, '_>, node: NodeId) {
        let mark = self.disruption_conditions();
        for p in self.api.pods_on(node) {
            let cause = DeletionCause::Disruption(DisruptionReason::DeletionByPodGC);
            self.mark_failed_and_delete(ctx.now(), p, mark, mark, cause);
        }
    }

    /// The machine is back: Ready, untainted, and its kubelet reconciles every pod it
    /// holds - terminating pods are killed, containers that died with the machine are
    /// reported lost (exit 137; restarted in place under OnFailure), pods never
    /// started are started.
    pub(crate) fn node_up(&mut self, ctx: Ctx<'_, '_>, node: NodeId, epoch: u32) {
        let now = ctx.now();
        let n = &mut self.api.nodes[node.0 as usize];
        if n.epoch != epoch || n.kubelet_up || !n.exists {
            return;
        }
        n.kubelet_up = true;
        n.ready = true;
        n.epoch += 1;
        self.node_events.push(NodeEvent {
            time: now,
            node,
            kind: NodeEventKind::Up,
        });
        n.taints.retain(|t| t.key != TAINT_NODE_UNREACHABLE);
        self.tainter.taint_gen[node.0 as usize] += 1;
        self.tainter.unmark(node);
        self.api.node_changed(node);
        self.handle_disruption(ctx);
        for p in self.api.pods_on(node) {
            let Some(pod) = self.api.pods.get(p) else {
                continue;
            };
            if pod.phase.is_terminal() {
                continue;
            }
            let generation = pod.kubelet_generation;
            let job = pod.job;
            let behavior = &self.spec.jobs[self.job_template[job.index()]].behavior;
            if pod.deletion_timestamp.is_some() {
                let exit =
                    matches!(pod.container, ContainerState::Running { .. }).then_some(EXIT_LOST);
                self.kubelet
                    .container_killed(&mut self.api, ctx, p, generation, exit);
                continue;
            }
            match pod.container {
                ContainerState::Running { .. } => self.kubelet.container_exited(
                    &mut self.api,
                    ctx,
                    p,
                    generation,
                    ContainerExit {
                        exit_code: EXIT_LOST,
                        oom_killed: false,
                    },
                ),
                ContainerState::Waiting(WaitingReason::CrashLoopBackOff) => {
                    self.kubelet
                        .restart_without_memory(&mut self.api.pods[p], now);
                    ctx.schedule(now, Event::ContainerRestart { pod: p, generation });
                }
                _ => self.kubelet.on_pod_bound(&mut self.api, ctx, p, behavior),
            }
        }
    }

    /// The kubelet restarts. Running containers survive it; its crash-loop back-off
    /// lives in memory, so a container waiting in CrashLoopBackOff restarts at once.
    pub(crate) fn kubelet_restart(&mut self, ctx: Ctx<'_, '_>, node: NodeId) {
        if !self.api.nodes[node.0 as usize].kubelet_up {
            return;
        }
        for p in self.api.pods_on(node) {
            let pod = &mut self.api.pods[p];
            pod.crash_backoff = None;
            if pod.container == ContainerState::Waiting(WaitingReason::CrashLoopBackOff)
                && !pod.phase.is_terminal()
            {
                // The pending restart timer is replaced by an immediate one.
                pod.kubelet_generation += 1;
                let generation = pod.kubelet_generation;
                self.kubelet.restart_without_memory(pod, ctx.now());
                ctx.schedule(ctx.now(), Event::ContainerRestart { pod: p, generation });
            }
        }
    }

    /// Node-pressure eviction: the kubelet stops every pod on the node at once and
    /// marks it Failed (reason Evicted), with DisruptionTarget TerminationByKubelet.
    pub(crate) fn node_pressure(&mut self, ctx: Ctx<'_, '_>, node: NodeId) {
        if !self.api.nodes[node.0 as usize].kubelet_up {
            return;
        }
        let now = ctx.now();
        let mark = self.disruption_conditions();
        for p in self.api.pods_on(node) {
            if self.api.pods[p].phase.is_terminal() {
                continue;
            }
            self.api.update_pod(p, |pod| {
                if mark {
                    pod.disruption
                        .get_or_insert(DisruptionReason::TerminationByKubelet);
                }
                if matches!(pod.container, ContainerState::Running { .. }) {
                    pod.container = ContainerState::Terminated {
                        exit_code: EXIT_LOST,
                        reason: crate::api::TerminationReason::Error,
                        finished_at: crate::api::api_time(now),
                    };
                }
                pod.kubelet_generation += 1;
                pod.status_reason = Some("Evicted");
                pod.phase = PodPhase::Failed;
                if pod.ready {
                    pod.ready = false;
                    pod.ready_transition = Some(crate::api::api_time(now));
                }
            });
        }
    }

    /// The out-of-service taint (non-graceful node shutdown, KEP-2268): the taint
    /// manager evicts the pods that do not tolerate it, and PodGC, at its next pass,
    /// fails and force-deletes the node's terminating pods if the node is NotReady.
    pub(crate) fn out_of_service(&mut self, ctx: Ctx<'_, '_>, node: NodeId) {
        let now = ctx.now();
        let n = &mut self.api.nodes[node.0 as usize];
        if !n.exists {
            return;
        }
        let taint = Taint {
            key: TAINT_NODE_OUT_OF_SERVICE.into(),
            value: "nodeshutdown".into(),
            effect: TaintEffect::NoExecute,
            time_added: Some(now),
        };
        n.taints.push(taint.clone());
        self.api.node_changed(node);
        for p in self.api.pods_on(node) {
            let pod = &self.api.pods[p];
            if pod.phase.is_terminal() || pod.deletion_timestamp.is_some() {
                continue;
            }
            let tolerations = &self.api.jobs[pod.job.index()].spec.template.tolerations;
            if toleration_time(tolerations, &taint) == Some(SimDuration::ZERO) {
                self.evict(p, DisruptionReason::DeletionByTaintManager);
            }
        }
        ctx.schedule(next_pod_gc_tick(now), Event::PodGcTerminating(node));
    }

    /// PodGC `gcTerminating`: on a NotReady node with the out-of-service taint, the
    /// terminating pods are marked Failed and force-deleted.
    pub(crate) fn pod_gc_terminating(&mut self, ctx: Ctx<'_, '_>, node: NodeId) {
        let now = ctx.now();
        let n = &self.api.nodes[node.0 as usize];
        let tainted = n.taints.iter().any(|t| t.key == TAINT_NODE_OUT_OF_SERVICE);
        if !n.exists || n.ready || !tainted {
            return;
        }
        let mark = self.disruption_conditions();
        for p in self.api.pods_on(node) {
            if self.api.pods[p].deletion_timestamp.is_none() {
                continue;
            }
            let cause = DeletionCause::Disruption(DisruptionReason::DeletionByPodGC);
            self.mark_failed_and_delete(now, p, true, mark, cause);
        }
    }

    /// PodGC `gcUnscheduledTerminating`: a terminating pod that was never bound is
    /// marked Failed (without a condition: `markFailedAndDeletePod`; from
    /// PodDisruptionConditions or JobPodReplacementPolicy on) and force-deleted. Its
    /// Job tracking finalizer keeps it until the Job controller has counted it.
    pub(crate) fn pod_gc_unscheduled(&mut self, now: SimTime, pod: PodId) {
        let Some(p) = self.api.pods.get(pod) else {
            return;
        };
        if p.node.is_some() || p.deletion_timestamp.is_none() || p.force_deleted {
            return;
        }
        let cause = p
            .deletion_cause
            .unwrap_or(DeletionCause::Disruption(DisruptionReason::DeletionByPodGC));
        let fail = self.disruption_conditions()
            || self
                .spec
                .gates
                .enabled(FeatureGate::JobPodReplacementPolicy);
        self.mark_failed_and_delete(now, pod, fail, false, cause);
    }

    /// PodGC `markFailedAndDeletePodWithCondition`: with `fail`, a pod that is not
    /// terminal is marked Failed (with DisruptionTarget DeletionByPodGC when
    /// `condition`; a Ready pod turns not Ready), then it is force-deleted.
    fn mark_failed_and_delete(
        &mut self,
        now: SimTime,
        pod: PodId,
        fail: bool,
        condition: bool,
        cause: DeletionCause,
    ) {
        if fail && !self.api.pods[pod].phase.is_terminal() {
            self.api.update_pod(pod, |p| {
                if condition {
                    p.disruption
                        .get_or_insert(DisruptionReason::DeletionByPodGC);
                }
                p.phase = PodPhase::Failed;
                // Ready keeps its last transition if it was already False.
                if p.ready {
                    p.ready = false;
                    p.ready_transition = Some(crate::api::api_time(now));
                }
            });
        }
        self.api.force_delete_pod(pod, cause);
    }

    /// `kubectl drain`: cordon, then evict every pod through the Eviction API.
    pub(crate) fn drain(&mut self, node: NodeId) {
        let n = &mut self.api.nodes[node.0 as usize];
        if !n.exists {
            return;
        }
        n.unschedulable = true;
        self.api.node_changed(node);
        for p in self.api.pods_on(node) {
            let pod = &self.api.pods[p];
            if pod.phase.is_terminal() || pod.deletion_timestamp.is_some() {
                continue;
            }
            self.evict(p, DisruptionReason::EvictionByEvictionAPI);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TolerationOperator;

    fn unreachable() -> Taint {
        Taint {
            key: TAINT_NODE_UNREACHABLE.into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
            time_added: None,
        }
    }

    fn tol(key: &str, seconds: Option<i64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: seconds,
        }
    }

    #[test]
    fn no_matching_toleration_evicts_at_once() {
        let t = [tol("something-else", Some(60))];
        assert_eq!(toleration_time(&t, &unreachable()), Some(SimDuration::ZERO));
    }

    #[test]
    fn the_shortest_matching_toleration_wins() {
        let t = [
            tol(TAINT_NODE_UNREACHABLE, Some(300)),
            tol(TAINT_NODE_UNREACHABLE, Some(60)),
        ];
        assert_eq!(
            toleration_time(&t, &unreachable()),
            Some(SimDuration::from_secs(60))
        );
    }

    #[test]
    fn a_toleration_without_seconds_tolerates_forever() {
        let t = [tol(TAINT_NODE_UNREACHABLE, None)];
        assert_eq!(toleration_time(&t, &unreachable()), None);
    }
}
