//! The simulated API server: the object store, the indexes kept current on every
//! write, the event recorder, and the watch stream the other components consume.
//!
//! Every write goes through a method here. Writes are instantaneous and never fail;
//! each one appends [`Notice`]s (watch events) to the outbox, which the world hands to
//! the watching components after the handler that wrote has returned. Components
//! therefore react to a write the way informers do: after the fact, never in the
//! middle of another component's work.

use sim_core::{SimDuration, SimTime};

use crate::api::{
    ContainerState, CountedAs, DeletionCause, Job, JobSpec, JobStatus, Node, NodeId, Pod, PodId,
    PodPhase, Resources, WaitingReason, api_time,
};
use crate::controller::job_pods::{FreeRule, JobPods, PodView};
use crate::controller::only_replace_failed_pods;
use crate::events::{EventMessage, EventRecorder, EventType};
use crate::metrics::Ledger;
use crate::node_index::NodeFreeIndex;
use crate::store::{JobId, PodSlab};

/// A watch event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A pod was created.
    PodAdded {
        /// The pod.
        pod: PodId,
        /// Its Job.
        job: JobId,
    },
    /// A pod changed.
    PodUpdated {
        /// The pod.
        pod: PodId,
        /// Its Job.
        job: JobId,
        /// Before the write.
        before: PodView,
        /// After the write.
        after: PodView,
    },
    /// A pod left the store.
    PodRemoved {
        /// Its Job.
        job: JobId,
        /// Its last state.
        last: PodView,
    },
    /// A pod stopped holding node resources.
    NodeResourcesFreed(NodeId),
    /// A Job was created.
    JobAdded(JobId),
    /// A Job changed; `spec` is true when its generation moved (spec change).
    JobUpdated {
        /// The Job.
        job: JobId,
        /// The spec changed.
        spec: bool,
    },
    /// A Job left the store.
    JobRemoved(JobId),
}

/// The store and its watch stream.
#[derive(Debug)]
pub struct ApiServer {
    /// The current instant (set by the world before each handler).
    pub now: SimTime,
    /// Jobs (rows stay after deletion).
    pub jobs: Vec<Job>,
    /// The pod index of each Job, parallel to `jobs`.
    pub job_pods: Vec<JobPods>,
    /// Pods.
    pub pods: PodSlab,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Free resources of every node, for the scheduler's search.
    pub free_index: NodeFreeIndex,
    /// The pods bound to each node and still in the store (unordered; see
    /// [`Self::pods_on`]).
    pub node_pods: Vec<Vec<PodId>>,
    /// CPU requested by the pods bound to nodes, millicores, after each instant it
    /// changed: the cluster's utilisation over time.
    pub cpu_in_use: Vec<(SimTime, u64)>,
    /// Kubernetes events.
    pub recorder: EventRecorder,
    /// Pod-time accounting of pods that left the store.
    pub ledger: Ledger,
    /// Watch events not yet delivered.
    pub outbox: Vec<Notice>,
    /// Pods get the job-tracking finalizer (JobTrackingWithFinalizers).
    pub finalizer_tracking: bool,
    /// Terminating pods hold back their replacement (and index) when the Job only
    /// replaces Failed pods: from 1.28, where `onlyReplaceFailedPods` came with
    /// podReplacementPolicy; before, `manageJob` counted only active pods.
    pub terminating_allowance: bool,
    next_uid: u64,
}

impl ApiServer {
    /// An empty API server over `nodes`.
    pub fn new(nodes: Vec<Node>, finalizer_tracking: bool) -> Self {
        ApiServer {
            free_index: NodeFreeIndex::new(nodes.iter().map(Node::free)),
            node_pods: vec![Vec::new(); nodes.len()],
            cpu_in_use: Vec::new(),
            now: SimTime::ZERO,
            jobs: Vec::new(),
            job_pods: Vec::new(),
            pods: PodSlab::default(),
            nodes,
            recorder: EventRecorder::default(),
            ledger: Ledger::default(),
            outbox: Vec::new(),
            finalizer_tracking,
            terminating_allowance: true,
            next_uid: 1,
        }
    }

    fn cpu_in_use_changed(&mut self, delta: i64) {
        let now = self.now;
        let last = self.cpu_in_use.last().map_or(0, |&(_, v)| v);
        let v = (last as i64 + delta).max(0) as u64;
        match self.cpu_in_use.last_mut() {
            Some((t, x)) if *t == now => *x = v,
            _ => self.cpu_in_use.push((now, v)),
        }
    }

    /// The pods on `node`, in creation order.
    pub fn pods_on(&self, node: NodeId) -> Vec<PodId> {
        let mut pods = self.node_pods[node.0 as usize].clone();
        pods.sort_by_key(|&p| self.pods[p].uid);
        pods
    }

    /// Marks a node changed for the scheduler (taints, readiness, cordon).
    pub fn node_changed(&mut self, node: NodeId) {
        self.outbox.push(Notice::NodeResourcesFreed(node));
    }

    /// Keeps [`Self::free_index`] in step with a node's allocations.
    fn refresh_free(&mut self, node: NodeId) {
        let free = self.nodes[node.0 as usize].free();
        self.free_index.set(node, free);
    }

    fn uid(&mut self) -> u64 {
        let u = self.next_uid;
        self.next_uid += 1;
        u
    }

    /// Creates a Job.
    pub fn create_job(&mut self, name: String, namespace: String, spec: JobSpec) -> JobId {
        let uid = self.uid();
        let indexed = (spec.completion_mode == crate::api::CompletionMode::Indexed)
            .then(|| spec.completions.unwrap_or(0).max(0) as u32);
        let id = JobId(self.jobs.len() as u32);
        self.jobs
            .push(Job::new(name, namespace, uid, spec, self.now));
        self.job_pods.push(JobPods::new(indexed));
        self.ledger.add_job();
        self.outbox.push(Notice::JobAdded(id));
        id
    }

    /// The Job, if it is still in the store.
    pub fn live_job(&self, job: JobId) -> Option<&Job> {
        let j = &self.jobs[job.index()];
        j.removed_at.is_none().then_some(j)
    }

    /// Replaces a Job's status (a status write).
    pub fn update_job_status(&mut self, job: JobId, status: JobStatus) {
        self.jobs[job.index()].status = status;
        self.outbox.push(Notice::JobUpdated { job, spec: false });
    }

    /// Changes a Job's spec (bumps the generation) and re-judges its free indexes.
    pub fn update_job_spec(&mut self, job: JobId, f: impl FnOnce(&mut JobSpec)) {
        let j = &mut self.jobs[job.index()];
        f(std::sync::Arc::make_mut(&mut j.spec));
        j.generation += 1;
        self.rebuild_free_indexes(job);
        self.outbox.push(Notice::JobUpdated { job, spec: true });
    }

    /// Re-judges whether index `i` of `job` is free (after a status change).
    pub fn refresh_index(&mut self, job: JobId, i: u32) {
        let rule = free_rule(
            &self.jobs[job.index()],
            self.finalizer_tracking,
            self.terminating_allowance,
        );
        if let Some(t) = &mut self.job_pods[job.index()].indexed {
            t.refresh(i, &rule);
        }
    }

    /// Re-judges every index of `job`.
    pub fn rebuild_free_indexes(&mut self, job: JobId) {
        let j = &self.jobs[job.index()];
        let rule = free_rule(j, self.finalizer_tracking, self.terminating_allowance);
        let completions = j.spec.completions.unwrap_or(0).max(0) as u32;
        if let Some(t) = &mut self.job_pods[job.index()].indexed {
            t.rebuild(completions, &rule);
        }
    }

    /// Sets the Job's deletionTimestamp (foreground deletion in progress).
    pub fn mark_job_deleting(&mut self, job: JobId) {
        let j = &mut self.jobs[job.index()];
        if j.deletion_timestamp.is_none() {
            j.deletion_timestamp = Some(self.now);
            self.outbox.push(Notice::JobUpdated { job, spec: false });
        }
    }

    /// Removes a Job from the store.
    pub fn remove_job(&mut self, job: JobId) {
        let j = &mut self.jobs[job.index()];
        if j.removed_at.is_none() {
            j.removed_at = Some(self.now);
            j.deletion_timestamp.get_or_insert(self.now);
            self.outbox.push(Notice::JobRemoved(job));
        }
    }

    /// Records a Kubernetes event involving `job`.
    pub fn record_event(
        &mut self,
        job: JobId,
        event_type: EventType,
        reason: &'static str,
        message: EventMessage,
    ) {
        self.recorder
            .record(self.now, job, event_type, reason, message);
    }

    /// Creates a pod of `job` from its template.
    pub fn create_pod(
        &mut self,
        job: JobId,
        completion_index: Option<u32>,
        failure_counts: Option<(i32, i32)>,
    ) -> PodId {
        let uid = self.uid();
        let j = &self.jobs[job.index()];
        let t = &j.spec.template;
        let ordinal = self.job_pods[job.index()].created;
        self.job_pods[job.index()].created += 1;
        let pod = Pod {
            uid,
            job,
            ordinal,
            completion_index,
            index_failure_count: failure_counts.map(|c| c.0),
            index_ignored_failure_count: failure_counts.map(|c| c.1).filter(|&c| c > 0),
            creation_timestamp: self.now,
            deletion_timestamp: None,
            deletion_grace_period: None,
            has_tracking_finalizer: self.finalizer_tracking,
            node: None,
            phase: PodPhase::Pending,
            ready: false,
            ready_transition: None,
            disruption: None,
            status_reason: None,
            container: ContainerState::Waiting(WaitingReason::ContainerCreating),
            restart_count: 0,
            // Every pod takes one of the node's `pods` slots.
            requests: Resources {
                pods: 1,
                ..t.requests
            },
            priority: t.priority,
            termination_grace_period: t.termination_grace_period,
            runs_started: 0,
            bound_at: None,
            released_at: None,
            deletion_cause: None,
            deletion_requested_at: None,
            force_deleted: false,
            kubelet_generation: 0,
            node_pos: 0,
            counted: CountedAs::Nothing,
            crash_backoff: None,
            sched_queue: u32::MAX,
            all_pos: u32::MAX,
            active_pos: u32::MAX,
            in_finished_list: false,
        };
        let view = PodView::of(&pod);
        let id = self.pods.insert(pod);
        let rule = free_rule(
            &self.jobs[job.index()],
            self.finalizer_tracking,
            self.terminating_allowance,
        );
        self.job_pods[job.index()].update(&mut self.pods, id, None, Some(view), &rule);
        let active = self.job_pods[job.index()].active.len();
        self.ledger.pod_created(job, self.now, active);
        self.outbox.push(Notice::PodAdded { pod: id, job });
        id
    }

    /// Applies `f` to a pod, keeping indexes, node resources and the store in step.
    /// Returns false if the pod no longer exists.
    pub fn update_pod(&mut self, id: PodId, f: impl FnOnce(&mut Pod)) -> bool {
        let Some(pod) = self.pods.get_mut(id) else {
            return false;
        };
        let before = PodView::of(pod);
        f(pod);
        let after = PodView::of(pod);
        let job = pod.job;
        if !self.finalizer_tracking && !before.phase.is_terminal() && after.phase.is_terminal() {
            // Without tracking finalizers (v1.21) status counts the finished pods that
            // exist, so a pod counts from the moment it finishes (for the metrics).
            pod.counted = if after.phase == PodPhase::Succeeded {
                CountedAs::Success
            } else {
                CountedAs::Failure
            };
        }
        if after.phase.is_terminal()
            && pod.released_at.is_none()
            && let Some(node) = pod.node
        {
            pod.released_at = Some(self.now);
            let requests = pod.requests;
            self.nodes[node.0 as usize].allocated -= requests;
            self.cpu_in_use_changed(-(requests.cpu_milli as i64));
            self.refresh_free(node);
            self.outbox.push(Notice::NodeResourcesFreed(node));
        }
        if before != after {
            let rule = free_rule(
                &self.jobs[job.index()],
                self.finalizer_tracking,
                self.terminating_allowance,
            );
            self.job_pods[job.index()].update(&mut self.pods, id, Some(before), Some(after), &rule);
            self.outbox.push(Notice::PodUpdated {
                pod: id,
                job,
                before,
                after,
            });
        }
        self.remove_pod_if_gone(id);
        true
    }

    /// Binds a pending pod to `node`.
    pub fn bind_pod(&mut self, id: PodId, node: NodeId) {
        let now = self.now;
        let requests = self.pods[id].requests;
        let list = &mut self.node_pods[node.0 as usize];
        self.pods[id].node_pos = list.len() as u32;
        list.push(id);
        self.nodes[node.0 as usize].allocated += requests;
        self.cpu_in_use_changed(requests.cpu_milli as i64);
        self.refresh_free(node);
        self.update_pod(id, |p| {
            p.node = Some(node);
            p.bound_at = Some(now);
        });
    }

    /// A DELETE of the pod with the given grace period (the pod's own when `None`).
    /// Unscheduled pods are deleted with grace 0, as the API server does. The object
    /// stays until the kubelet has stopped it and no finalizer is left.
    pub fn delete_pod(
        &mut self,
        id: PodId,
        grace: Option<SimDuration>,
        cause: DeletionCause,
    ) -> bool {
        let now = self.now;
        self.update_pod(id, |p| {
            if p.deletion_timestamp.is_some() {
                return;
            }
            let grace = if p.node.is_none() || p.phase.is_terminal() {
                SimDuration::ZERO
            } else {
                grace.unwrap_or(p.termination_grace_period)
            };
            p.deletion_timestamp = Some(now + grace);
            p.deletion_grace_period = Some(grace);
            p.deletion_requested_at = Some(now);
            p.deletion_cause = Some(cause);
        })
    }

    /// Removes the `batch.kubernetes.io/job-tracking` finalizer.
    pub fn remove_tracking_finalizer(&mut self, id: PodId) -> bool {
        self.update_pod(id, |p| p.has_tracking_finalizer = false)
    }

    /// Removes the finalizer of a pod the controller has just accounted for.
    pub fn remove_tracking_finalizer_counted(&mut self, id: PodId, counted: CountedAs) -> bool {
        self.update_pod(id, |p| {
            p.has_tracking_finalizer = false;
            if counted != CountedAs::Nothing {
                p.counted = counted;
            }
        })
    }

    /// Removes the pod regardless of the kubelet (force delete, grace 0), once its
    /// finalizer is gone.
    pub fn force_delete_pod(&mut self, id: PodId, cause: DeletionCause) {
        let now = self.now;
        self.update_pod(id, |p| {
            p.deletion_timestamp.get_or_insert(now);
            p.deletion_requested_at.get_or_insert(now);
            p.deletion_grace_period = Some(SimDuration::ZERO);
            p.deletion_cause.get_or_insert(cause);
            p.force_deleted = true;
        });
    }

    /// The object leaves the store when deletion was requested, no finalizer is left,
    /// and no kubelet still runs it.
    fn remove_pod_if_gone(&mut self, id: PodId) {
        let Some(pod) = self.pods.get(id) else { return };
        let kubelet_done = pod.node.is_none() || pod.phase.is_terminal() || pod.force_deleted;
        if pod.deletion_timestamp.is_none() || pod.has_tracking_finalizer || !kubelet_done {
            return;
        }
        let job = pod.job;
        let last = PodView::of(pod);
        let rule = free_rule(
            &self.jobs[job.index()],
            self.finalizer_tracking,
            self.terminating_allowance,
        );
        self.job_pods[job.index()].update(&mut self.pods, id, Some(last), None, &rule);
        let mut pod = self.pods.remove(id).expect("present");
        if let Some(node) = pod.node {
            let list = &mut self.node_pods[node.0 as usize];
            let pos = pod.node_pos as usize;
            list.swap_remove(pos);
            if let Some(&moved) = list.get(pos) {
                self.pods[moved].node_pos = pos as u32;
            }
        }
        if pod.released_at.is_none()
            && let Some(node) = pod.node
        {
            pod.released_at = Some(self.now);
            self.nodes[node.0 as usize].allocated -= pod.requests;
            self.cpu_in_use_changed(-(pod.requests.cpu_milli as i64));
            self.refresh_free(node);
            self.outbox.push(Notice::NodeResourcesFreed(node));
        }
        self.ledger.pod_gone(&pod, self.now);
        self.outbox.push(Notice::PodRemoved { job, last });
    }

    /// Takes the undelivered watch events.
    pub fn take_outbox(&mut self, into: &mut Vec<Notice>) {
        into.clear();
        std::mem::swap(&mut self.outbox, into);
    }

    /// `now` as the API stores timestamps.
    pub fn api_now(&self) -> SimTime {
        api_time(self.now)
    }
}

/// How the index judges free indexes for `job`.
pub(crate) fn free_rule(
    job: &Job,
    finalizer_tracking: bool,
    terminating_allowance: bool,
) -> FreeRule<'_> {
    FreeRule {
        completed: finalizer_tracking.then_some(&job.status.completed_indexes),
        failed: job.status.failed_indexes.as_ref(),
        terminating_blocks: terminating_allowance && only_replace_failed_pods(&job.spec),
    }
}
