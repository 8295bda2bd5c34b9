//! Pod-time accounting: where the capacity went.
//!
//! A pod occupies capacity from its binding to a node until it has fully terminated.
//! That time is *useful* if the pod's success was counted by the Job controller and
//! *wasted* otherwise, with the cause recorded. When deletion was requested before
//! the pod stopped, the time after the request is the graceful-termination tail.
//! `useful + wasted = total` holds by construction and is checked at the end of every
//! run.

use sim_core::SimTime;

use crate::api::{CountedAs, DeletionCause, DisruptionReason, Pod, PodPhase};
use crate::store::JobId;

/// Why pod time was wasted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WasteCause {
    /// The pod failed (non-zero exit, OOM kill).
    Failed,
    /// Evicted through the Eviction API (drain).
    Evicted,
    /// Preempted by the scheduler.
    Preempted,
    /// Lost with its node (taint eviction, PodGC).
    NodeLost,
    /// Evicted by the kubelet under node pressure.
    NodePressure,
    /// Deleted by the Job controller (job failed or succeeded early, deadline,
    /// suspension, excess or duplicate pods).
    TerminatedByController,
    /// Deleted with its Job.
    JobDeleted,
    /// Deleted by a user (`kubectl delete pod`).
    DeletedByUser,
    /// From the deletion request until the pod stopped.
    GracefulTermination,
    /// Succeeded, but its success was not counted (index already complete, Job done).
    UncountedSuccess,
    /// Still running when the horizon was reached.
    Unfinished,
}

impl WasteCause {
    /// Every cause, in report order.
    pub const ALL: [WasteCause; 11] = [
        WasteCause::Failed,
        WasteCause::Evicted,
        WasteCause::Preempted,
        WasteCause::NodeLost,
        WasteCause::NodePressure,
        WasteCause::TerminatedByController,
        WasteCause::JobDeleted,
        WasteCause::DeletedByUser,
        WasteCause::GracefulTermination,
        WasteCause::UncountedSuccess,
        WasteCause::Unfinished,
    ];

    /// The key used in JSON and tables.
    pub fn key(self) -> &'static str {
        match self {
            WasteCause::Failed => "failed",
            WasteCause::Evicted => "evicted",
            WasteCause::Preempted => "preempted",
            WasteCause::NodeLost => "nodeLost",
            WasteCause::NodePressure => "nodePressure",
            WasteCause::TerminatedByController => "terminatedByController",
            WasteCause::JobDeleted => "jobDeleted",
            WasteCause::DeletedByUser => "deletedByUser",
            WasteCause::GracefulTermination => "gracefulTermination",
            WasteCause::UncountedSuccess => "uncountedSuccess",
            WasteCause::Unfinished => "unfinished",
        }
    }

    fn of_disruption(r: DisruptionReason) -> WasteCause {
        match r {
            DisruptionReason::PreemptionByScheduler => WasteCause::Preempted,
            DisruptionReason::EvictionByEvictionAPI => WasteCause::Evicted,
            DisruptionReason::DeletionByTaintManager | DisruptionReason::DeletionByPodGC => {
                WasteCause::NodeLost
            }
            DisruptionReason::TerminationByKubelet => WasteCause::NodePressure,
        }
    }
}

/// Pod time of one Job, in milliseconds (and millicore-milliseconds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodTime {
    /// Useful pod-milliseconds.
    pub useful_ms: u64,
    /// Wasted pod-milliseconds by cause, indexed like [`WasteCause::ALL`].
    pub wasted_ms: [u64; 11],
    /// Useful millicore-milliseconds.
    pub useful_core: u128,
    /// Wasted millicore-milliseconds.
    pub wasted_core: u128,
}

impl PodTime {
    /// All wasted pod-milliseconds.
    pub fn wasted_total_ms(&self) -> u64 {
        self.wasted_ms.iter().sum()
    }

    /// Wasted pod-milliseconds of one cause.
    pub fn wasted(&self, cause: WasteCause) -> u64 {
        self.wasted_ms[cause as usize]
    }

    fn add(&mut self, cause: Option<WasteCause>, ms: u64, cpu_milli: u64) {
        let core = u128::from(ms) * u128::from(cpu_milli);
        match cause {
            None => {
                self.useful_ms += ms;
                self.useful_core += core;
            }
            Some(c) => {
                self.wasted_ms[c as usize] += ms;
                self.wasted_core += core;
            }
        }
    }
}

/// What the ledger knows of one Job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobLedger {
    /// Creation time of each of its pods, in order.
    pub pod_creations: Vec<SimTime>,
    /// Pod time.
    pub time: PodTime,
    /// Total pod-milliseconds, summed independently of the split (for the invariant).
    pub total_ms: u64,
    /// Container restarts (restartPolicy OnFailure) of its pods.
    pub container_restarts: u64,
    /// Failures ignored by the pod failure policy.
    pub ignored_failures: u64,
    /// The most pods of the Job active (not terminating, not finished) at once.
    pub max_active_pods: u32,
}

/// Pod-time accounting of a run.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    jobs: Vec<JobLedger>,
}

impl Ledger {
    /// Opens the account of a new Job.
    pub fn add_job(&mut self) {
        self.jobs.push(JobLedger::default());
    }

    /// A pod of `job` was created; `active` pods of the Job are now active.
    pub fn pod_created(&mut self, job: JobId, now: SimTime, active: usize) {
        let j = &mut self.jobs[job.index()];
        j.pod_creations.push(now);
        j.max_active_pods = j.max_active_pods.max(active as u32);
    }

    /// Pod failures ignored by policy.
    pub fn ignored_failures(&mut self, job: JobId, n: u64) {
        self.jobs[job.index()].ignored_failures += n;
    }

    /// Books the pod's time; called when it leaves the store, or at the end of the
    /// run with `now` = the horizon for pods still present.
    pub fn pod_gone(&mut self, pod: &Pod, now: SimTime) {
        let j = &mut self.jobs[pod.job.index()];
        j.container_restarts += pod.restart_count.max(0) as u64;
        let Some(bound) = pod.bound_at else { return };
        let end = pod.released_at.unwrap_or(now).min(now).max(bound);
        let total = end - bound;
        j.total_ms += total.as_millis();
        let cpu = pod.requests.cpu_milli;
        if pod.counted == CountedAs::Success {
            j.time.add(None, total.as_millis(), cpu);
            return;
        }
        // A deletion requested after the pod had stopped did not cost anything.
        let deleted_while_running = pod.deletion_requested_at.is_some_and(|d| d < end);
        let split = pod.deletion_requested_at.filter(|&d| d > bound && d < end);
        let main_end = split.unwrap_or(end);
        j.time.add(
            Some(main_cause(pod, deleted_while_running)),
            (main_end - bound).as_millis(),
            cpu,
        );
        if split.is_some() {
            j.time.add(
                Some(WasteCause::GracefulTermination),
                (end - main_end).as_millis(),
                cpu,
            );
        }
    }

    /// The accounts, by Job row.
    pub fn jobs(&self) -> &[JobLedger] {
        &self.jobs
    }

    /// Checks `useful + wasted = total` for every Job.
    pub fn check_invariant(&self) -> Result<(), String> {
        for (i, j) in self.jobs.iter().enumerate() {
            let sum = j.time.useful_ms + j.time.wasted_total_ms();
            if sum != j.total_ms {
                return Err(format!(
                    "job row {i}: useful + wasted = {sum} ms but total = {} ms",
                    j.total_ms
                ));
            }
        }
        Ok(())
    }
}

fn main_cause(pod: &Pod, deleted_while_running: bool) -> WasteCause {
    if let Some(r) = pod.disruption {
        return WasteCause::of_disruption(r);
    }
    match pod.deletion_cause.filter(|_| deleted_while_running) {
        Some(DeletionCause::JobController) => return WasteCause::TerminatedByController,
        Some(DeletionCause::JobDeleted) => return WasteCause::JobDeleted,
        Some(DeletionCause::User) => return WasteCause::DeletedByUser,
        Some(DeletionCause::Disruption(r)) => return WasteCause::of_disruption(r),
        None => {}
    }
    match pod.phase {
        PodPhase::Failed => WasteCause::Failed,
        PodPhase::Succeeded => WasteCause::UncountedSuccess,
        PodPhase::Pending | PodPhase::Running => WasteCause::Unfinished,
    }
}
