//! The legacy Job controller of 1.21 .. 1.24 (`pkg/controller/job/job_controller.go`
//! at release-1.21; 1.22 .. 1.24 differ as noted where they do, modelled on their latest
//! patch releases, where JobTrackingWithFinalizers is off by default):
//! no tracking finalizers, counts taken from the pods that exist, terminal conditions
//! written at once, and the pod-failure back-off taken from the work queue's
//! rate limiter (k8s-job-semantics.md §4.8, §5.2).
//!
//! Read side by side with upstream's `syncJob` / `manageJob` of that release; the
//! names follow it. Counts come from the incremental per-Job index (succeeded and failed
//! pods present, active pods), never from a scan of the Job's pods.

use std::sync::Arc;

use sim_core::{Context, SimDuration};

use super::JobController;
use super::indexed_job_utils::OrderedIntervals;
use crate::api::{CompletionMode, ConditionStatus, JobConditionType, api_time, reasons, secs};
use crate::api_server::ApiServer;
use crate::events::{EventMessage, EventType};
use crate::store::JobId;
use crate::world::Event;

type Ctx<'a, 'b> = &'a mut Context<'b, Event>;

/// `DefaultJobBackOff`: the rate limiter's base delay.
pub const DEFAULT_JOB_BACKOFF: SimDuration = SimDuration::from_secs(10);
/// `MaxJobBackOff`: the rate limiter's cap.
pub const MAX_JOB_BACKOFF: SimDuration = SimDuration::from_secs(360);

/// `10s * 2^exp`, capped at 360 s.
pub(crate) fn exponential(exp: u32) -> SimDuration {
    let factor = 1u64.checked_shl(exp.min(32)).unwrap_or(u64::MAX);
    DEFAULT_JOB_BACKOFF
        .saturating_mul(factor)
        .min(MAX_JOB_BACKOFF)
}

/// What a legacy sync tells the worker (`syncJob` returns `(forget, err)`).
struct SyncResult {
    forget: bool,
    /// "failed pod(s) detected for job key": the worker re-adds the key rate-limited.
    failed_pods_detected: bool,
}

impl JobController {
    /// `getBackoff`: the delay a failed-pod update waits before the sync,
    /// `0` with no requeues, else `10s * 2^(requeues-1)` capped at 360 s.
    pub(crate) fn legacy_get_backoff(&mut self, job: JobId) -> SimDuration {
        match self.state(job).requeues {
            0 => SimDuration::ZERO,
            r => exponential(r - 1),
        }
    }

    /// PR #99963 (1.22): `manageJob` removes active pods beyond the remaining
    /// completions (`rmAtLeast = active - wantActive`, deletion or creation per sync)
    /// and a Job with completions completes only once no pod is active. 1.21 removes
    /// only pods beyond parallelism and completes on the count alone.
    fn removes_pods_past_completions(&self) -> bool {
        self.cfg.version.at_least(22)
    }

    /// Whether the deadline is re-armed on every sync (1.22+, latest patch releases).
    fn ads_every_sync(&self) -> bool {
        self.cfg.version.at_least(22)
    }

    /// `processNextWorkItem` around the v1.21 `syncJob`.
    pub(crate) fn sync_job_legacy(&mut self, api: &mut ApiServer, ctx: Ctx<'_, '_>, id: JobId) {
        let result = self.legacy_sync(api, ctx, id);
        if result.failed_pods_detected {
            // queue.AddRateLimited: the item's failure count sets the delay.
            let st = self.state(id);
            let delay = exponential(st.requeues);
            st.requeues += 1;
            self.enqueue_after(ctx, id, delay);
        } else if result.forget {
            self.state(id).requeues = 0;
        }
    }

    fn legacy_sync(&mut self, api: &mut ApiServer, ctx: Ctx<'_, '_>, id: JobId) -> SyncResult {
        let now = ctx.now();
        let Some(job) = api.live_job(id) else {
            return SyncResult {
                forget: true,
                failed_pods_detected: false,
            };
        };
        // If the Job was finished previously, we don't want to redo the termination.
        if job.status.is_finished() {
            return SyncResult {
                forget: true,
                failed_pods_detected: false,
            };
        }
        let spec = Arc::clone(&job.spec);
        let mut status = job.status.clone();
        let old = (status.active, status.succeeded, status.failed);
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        let pods = &api.job_pods[id.index()];
        let mut active = pods.active.len() as i32;
        // getStatus: the succeeded and failed pods that exist.
        let mut succeeded = pods.succeeded_pods;
        let mut failed = pods.failed_pods;

        // Job first start: set startTime and the activeDeadlineSeconds timer, unless
        // suspended.
        if status.start_time.is_none() && !spec.suspend {
            status.start_time = Some(api_time(now));
            // 1.21 sets the deadline timer once, here; 1.22+ (PR #110294, in the
            // latest patch releases) re-arms it on every sync below.
            if let (Some(ads), false) = (spec.active_deadline_seconds, self.ads_every_sync()) {
                self.enqueue_after(ctx, id, secs(ads));
            }
        }

        let job_have_new_failure = failed > status.failed;
        // New failures happen when status does not reflect the failures and active is
        // different than parallelism; otherwise the previous loop failed updating status.
        let exceeds_backoff_limit =
            job_have_new_failure && active != spec.parallelism && failed > spec.backoff_limit;
        let restarts = api.job_pods[id.index()].restarts_pending_running;
        let failure = if exceeds_backoff_limit
            || super::job_controller::past_backoff_limit_on_failure(&spec, restarts)
        {
            Some((
                reasons::BACKOFF_LIMIT_EXCEEDED,
                "Job has reached the specified backoff limit",
            ))
        } else if super::job_controller::past_active_deadline(&spec, status.start_time, now) {
            Some((
                reasons::DEADLINE_EXCEEDED,
                "Job was active longer than specified deadline",
            ))
        } else {
            if let (true, Some(ads), Some(start), false) = (
                self.ads_every_sync(),
                spec.active_deadline_seconds,
                status.start_time,
                spec.suspend,
            ) {
                let left = secs(ads).saturating_sub(now - start);
                self.enqueue_after(ctx, id, left);
            }
            None
        };

        let succeeded_indexes = if indexed {
            let (ix, n) = legacy_succeeded_indexes(api, id, spec.completions.unwrap_or(0));
            succeeded = n;
            Some(ix)
        } else {
            None
        };
        let mut conditions_changed = false;
        let mut suspend_changed = false;
        if let Some((reason, message)) = failure {
            // deleteJobPods: every active pod; they count as failed from now on.
            self.scratch.pods.clear();
            self.scratch
                .pods
                .extend_from_slice(&api.job_pods[id.index()].active);
            self.delete_job_pods(api, id);
            failed += active;
            active = 0;
            status.conditions.push(super::job_controller::new_condition(
                JobConditionType::Failed,
                ConditionStatus::True,
                reason,
                message,
                now,
            ));
            conditions_changed = true;
            api.record_event(
                id,
                EventType::Warning,
                reason,
                EventMessage::Static(message),
            );
        } else {
            let job_deleting = api.jobs[id.index()].deletion_timestamp.is_some();
            let manage_job_called = !job_deleting;
            if manage_job_called {
                active = self.legacy_manage_job(api, id, &spec, active, succeeded);
            }
            let complete = match spec.completions {
                // A work queue is complete when a pod succeeded and none is running.
                None => succeeded > 0 && active == 0,
                Some(c) => {
                    // 1.21 completes on the count alone, even with pods still active.
                    let done =
                        succeeded >= c && (active == 0 || !self.removes_pods_past_completions());
                    if done && active > 0 {
                        api.record_event(
                            id,
                            EventType::Warning,
                            "TooManyActivePods",
                            EventMessage::Static(
                                "Too many active pods running after completion count reached",
                            ),
                        );
                    }
                    if done && succeeded > c {
                        api.record_event(
                            id,
                            EventType::Warning,
                            "TooManySucceededPods",
                            EventMessage::Static(
                                "Too many succeeded pods running after completion count reached",
                            ),
                        );
                    }
                    done
                }
            };
            if complete {
                status.conditions.push(super::job_controller::new_condition(
                    JobConditionType::Complete,
                    ConditionStatus::True,
                    "",
                    "",
                    now,
                ));
                conditions_changed = true;
                status.completion_time = Some(api_time(now));
                api.record_event(
                    id,
                    EventType::Normal,
                    "Completed",
                    EventMessage::Static("Job completed"),
                );
            } else if self
                .cfg
                .gates
                .enabled(crate::version::FeatureGate::SuspendJob)
                && manage_job_called
            {
                suspend_changed = self.legacy_suspend_bookkeeping(api, id, &spec, &mut status, now);
                conditions_changed |= suspend_changed;
            }
        }

        // A new success resets the back-off.
        let mut forget = status.succeeded < succeeded;
        let mut failed_pods_detected = false;
        // status.ready (JobReadyPods, beta from 1.24): the Ready active pods.
        let ready = self
            .cfg
            .gates
            .enabled(crate::version::FeatureGate::JobReadyPods)
            .then(|| {
                if active == 0 {
                    0
                } else {
                    api.job_pods[id.index()].ready_active
                }
            });
        if old != (active, succeeded, failed) || conditions_changed || ready != status.ready {
            status.ready = ready;
            status.active = active;
            status.succeeded = succeeded;
            status.failed = failed;
            if let Some(ix) = succeeded_indexes {
                status.completed_indexes = ix;
            }
            let finished = status.is_finished();
            api.update_job_status(id, status);
            if job_have_new_failure && !finished {
                // "failed pod(s) detected for job key": re-enqueued after the back-off.
                failed_pods_detected = true;
            } else if suspend_changed || finished || self.cfg.forget_on_every_status_write() {
                // 1.21/1.22 forget the back-off on any status write; from the fix of
                // PR #114516 (1.23.16, 1.24.10) only a suspend change does (besides a new
                // success, above).
                forget = true;
            }
        }
        SyncResult {
            forget,
            failed_pods_detected,
        }
    }

    /// The v1.21 `manageJob`: deletes excess pods or creates missing ones; no
    /// back-off check, no replacement policy, no per-index anything.
    fn legacy_manage_job(
        &mut self,
        api: &mut ApiServer,
        id: JobId,
        spec: &Arc<crate::api::JobSpec>,
        mut active: i32,
        succeeded: i32,
    ) -> i32 {
        if spec.suspend {
            self.scratch.pods.clear();
            self.scratch
                .pods
                .extend_from_slice(&api.job_pods[id.index()].active);
            let (_, removed) = self.delete_job_pods(api, id);
            return active - removed;
        }
        let want_active = super::job_controller::want_active(spec, active, succeeded);
        if !self.removes_pods_past_completions() {
            // 1.21: only pods beyond parallelism go (and an Indexed Job's duplicates),
            // and creation may follow in the same sync.
            let rm_at_least = (active - spec.parallelism).max(0) as usize;
            if let Some((_, removed)) = self.delete_excess_pods(api, id, spec, rm_at_least) {
                active -= removed;
            }
            if active >= spec.parallelism {
                return active;
            }
        } else {
            let rm_at_least = (active - want_active).max(0) as usize;
            if let Some((_, removed)) = self.delete_excess_pods(api, id, spec, rm_at_least) {
                return active - removed;
            }
        }
        let want_active = super::job_controller::want_active(spec, active, succeeded);
        if active < want_active {
            let mut diff =
                ((want_active - active) as usize).min(super::MAX_POD_CREATE_DELETE_PER_SYNC);
            self.scratch.indexes.clear();
            if spec.completion_mode == CompletionMode::Indexed {
                self.scratch.indexes.extend(
                    api.job_pods[id.index()]
                        .indexed
                        .iter()
                        .flat_map(|t| t.free())
                        .take(diff),
                );
                diff = self.scratch.indexes.len();
            }
            active += diff as i32;
            self.create_pods(api, id, diff, None);
        }
        active
    }

    /// Suspended / Resumed conditions and events, and the startTime reset on resume.
    fn legacy_suspend_bookkeeping(
        &mut self,
        api: &mut ApiServer,
        id: JobId,
        spec: &crate::api::JobSpec,
        status: &mut crate::api::JobStatus,
        now: sim_core::SimTime,
    ) -> bool {
        let (want, reason, message, event) = if spec.suspend {
            (
                ConditionStatus::True,
                reasons::JOB_SUSPENDED,
                "Job suspended",
                "Suspended",
            )
        } else {
            (
                ConditionStatus::False,
                reasons::JOB_RESUMED,
                "Job resumed",
                "Resumed",
            )
        };
        let updated = super::job_controller::ensure_job_condition_status(
            &mut status.conditions,
            JobConditionType::Suspended,
            want,
            reason,
            message,
            now,
        );
        if updated {
            api.record_event(id, EventType::Normal, event, EventMessage::Static(message));
            if !spec.suspend {
                status.start_time = Some(api_time(now));
            }
        }
        updated
    }
}

/// v1.21 `calculateSucceededIndexes`: the valid indexes with a succeeded pod.
fn legacy_succeeded_indexes(
    api: &ApiServer,
    id: JobId,
    completions: i32,
) -> (OrderedIntervals, i32) {
    let Some(table) = api.job_pods[id.index()].indexed.as_ref() else {
        return (OrderedIntervals::new(), 0);
    };
    let done = (0..completions.max(0) as u32).filter(|&i| table.slot(i).succeeded_pods > 0);
    let ix = OrderedIntervals::from_indexes(done);
    let n = ix.total() as i32;
    (ix, n)
}
