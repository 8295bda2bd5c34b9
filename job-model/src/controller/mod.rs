//! The Job controller (upstream `pkg/controller/job`).
//!
//! The files mirror upstream's split so the two can be read side by side:
//! [`job_controller`] (`syncJob`, `manageJob`, `trackJobStatusAndRemoveFinalizers`,
//! ...), [`backoff`] (`backoff_utils.go`), [`pod_failure_policy`],
//! [`success_policy`], [`indexed_job_utils`]. [`job_pods`] replaces the pod lister: an
//! index kept current on every pod write, so a sync never rescans a Job's pods.
//!
//! This module holds the controller's state outside the API objects (the work queue
//! and the back-off records) and the informer event handlers that feed the queue.

pub mod backoff;
pub mod indexed_job_utils;
pub mod job_controller;
pub mod job_pods;
pub mod legacy;
pub mod pod_failure_policy;
pub mod success_policy;

use sim_core::{Context, SimDuration, SimTime, TimerSlot, TimerToken};

use crate::api::{JobSpec, PodReplacementPolicy, secs};
use crate::api_server::ApiServer;
use crate::store::JobId;
use crate::version::{FeatureGate, FeatureGates, KubeVersion};
use crate::world::Event;

use backoff::BackoffRecord;

/// `MaxPodCreateDeletePerSync`.
pub const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;
/// `MaxUncountedPods`.
pub const MAX_UNCOUNTED_PODS: usize = 500;
/// `controller.SlowStartInitialBatchSize`.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;
/// The finalizer the controller puts on its pods.
pub const JOB_TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";

/// How the controller is configured for a run.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// Simulated release.
    pub version: KubeVersion,
    /// Gates in force.
    pub gates: FeatureGates,
    /// `syncJobBatchPeriod` (scenario `controlPlane.jobSyncDelay`).
    pub sync_batch_period: SimDuration,
}

impl ControllerConfig {
    /// `delayTerminalCondition()`: interim FailureTarget / SuccessCriteriaMet first, the
    /// terminal condition once no pod is terminating. New in 1.31 (PR #125510); 1.28 ..
    /// 1.30 write Failed / Complete in the sync that decides them.
    pub fn delay_terminal_condition(&self) -> bool {
        self.version.at_least(31)
            && (self.gates.enabled(FeatureGate::JobManagedBy)
                || self.gates.enabled(FeatureGate::JobPodReplacementPolicy))
    }

    /// `trackTerminatingPods(job)`.
    pub fn track_terminating_pods(&self, spec: &JobSpec) -> bool {
        self.gates.enabled(FeatureGate::JobPodReplacementPolicy)
            || self.gates.enabled(FeatureGate::JobManagedBy)
            || spec.pod_failure_policy.is_some()
    }

    /// The cap of the pod-failure back-off: 360 s up to v1.27, 600 s from v1.28.
    pub fn max_pod_failure_backoff(&self) -> SimDuration {
        if self.version.at_least(28) {
            backoff::MAX_JOB_POD_FAILURE_BACKOFF
        } else {
            backoff::MAX_JOB_BACKOFF_LEGACY
        }
    }

    /// The legacy controller (1.21 .. 1.24, where JobTrackingWithFinalizers is off):
    /// counts from existing pods, queue-based back-off, terminal conditions at once
    /// (k8s-job-semantics.md §4.8).
    pub fn legacy(&self) -> bool {
        !self.gates.enabled(FeatureGate::JobTrackingWithFinalizers)
    }

    /// Whether a status write without a new failure forgets the work queue's back-off
    /// count: in 1.21 and 1.22; the fix of PR #114516 (1.23.16, 1.24.10, 1.25.6, 1.26.1)
    /// keeps it until a new success or a suspend change.
    pub fn forget_on_every_status_write(&self) -> bool {
        !self.version.at_least(23)
    }

    /// 1.25 and 1.26: finalizer tracking, but the pod-failure back-off is still only the
    /// work queue's rate limiter (the back-off record came in 1.27).
    pub fn queue_backoff_only(&self) -> bool {
        !self.legacy() && !self.version.at_least(27)
    }

    /// 1.24 batches pod events by 1 s (podUpdateBatchPeriod, with JobReadyPods on);
    /// 1.21 .. 1.23 enqueue them at once.
    fn legacy_pod_event_delay(&self) -> SimDuration {
        if self.gates.enabled(FeatureGate::JobReadyPods) {
            self.sync_batch_period
        } else {
            SimDuration::ZERO
        }
    }

    /// Whether `manageJob` reports `active = 0` while the back-off holds creations
    /// back: fixed by PR #139457 in v1.37 and backported to the latest 1.34 .. 1.36
    /// patches (the 1.33 backport was not merged).
    pub fn reports_zero_active_during_backoff(&self) -> bool {
        !self.version.at_least(34)
    }

    /// The API server's Job status validation with JobManagedBy on
    /// (`RejectMoreReadyThanActivePods`): a write that changes `ready` or `active` may
    /// not set `ready > active` (HTTP 422).
    pub fn rejects_more_ready_than_active(&self) -> bool {
        self.gates.enabled(FeatureGate::JobManagedBy)
    }
}

/// `onlyReplaceFailedPods(job)`. The spec's `pod_replacement_policy` is only set when
/// the JobPodReplacementPolicy gate is on.
pub fn only_replace_failed_pods(spec: &JobSpec) -> bool {
    spec.pod_replacement_policy == Some(PodReplacementPolicy::Failed)
        || spec.pod_failure_policy.is_some()
}

/// Controller memory about one Job: its place in the work queue and its back-off.
#[derive(Clone, Debug, Default)]
pub(crate) struct JobControllerState {
    /// In the ready queue (a sync event at "now" is pending).
    queued: bool,
    /// The delaying queue's single waiting entry for this key.
    waiting: TimerSlot,
    /// The pod-failure back-off record.
    pub(crate) backoff: BackoffRecord,
    /// The work queue's rate-limiter failure count for this key (`NumRequeues`).
    pub(crate) requeues: u32,
}

/// The Job controller.
#[derive(Debug)]
pub struct JobController {
    pub(crate) cfg: ControllerConfig,
    state: Vec<JobControllerState>,
    /// Reused buffers, so a sync does not allocate.
    pub(crate) scratch: job_controller::Scratch,
}

type Ctx<'a, 'b> = &'a mut Context<'b, Event>;

impl JobController {
    /// A controller with no Jobs yet.
    pub fn new(cfg: ControllerConfig) -> Self {
        JobController {
            cfg,
            state: Vec::new(),
            scratch: Default::default(),
        }
    }

    pub(crate) fn state(&mut self, job: JobId) -> &mut JobControllerState {
        if self.state.len() <= job.index() {
            self.state.resize_with(job.index() + 1, Default::default);
        }
        &mut self.state[job.index()]
    }

    /// `queue.Add`: sync as soon as possible (now).
    pub(crate) fn enqueue_now(&mut self, ctx: Ctx<'_, '_>, job: JobId) {
        let st = self.state(job);
        if !st.queued {
            st.queued = true;
            ctx.schedule(ctx.now(), Event::JobSync(job));
        }
    }

    /// `queue.AddAfter`: the delaying queue keeps one waiting entry per key, the
    /// earliest requested; a non-positive delay adds at once.
    pub(crate) fn enqueue_after(&mut self, ctx: Ctx<'_, '_>, job: JobId, delay: SimDuration) {
        if delay.is_zero() {
            return self.enqueue_now(ctx, job);
        }
        let at = ctx.now() + delay;
        if let Some(token) = self.state(job).waiting.arm_earliest(at) {
            ctx.schedule_early(at, Event::JobSyncAfter(job, token));
        }
    }

    /// `enqueueSyncJobBatched`.
    pub(crate) fn enqueue_batched(&mut self, ctx: Ctx<'_, '_>, job: JobId) {
        let d = self.cfg.sync_batch_period;
        self.enqueue_after(ctx, job, d);
    }

    /// `enqueueSyncJobWithDelay`: never sooner than the batch period.
    pub(crate) fn enqueue_with_delay(&mut self, ctx: Ctx<'_, '_>, job: JobId, delay: SimDuration) {
        let d = delay.max(self.cfg.sync_batch_period);
        self.enqueue_after(ctx, job, d);
    }

    /// The waiting entry became ready: true if a worker should sync the Job now (it
    /// is not already in the ready queue). The idle worker takes it at once, so the
    /// ready-queue hop costs no event of its own.
    pub(crate) fn waiting_fired(&mut self, job: JobId, token: TimerToken) -> bool {
        let st = self.state(job);
        st.waiting.fire(token) && !st.queued
    }

    /// A worker takes the key off the ready queue.
    pub(crate) fn dequeue(&mut self, job: JobId) {
        self.state(job).queued = false;
    }

    // --- informer event handlers (upstream addJob / updateJob / addPod / updatePod / deletePod) ---

    /// `addJob`: sync immediately.
    pub(crate) fn on_job_added(&mut self, ctx: Ctx<'_, '_>, job: JobId) {
        self.enqueue_now(ctx, job);
    }

    /// `updateJob`: immediately on a spec change, batched on a status-only change
    /// (v1.21: always immediately).
    pub(crate) fn on_job_updated(
        &mut self,
        ctx: Ctx<'_, '_>,
        api: &ApiServer,
        job: JobId,
        spec_changed: bool,
        ads_changed: bool,
    ) {
        // Status-only updates are batched from 1.28 (PR #118615); before, every Job
        // update enqueued at once.
        if spec_changed || !self.cfg.version.at_least(28) {
            self.enqueue_now(ctx, job);
        } else {
            self.enqueue_batched(ctx, job);
        }
        let j = &api.jobs[job.index()];
        if let (true, Some(start), Some(ads)) = (
            ads_changed,
            j.status.start_time,
            j.spec.active_deadline_seconds,
        ) {
            let total = secs(ads);
            let passed = ctx.now() - start;
            self.enqueue_after(ctx, job, total.saturating_sub(passed));
        }
    }

    /// `addPod` / `updatePod` / `deletePod` for a pod owned by `job`: batched. v1.21
    /// enqueues at once, except an update of a Failed pod, which waits `getBackoff`.
    ///
    /// Until 1.27 an update of a Failed pod waits the work queue's `getBackoff`: in 1.21 /
    /// 1.22 any update of a Failed pod; from the fix of PR #114516 (1.23.16, 1.24.10,
    /// 1.25.6, 1.26.1, 1.27) only the transition to Failed, and only if the back-off is
    /// not zero (else the batch period). From 1.28 every pod event is batched.
    pub(crate) fn on_pod_event(
        &mut self,
        ctx: Ctx<'_, '_>,
        job: JobId,
        was_failed: bool,
        is_failed: bool,
    ) {
        if self.cfg.version.at_least(28) {
            return self.enqueue_batched(ctx, job);
        }
        let batch = self.cfg.legacy_pod_event_delay();
        let delay = if !self.cfg.version.at_least(23) {
            if is_failed {
                self.legacy_get_backoff(job)
            } else {
                batch
            }
        } else if is_failed && !was_failed {
            let b = self.legacy_get_backoff(job);
            if b.is_zero() { batch } else { b }
        } else {
            batch
        };
        self.enqueue_after(ctx, job, delay);
    }

    /// The Job left the store: its back-off record is dropped (v1.34+, PR #132109).
    pub(crate) fn on_job_removed(&mut self, job: JobId) {
        self.state(job).backoff = BackoffRecord::default();
    }

    /// When the next sync of `job` is due, if one is queued.
    pub fn next_sync(&mut self, job: JobId, now: SimTime) -> Option<SimTime> {
        let st = self.state(job);
        if st.queued {
            Some(now)
        } else {
            st.waiting.due()
        }
    }
}
