//! Pods as the simulated API server stores them, and the scheduling vocabulary
//! (taints, tolerations, node selector requirements).

use sim_core::{SimDuration, SimTime};

use super::node::{NodeId, Resources};
use crate::store::JobId;

/// `status.phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PodPhase {
    /// Accepted, not all containers started.
    Pending,
    /// Bound and at least one container started.
    Running,
    /// All containers exited 0 and will not restart.
    Succeeded,
    /// All containers terminated, at least one in failure.
    Failed,
}

impl PodPhase {
    /// Succeeded or Failed.
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
        }
    }
}

/// Why a container is waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitingReason {
    /// Image pull, volume set-up.
    ContainerCreating,
    /// Between restarts under restartPolicy OnFailure.
    CrashLoopBackOff,
}

/// Why a container terminated (`state.terminated.reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerminationReason {
    /// Exit code 0.
    Completed,
    /// Non-zero exit.
    Error,
    /// Killed by the OOM killer (exit 137).
    OOMKilled,
}

impl TerminationReason {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationReason::Completed => "Completed",
            TerminationReason::Error => "Error",
            TerminationReason::OOMKilled => "OOMKilled",
        }
    }
}

/// `state` of the pod's main container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Not running yet, or between restarts.
    Waiting(WaitingReason),
    /// Running since `started_at`.
    Running {
        /// Start of this run.
        started_at: SimTime,
    },
    /// Exited.
    Terminated {
        /// Exit code.
        exit_code: i32,
        /// Reason.
        reason: TerminationReason,
        /// finishedAt (second precision, as the API stores it).
        finished_at: SimTime,
    },
}

/// Reasons of the `DisruptionTarget` pod condition (core/v1 constants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DisruptionReason {
    /// Scheduler preemption.
    PreemptionByScheduler,
    /// NoExecute taint eviction.
    DeletionByTaintManager,
    /// API-initiated eviction (drain).
    EvictionByEvictionAPI,
    /// PodGC of a pod on a vanished node.
    DeletionByPodGC,
    /// Kubelet node-pressure eviction or graceful node shutdown.
    TerminationByKubelet,
}

impl DisruptionReason {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DisruptionReason::PreemptionByScheduler => "PreemptionByScheduler",
            DisruptionReason::DeletionByTaintManager => "DeletionByTaintManager",
            DisruptionReason::EvictionByEvictionAPI => "EvictionByEvictionAPI",
            DisruptionReason::DeletionByPodGC => "DeletionByPodGC",
            DisruptionReason::TerminationByKubelet => "TerminationByKubelet",
        }
    }
}

/// Taint effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaintEffect {
    /// New pods are not scheduled.
    NoSchedule,
    /// New pods avoid the node if they can.
    PreferNoSchedule,
    /// Running pods are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A node taint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Taint {
    /// Key.
    pub key: String,
    /// Value (may be empty).
    pub value: String,
    /// Effect.
    pub effect: TaintEffect,
    /// When a NoExecute taint was added.
    pub time_added: Option<SimTime>,
}

/// Toleration operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TolerationOperator {
    /// Key (and value) must match.
    Equal,
    /// Any value of the key matches (or any key, with an empty key).
    Exists,
}

/// A pod toleration.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Toleration {
    /// Key; empty with Exists tolerates everything.
    pub key: String,
    /// Equal or Exists.
    pub operator: TolerationOperator,
    /// Value for Equal.
    pub value: String,
    /// Effect; `None` matches every effect.
    pub effect: Option<TaintEffect>,
    /// For NoExecute: how long the pod stays after the taint appears.
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// Upstream `Toleration.ToleratesTaint`.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if self.effect.is_some_and(|e| e != taint.effect) {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => self.value == taint.value,
        }
    }
}

/// Operators of node selector requirements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeSelectorOperator {
    /// Label value in the list.
    In,
    /// Label value not in the list (or label absent).
    NotIn,
    /// Label present.
    Exists,
    /// Label absent.
    DoesNotExist,
    /// Label value, as an integer, greater than the single value.
    Gt,
    /// Label value, as an integer, less than the single value.
    Lt,
}

/// One `matchExpressions` entry of a node selector term.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeSelectorRequirement {
    /// Label key.
    pub key: String,
    /// Operator.
    pub operator: NodeSelectorOperator,
    /// Values.
    pub values: Vec<String>,
}

/// A generational handle to a pod in the store; stale after the pod is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodId {
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

/// Who asked for a pod's deletion, for the wasted-time accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeletionCause {
    /// The Job controller: excess pods, suspension, a finishing Job.
    JobController,
    /// The Job was deleted (garbage collection of its pods).
    JobDeleted,
    /// A disruption (eviction, preemption, taint manager, PodGC).
    Disruption(DisruptionReason),
    /// A plain `kubectl delete pod`.
    User,
}

/// A pod. API fields first, then the simulator's own bookkeeping.
#[derive(Clone, Debug)]
pub struct Pod {
    /// metadata.uid; also the creation order across the run.
    pub uid: u64,
    /// Owning Job.
    pub job: JobId,
    /// Creation ordinal within the Job (0-based).
    pub ordinal: u32,
    /// Completion index annotation (Indexed Jobs).
    pub completion_index: Option<u32>,
    /// `batch.kubernetes.io/job-index-failure-count` annotation.
    pub index_failure_count: Option<i32>,
    /// `batch.kubernetes.io/job-index-ignored-failure-count` annotation.
    pub index_ignored_failure_count: Option<i32>,
    /// metadata.creationTimestamp (exact; truncate with [`api_time`](crate::api::api_time) where upstream reads it).
    pub creation_timestamp: SimTime,
    /// metadata.deletionTimestamp.
    pub deletion_timestamp: Option<SimTime>,
    /// metadata.deletionGracePeriodSeconds.
    pub deletion_grace_period: Option<SimDuration>,
    /// Carries the `batch.kubernetes.io/job-tracking` finalizer.
    pub has_tracking_finalizer: bool,
    /// spec.nodeName.
    pub node: Option<NodeId>,
    /// status.phase.
    pub phase: PodPhase,
    /// Ready condition status.
    pub ready: bool,
    /// lastTransitionTime of the Ready condition (second precision).
    pub ready_transition: Option<SimTime>,
    /// DisruptionTarget=True condition, if any.
    pub disruption: Option<DisruptionReason>,
    /// status.reason, e.g. "Evicted".
    pub status_reason: Option<&'static str>,
    /// State of the main container.
    pub container: ContainerState,
    /// restartCount of the main container.
    pub restart_count: i32,
    /// Requests (fixed at creation).
    pub requests: Resources,
    /// spec.priority.
    pub priority: i32,
    /// terminationGracePeriodSeconds.
    pub termination_grace_period: SimDuration,

    // --- simulator bookkeeping ---
    /// Container runs started so far (for the workload's keyed draws).
    pub runs_started: u32,
    /// When the pod was bound to its node.
    pub bound_at: Option<SimTime>,
    /// When it stopped occupying the node.
    pub released_at: Option<SimTime>,
    /// Who requested deletion.
    pub deletion_cause: Option<DeletionCause>,
    /// When deletion was requested (deletionTimestamp minus the grace period, exact).
    pub deletion_requested_at: Option<SimTime>,
    /// Force-deleted: removed without waiting for a kubelet (PodGC, lost node).
    pub force_deleted: bool,
    /// Invalidates the kubelet's pending timers for this pod.
    pub kubelet_generation: u32,
    /// Position in its node's pod list (for O(1) removal).
    pub node_pos: u32,
    /// Outcome as counted by the Job controller.
    pub counted: CountedAs,
    /// Kubelet crash-loop back-off of the main container: (current back-off, last update).
    pub crash_backoff: Option<(SimDuration, SimTime)>,
    /// The scheduler queue the pod waits in (`u32::MAX`: none).
    pub(crate) sched_queue: u32,
    /// Position in the Job's list of pods (index bookkeeping).
    pub(crate) all_pos: u32,
    /// Position in the Job's list of active pods, or `u32::MAX`.
    pub(crate) active_pos: u32,
    /// Listed among the Job's finished pods that still carry the finalizer.
    pub(crate) in_finished_list: bool,
}

/// How the Job controller accounted for a finished pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CountedAs {
    /// Not (yet) counted.
    #[default]
    Nothing,
    /// Its success was counted (useful work).
    Success,
    /// Counted toward status.failed.
    Failure,
    /// Failure ignored by the pod failure policy.
    IgnoredFailure,
    /// Its success did not count (the index was already complete, or the Job was done).
    UncountedSuccess,
}

impl Pod {
    /// Neither terminal nor being deleted (`controller.IsPodActive`).
    pub fn is_active(&self) -> bool {
        !self.phase.is_terminal() && self.deletion_timestamp.is_none()
    }

    /// Being deleted and not yet terminal (`controller.IsPodTerminating`).
    pub fn is_terminating(&self) -> bool {
        !self.phase.is_terminal() && self.deletion_timestamp.is_some()
    }

    /// Exit code of the main container, when terminated.
    pub fn exit_code(&self) -> Option<i32> {
        match self.container {
            ContainerState::Terminated { exit_code, .. } => Some(exit_code),
            _ => None,
        }
    }
}
