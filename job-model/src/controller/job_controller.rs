//! `syncJob` and the functions it calls (upstream `job_controller.go`, v1.31+
//! finalizer-based tracking). Names and order follow upstream; where upstream lists
//! every pod of the Job, this code reads the incremental [`JobPods`] index instead.
//!
//! API writes never fail in the simulation, so upstream's expectations are always
//! satisfied and `status.uncountedTerminatedPods` is empty between syncs: pods are
//! counted and their finalizers removed within the sync that finds them finished (at
//! most [`MAX_UNCOUNTED_PODS`] per sync, as upstream).

use std::sync::Arc;

use sim_core::{SimDuration, SimTime};

use super::backoff::{self, BackoffRecord, finish_time, remaining_time_for_failures_count};
use super::indexed_job_utils::OrderedIntervals;
use super::pod_failure_policy::{PolicyMatch, match_pod_failure_policy};
use super::success_policy::match_success_policy;
use super::{
    Ctx, JobController, MAX_POD_CREATE_DELETE_PER_SYNC, MAX_UNCOUNTED_PODS,
    only_replace_failed_pods,
};
use crate::api::{
    CompletionMode, ConditionStatus, ContainerState, CountedAs, DeletionCause, Job, JobCondition,
    JobConditionType, JobSpec, JobStatus, Pod, PodId, PodPhase, RestartPolicy, api_time, reasons,
    secs,
};
use crate::api_server::{ApiServer, Notice};
use crate::events::{EventMessage, EventType, PodName};
use crate::store::JobId;
use crate::version::FeatureGate;

/// Buffers reused across syncs.
#[derive(Debug, Default)]
pub struct Scratch {
    new_succeeded: Vec<PodId>,
    new_failed: Vec<PodId>,
    times_a: Vec<SimTime>,
    times_b: Vec<SimTime>,
    pub(crate) pods: Vec<PodId>,
    pub(crate) indexes: Vec<u32>,
    prev_succeeded: OrderedIntervals,
    spare_indexes: Vec<u32>,
    finished: Vec<PodId>,
    to_remove: Vec<(PodId, CountedAs)>,
    /// Pods `deleteActivePods` deleted in this sync: the sync's pod list predates the
    /// deletion, so they are not seen as terminating (sorted).
    deleted_in_sync: Vec<PodId>,
}

/// The status the next write will carry (upstream mutates a copy of the Job and
/// writes it at the flush points; local changes that are not flushed are lost).
#[derive(Clone, Debug)]
struct StatusDraft {
    start_time: Option<SimTime>,
    completion_time: Option<SimTime>,
    active: i32,
    ready: Option<i32>,
    terminating: Option<i32>,
    succeeded: i32,
    failed: i32,
    /// Replaced conditions list, when changed.
    conditions: Option<Vec<JobCondition>>,
    /// Indexes to add to completedIndexes.
    new_completed: Vec<u32>,
    /// completedIndexes must be rewritten (truncated after a scale-down).
    completed_truncated: bool,
    /// failedIndexes to write: `None` keeps the status value.
    failed_indexes: Option<Option<OrderedIntervals>>,
}

impl StatusDraft {
    fn of(s: &JobStatus) -> Self {
        StatusDraft {
            start_time: s.start_time,
            completion_time: s.completion_time,
            active: s.active,
            ready: s.ready,
            terminating: s.terminating,
            succeeded: s.succeeded,
            failed: s.failed,
            conditions: None,
            new_completed: Vec::new(),
            completed_truncated: false,
            failed_indexes: None,
        }
    }

    fn conditions<'a>(&'a self, status: &'a JobStatus) -> &'a [JobCondition] {
        self.conditions.as_deref().unwrap_or(&status.conditions)
    }

    fn conditions_mut(&mut self, status: &JobStatus) -> &mut Vec<JobCondition> {
        self.conditions
            .get_or_insert_with(|| status.conditions.clone())
    }
}

/// Upstream `syncJobCtx`.
pub(crate) struct SyncJobCtx {
    job: JobId,
    spec: Arc<JobSpec>,
    draft: StatusDraft,
    /// Succeeded (Indexed: completed indexes) including this sync's new ones.
    succeeded: i32,
    /// Failed, including this sync's new non-ignored failures.
    failed: i32,
    ready: i32,
    terminating: Option<i32>,
    new_backoff: BackoffRecord,
    finished_condition: Option<JobCondition>,
    /// Indexed: completedIndexes (truncated to completions) before this sync.
    prev_succeeded: OrderedIntervals,
    /// Indexed with backoffLimitPerIndex: failed indexes including new ones.
    failed_indexes: Option<OrderedIntervals>,
    /// Indexed with backoffLimitPerIndex: the failed pod kept per index until its
    /// replacement exists (sorted by index).
    delayed_deletion: Vec<(u32, PodId)>,
}

pub(crate) fn new_condition(
    t: JobConditionType,
    status: ConditionStatus,
    reason: &str,
    message: &str,
    now: SimTime,
) -> JobCondition {
    JobCondition {
        condition_type: t,
        status,
        reason: reason.to_string(),
        message: message.to_string(),
        last_probe_time: api_time(now),
        last_transition_time: api_time(now),
    }
}

/// Upstream `ensureJobConditionStatus`.
pub(crate) fn ensure_job_condition_status(
    list: &mut Vec<JobCondition>,
    t: JobConditionType,
    status: ConditionStatus,
    reason: &str,
    message: &str,
    now: SimTime,
) -> bool {
    if let Some(c) = list.iter_mut().find(|c| c.condition_type == t) {
        if c.status != status || c.reason != reason || c.message != message {
            *c = new_condition(t, status, reason, message, now);
            return true;
        }
        return false;
    }
    if status != ConditionStatus::False {
        list.push(new_condition(t, status, reason, message, now));
        return true;
    }
    false
}

/// Upstream `isPodFailed`.
pub(crate) fn is_pod_failed(pod: &Pod, spec: &JobSpec) -> bool {
    if pod.phase == PodPhase::Failed {
        return true;
    }
    if only_replace_failed_pods(spec) {
        return false;
    }
    // Deleted pods count as failures: orphans may never reach phase Failed.
    pod.deletion_timestamp.is_some() && pod.phase != PodPhase::Succeeded
}

/// A valid completion index of an Indexed Job's pod.
fn valid_index(pod: &Pod, spec: &JobSpec) -> Option<u32> {
    let completions = spec.completions.unwrap_or(0).max(0) as u32;
    pod.completion_index.filter(|&i| i < completions)
}

impl JobController {
    fn policy_match(&self, job: &Job, pod: &Pod) -> PolicyMatch {
        let spec = &job.spec;
        match_pod_failure_policy(
            spec.pod_failure_policy.as_ref(),
            pod,
            spec.template.containers.first().map_or("", String::as_str),
            &job.namespace,
            &|| {
                PodName {
                    index: pod.completion_index,
                    ordinal: pod.ordinal,
                }
                .render(&job.name)
            },
            self.cfg.gates.enabled(FeatureGate::JobBackoffLimitPerIndex),
        )
    }

    fn new_failure_condition(&self, reason: &str, message: &str, now: SimTime) -> JobCondition {
        let t = if self.cfg.delay_terminal_condition() {
            JobConditionType::FailureTarget
        } else {
            JobConditionType::Failed
        };
        new_condition(t, ConditionStatus::True, reason, message, now)
    }

    fn new_success_condition(&self, now: SimTime) -> JobCondition {
        let t = if self.cfg.delay_terminal_condition() {
            JobConditionType::SuccessCriteriaMet
        } else {
            JobConditionType::Complete
        };
        let (reason, message) = if self.cfg.gates.enabled(FeatureGate::JobSuccessPolicy) {
            (
                reasons::COMPLETIONS_REACHED,
                "Reached expected number of succeeded pods",
            )
        } else {
            ("", "")
        };
        new_condition(t, ConditionStatus::True, reason, message, now)
    }

    /// Upstream `syncJob`.
    pub(crate) fn sync_job(&mut self, api: &mut ApiServer, ctx: Ctx<'_, '_>, id: JobId) {
        if self.cfg.legacy() {
            return self.sync_job_legacy(api, ctx, id);
        }
        let now = ctx.now();
        self.scratch.deleted_in_sync.clear();
        let Some(job) = api.live_job(id) else {
            self.state(id).backoff = BackoffRecord::default();
            return;
        };
        if self.cfg.gates.enabled(FeatureGate::JobManagedBy)
            && job
                .spec
                .managed_by
                .as_deref()
                .is_some_and(|m| m != "kubernetes.io/job-controller")
        {
            return;
        }
        if job.status.is_finished() {
            self.state(id).backoff = BackoffRecord::default();
            return;
        }
        let spec = Arc::clone(&job.spec);
        let mut jc = SyncJobCtx {
            job: id,
            spec: Arc::clone(&spec),
            draft: StatusDraft::of(&job.status),
            succeeded: 0,
            failed: 0,
            ready: api.job_pods[id.index()].ready_active,
            terminating: self
                .cfg
                .track_terminating_pods(&spec)
                .then_some(api.job_pods[id.index()].terminating),
            new_backoff: BackoffRecord::default(),
            finished_condition: None,
            prev_succeeded: std::mem::take(&mut self.scratch.prev_succeeded),
            failed_indexes: None,
            delayed_deletion: Vec::new(),
        };
        let mut active = api.job_pods[id.index()].active.len() as i32;

        self.get_new_finished_pods(api, &jc);
        jc.succeeded = job_status(api, id).succeeded + self.scratch.new_succeeded.len() as i32;
        jc.failed = job_status(api, id).failed + self.non_ignored_failed_pods_count(api, id);

        // Job first start.
        if jc.draft.start_time.is_none() && !spec.suspend {
            jc.draft.start_time = Some(api_time(now));
        }
        jc.new_backoff = self.new_backoff_record(api, id, now);

        // (The legacy form also required a new failure and active != parallelism; the
        // tracking path counts every failure since "Always count the failures towards the
        // backoffLimit", in the latest 1.25 .. 1.27 patches.)
        let job_has_new_failure = jc.failed > job_status(api, id).failed;
        let succeeded_before = job_status(api, id).succeeded;
        let exceeds_backoff_limit = jc.failed > spec.backoff_limit;
        jc.finished_condition = job_status(api, id)
            .true_condition(JobConditionType::SuccessCriteriaMet)
            .cloned();
        if jc.finished_condition.is_none() {
            if let Some(ft) = job_status(api, id).true_condition(JobConditionType::FailureTarget) {
                jc.finished_condition = Some(new_condition(
                    JobConditionType::Failed,
                    ConditionStatus::True,
                    &ft.reason,
                    &ft.message,
                    now,
                ));
            } else if let Some(msg) = self.get_fail_job_message(api, id) {
                jc.finished_condition = Some(new_condition(
                    JobConditionType::FailureTarget,
                    ConditionStatus::True,
                    reasons::POD_FAILURE_POLICY,
                    &msg,
                    now,
                ));
            }
        }
        if jc.finished_condition.is_none() {
            if exceeds_backoff_limit
                || past_backoff_limit_on_failure(
                    &spec,
                    api.job_pods[id.index()].restarts_pending_running,
                )
            {
                jc.finished_condition = Some(self.new_failure_condition(
                    reasons::BACKOFF_LIMIT_EXCEEDED,
                    "Job has reached the specified backoff limit",
                    now,
                ));
            } else if past_active_deadline(&spec, jc.draft.start_time, now) {
                jc.finished_condition = Some(self.new_failure_condition(
                    reasons::DEADLINE_EXCEEDED,
                    "Job was active longer than specified deadline",
                    now,
                ));
            } else if let (Some(ads), false, Some(start)) = (
                spec.active_deadline_seconds,
                spec.suspend,
                jc.draft.start_time,
            ) {
                let sync_in = secs(ads).saturating_sub(now - start);
                self.enqueue_after(ctx, id, sync_in);
            }
        }
        if spec.completion_mode == CompletionMode::Indexed {
            let completions = spec.completions.unwrap_or(0).max(0) as u32;
            let status = job_status(api, id);
            let truncated = status.completed_indexes.truncated(completions);
            jc.draft.completed_truncated = matches!(truncated, std::borrow::Cow::Owned(_));
            jc.prev_succeeded.assign(&truncated);
            self.calculate_succeeded_indexes(api, &mut jc);
            jc.succeeded = (jc.prev_succeeded.total() + self.scratch.indexes.len() as u64) as i32;
            if spec.backoff_limit_per_index.is_some() {
                self.calculate_failed_indexes(api, &mut jc);
                let failed_total = jc
                    .failed_indexes
                    .as_ref()
                    .map_or(0, OrderedIntervals::total) as i64;
                if jc.finished_condition.is_none() {
                    if spec
                        .max_failed_indexes
                        .is_some_and(|m| failed_total > i64::from(m))
                    {
                        jc.finished_condition = Some(self.new_failure_condition(
                            reasons::MAX_FAILED_INDEXES_EXCEEDED,
                            "Job has exceeded the specified maximal number of failed indexes",
                            now,
                        ));
                    } else if failed_total > 0
                        && failed_total + i64::from(jc.succeeded) >= i64::from(completions)
                    {
                        jc.finished_condition = Some(self.new_failure_condition(
                            reasons::FAILED_INDEXES,
                            "Job has failed indexes",
                            now,
                        ));
                    }
                }
                self.get_pods_with_delayed_deletion_per_index(api, &mut jc);
            }
            if jc.finished_condition.is_none()
                && spec.success_policy.is_some()
                && job_status(api, id)
                    .true_condition(JobConditionType::SuccessCriteriaMet)
                    .is_none()
            {
                let succeeded_indexes = jc
                    .prev_succeeded
                    .with_ordered_indexes(&self.scratch.indexes);
                if let Some(msg) = match_success_policy(
                    spec.success_policy.as_ref(),
                    completions,
                    &succeeded_indexes,
                ) {
                    jc.finished_condition = Some(new_condition(
                        JobConditionType::SuccessCriteriaMet,
                        ConditionStatus::True,
                        reasons::SUCCESS_POLICY,
                        &msg,
                        now,
                    ));
                }
            }
        }

        let mut suspend_cond_changed = false;
        if jc.finished_condition.is_some() {
            // Remove active pods if the Job is finishing.
            let (deleted_ready, deleted) = self.delete_active_pods(api, id);
            active -= deleted;
            if let Some(t) = &mut jc.terminating {
                *t += deleted;
            }
            jc.ready -= deleted_ready;
        } else {
            let mut manage_job_called = false;
            if api.jobs[id.index()].deletion_timestamp.is_none() {
                active = self.manage_job(api, ctx, &mut jc);
                manage_job_called = true;
            }
            let complete = match spec.completions {
                None => jc.succeeded > 0 && active == 0,
                Some(c) => jc.succeeded >= c && active == 0,
            };
            if complete {
                jc.finished_condition = Some(self.new_success_condition(now));
            } else if manage_job_called {
                let status = &api.jobs[id.index()].status;
                if spec.suspend {
                    let conditions = jc.draft.conditions_mut(status);
                    if ensure_job_condition_status(
                        conditions,
                        JobConditionType::Suspended,
                        ConditionStatus::True,
                        reasons::JOB_SUSPENDED,
                        "Job suspended",
                        now,
                    ) {
                        suspend_cond_changed = true;
                        api.record_event(
                            id,
                            EventType::Normal,
                            "Suspended",
                            EventMessage::Static("Job suspended"),
                        );
                        if self
                            .cfg
                            .gates
                            .enabled(FeatureGate::MutableSchedulingDirectivesForSuspendedJobs)
                        {
                            jc.draft.start_time = None;
                        }
                    }
                } else if jc
                    .draft
                    .conditions(status)
                    .iter()
                    .any(|c| c.condition_type == JobConditionType::Suspended)
                {
                    let conditions = jc.draft.conditions_mut(status);
                    if ensure_job_condition_status(
                        conditions,
                        JobConditionType::Suspended,
                        ConditionStatus::False,
                        reasons::JOB_RESUMED,
                        "Job resumed",
                        now,
                    ) {
                        suspend_cond_changed = true;
                        api.record_event(
                            id,
                            EventType::Normal,
                            "Resumed",
                            EventMessage::Static("Job resumed"),
                        );
                        // A resumed Job restarts its activeDeadlineSeconds clock.
                        jc.draft.start_time = Some(api_time(now));
                    }
                }
            }
        }

        let terminating = if self.cfg.gates.enabled(FeatureGate::JobPodReplacementPolicy) {
            jc.terminating
        } else {
            None
        };
        let ready = self
            .cfg
            .gates
            .enabled(FeatureGate::JobReadyPods)
            .then_some(jc.ready);
        let status = job_status(api, id);
        let needs_status_update = suspend_cond_changed
            || active != status.active
            || ready != status.ready
            || terminating != status.terminating;
        jc.draft.active = active;
        jc.draft.ready = ready;
        jc.draft.terminating = terminating;
        let tracked =
            self.track_job_status_and_remove_finalizers(api, ctx, &mut jc, needs_status_update);
        if tracked.is_err() {
            // "tracking status: ...": the worker re-adds the key rate-limited
            // (DefaultJobApiBackOff 1s doubling to MaxJobApiBackOff 60s).
            let st = self.state(id);
            let delay = api_backoff(st.requeues);
            st.requeues += 1;
            self.enqueue_after(ctx, id, delay);
            self.scratch.prev_succeeded = jc.prev_succeeded;
            return;
        }
        // Before 1.28 a sync that sees a new failure also returns "failed pod(s)
        // detected", so the work queue re-adds the Job rate-limited. 1.27 forgets the
        // count after any other sync; 1.25 / 1.26 (with the fix of PR #114516) only after
        // a new success, a suspend change or the end of the Job.
        if self.cfg.version.at_least(28) {
            // processNextWorkItem: a sync without error forgets the key.
            self.state(id).requeues = 0;
        } else {
            let status = &api.jobs[id.index()].status;
            let finished = status.is_finished();
            let new_success = status.succeeded > succeeded_before;
            let forget = self.cfg.version.at_least(27) || new_success || suspend_cond_changed;
            let st = self.state(id);
            if job_has_new_failure && !finished {
                let delay = super::legacy::exponential(st.requeues);
                st.requeues += 1;
                self.enqueue_after(ctx, id, delay);
            } else if forget || finished {
                st.requeues = 0;
            }
        }
        // Keep the buffer for the next sync (no allocation per sync).
        self.scratch.prev_succeeded = jc.prev_succeeded;
    }

    /// Upstream `getNewFinishedPods`: pods still carrying the finalizer (and, for
    /// Indexed Jobs, a valid index) that succeeded or are considered failed.
    fn get_new_finished_pods(&mut self, api: &mut ApiServer, jc: &SyncJobCtx) {
        let s = &mut self.scratch;
        s.new_succeeded.clear();
        s.new_failed.clear();
        let indexed = jc.spec.completion_mode == CompletionMode::Indexed;
        let candidates = api.job_pods[jc.job.index()].finished_with_finalizer(&mut api.pods);
        for &pid in candidates {
            let pod = &api.pods[pid];
            if indexed && valid_index(pod, &jc.spec).is_none() {
                continue;
            }
            if pod.phase == PodPhase::Succeeded {
                s.new_succeeded.push(pid);
            } else if is_pod_failed(pod, &jc.spec) {
                s.new_failed.push(pid);
            }
        }
    }

    /// Upstream `nonIgnoredFailedPodsCount`.
    fn non_ignored_failed_pods_count(&self, api: &ApiServer, id: JobId) -> i32 {
        let job = &api.jobs[id.index()];
        if job.spec.pod_failure_policy.is_none() {
            return self.scratch.new_failed.len() as i32;
        }
        self.scratch
            .new_failed
            .iter()
            .filter(|&&p| self.policy_match(job, &api.pods[p]).count_failed)
            .count() as i32
    }

    /// Upstream `getFailJobMessage`: the first failed pod whose first matching rule is
    /// FailJob (pods in creation order).
    fn get_fail_job_message(&self, api: &ApiServer, id: JobId) -> Option<String> {
        let job = &api.jobs[id.index()];
        job.spec.pod_failure_policy.as_ref()?;
        self.scratch
            .new_failed
            .iter()
            .find_map(|&p| self.policy_match(job, &api.pods[p]).fail_job_message)
    }

    /// Upstream `newBackoffRecord` over this sync's newly finished pods.
    fn new_backoff_record(&mut self, api: &ApiServer, id: JobId, now: SimTime) -> BackoffRecord {
        // 1.27's getFinishedTime falls back to the current time for a pod whose
        // containers have not all terminated; 1.28 looks at Ready and the deletion.
        let legacy_finish = !self.cfg.version.at_least(28);
        let finished = |p: &Pod| {
            if legacy_finish && !matches!(p.container, ContainerState::Terminated { .. }) {
                api_time(now)
            } else {
                finish_time(p)
            }
        };
        let s = &mut self.scratch;
        s.times_a.clear();
        s.times_a
            .extend(s.new_succeeded.iter().map(|&p| finished(&api.pods[p])));
        s.times_a.sort_unstable();
        s.times_b.clear();
        s.times_b
            .extend(s.new_failed.iter().map(|&p| finished(&api.pods[p])));
        s.times_b.sort_unstable();
        let old = self.state(id).backoff;
        old.next(&self.scratch.times_a, &self.scratch.times_b)
    }

    /// Upstream `calculateSucceededIndexes`: the new succeeded indexes (sorted, in
    /// `scratch.indexes`) beyond `prev_succeeded`.
    fn calculate_succeeded_indexes(&mut self, api: &ApiServer, jc: &mut SyncJobCtx) {
        let s = &mut self.scratch;
        s.indexes.clear();
        for &p in &s.new_succeeded {
            if let Some(ix) = valid_index(&api.pods[p], &jc.spec)
                && !jc.prev_succeeded.has(ix)
            {
                s.indexes.push(ix);
            }
        }
        s.indexes.sort_unstable();
        s.indexes.dedup();
    }

    /// Upstream `calculateFailedIndexes`.
    fn calculate_failed_indexes(&mut self, api: &ApiServer, jc: &mut SyncJobCtx) {
        let job = &api.jobs[jc.job.index()];
        let completions = jc.spec.completions.unwrap_or(0).max(0) as u32;
        let prev = job
            .status
            .failed_indexes
            .as_ref()
            .map_or_else(OrderedIntervals::new, |f| {
                f.truncated(completions).into_owned()
            });
        let mut new: Vec<u32> = Vec::new();
        for &p in &self.scratch.new_failed {
            let pod = &api.pods[p];
            if let Some(ix) = valid_index(pod, &jc.spec)
                && self.is_index_failed(job, pod)
            {
                new.push(ix);
            }
        }
        new.sort_unstable();
        new.dedup();
        jc.failed_indexes = Some(prev.with_ordered_indexes(&new));
    }

    /// Upstream `isIndexFailed`.
    fn is_index_failed(&self, job: &Job, pod: &Pod) -> bool {
        let mut counted = false;
        if is_pod_failed(pod, &job.spec) {
            if job.spec.pod_failure_policy.is_some() {
                let m = self.policy_match(job, pod);
                if m.action == Some(crate::api::PodFailurePolicyAction::FailIndex) {
                    return true;
                }
                counted = m.count_failed;
            } else {
                counted = true;
            }
        }
        counted
            && pod.index_failure_count.unwrap_or(0)
                >= job.spec.backoff_limit_per_index.unwrap_or(i32::MAX)
    }

    /// Upstream `getPodsWithDelayedDeletionPerIndex`: per index without active,
    /// succeeded or failed state, the newest failed pod still carrying the finalizer.
    fn get_pods_with_delayed_deletion_per_index(&mut self, api: &ApiServer, jc: &mut SyncJobCtx) {
        jc.delayed_deletion.clear();
        let table = api.job_pods[jc.job.index()].indexed.as_ref();
        for &p in &self.scratch.new_failed {
            let pod = &api.pods[p];
            let Some(ix) = valid_index(pod, &jc.spec) else {
                continue;
            };
            let active = table.is_some_and(|t| t.slot(ix).active > 0);
            if jc.prev_succeeded.has(ix)
                || self.scratch.indexes.binary_search(&ix).is_ok()
                || jc.failed_indexes.as_ref().is_some_and(|f| f.has(ix))
                || active
            {
                continue;
            }
            match jc.delayed_deletion.iter_mut().find(|(i, _)| *i == ix) {
                Some(entry) => {
                    if finish_time(&api.pods[entry.1]) < finish_time(pod) {
                        entry.1 = p;
                    }
                }
                None => jc.delayed_deletion.push((ix, p)),
            }
        }
        jc.delayed_deletion.sort_unstable_by_key(|e| e.0);
    }

    /// Upstream `manageJob`: deletes excess pods or creates missing ones (never both
    /// in one sync), honouring the pod-failure back-off. Returns the active count.
    fn manage_job(&mut self, api: &mut ApiServer, ctx: Ctx<'_, '_>, jc: &mut SyncJobCtx) -> i32 {
        let id = jc.job;
        let spec = Arc::clone(&jc.spec);
        let mut active = api.job_pods[id.index()].active.len() as i32;
        if spec.suspend {
            self.active_pods_for_removal(api, id, &spec, usize::MAX);
            let (removed_ready, removed) = self.delete_job_pods(api, id);
            active -= removed;
            if let Some(t) = &mut jc.terminating {
                *t += removed;
            }
            jc.ready -= removed_ready;
            return active;
        }
        let want_active = want_active(&spec, active, jc.succeeded);
        let rm_at_least = (active - want_active).max(0) as usize;
        if let Some((removed_ready, removed)) = self.delete_excess_pods(api, id, &spec, rm_at_least)
        {
            active -= removed;
            if let Some(t) = &mut jc.terminating {
                *t += removed;
            }
            jc.ready -= removed_ready;
            // Deletion takes precedence: nothing is created in this sync.
            return active;
        }
        let terminating = if api.terminating_allowance && only_replace_failed_pods(&spec) {
            jc.terminating
                .unwrap_or(api.job_pods[id.index()].terminating)
        } else {
            0
        };
        let diff = want_active - terminating - active;
        if diff <= 0 {
            return active;
        }
        let now = ctx.now();
        let max_backoff = self.cfg.max_pod_failure_backoff();
        // 1.25 / 1.26 have no back-off record: the replacement comes in the sync that
        // sees the failure, which the work queue delays.
        if spec.backoff_limit_per_index.is_none() && !self.cfg.queue_backoff_only() {
            let remaining = jc.new_backoff.remaining_time(
                now,
                backoff::DEFAULT_JOB_POD_FAILURE_BACKOFF,
                max_backoff,
            );
            if !remaining.is_zero() {
                self.enqueue_with_delay(ctx, id, remaining);
                return if self.cfg.reports_zero_active_during_backoff() {
                    0
                } else {
                    active
                };
            }
        }
        let mut diff = (diff as usize).min(MAX_POD_CREATE_DELETE_PER_SYNC);
        self.scratch.indexes.clear();
        if spec.completion_mode == CompletionMode::Indexed {
            self.first_pending_indexes(api, jc, diff);
            if spec.backoff_limit_per_index.is_some() {
                let remaining =
                    self.get_pod_creation_info_for_independent_indexes(api, jc, now, max_backoff);
                if !remaining.is_zero() {
                    self.enqueue_with_delay(ctx, id, remaining);
                    return if self.cfg.reports_zero_active_during_backoff() {
                        0
                    } else {
                        active
                    };
                }
            }
            diff = self.scratch.indexes.len();
        }
        active += diff as i32;
        let per_index = spec.backoff_limit_per_index.is_some().then_some(&*jc);
        self.create_pods(api, id, diff, per_index);
        active
    }

    /// The excess part of `manageJob`: deletes the pods `activePodsForRemoval` picks
    /// (at most `MaxPodCreateDeletePerSync`); `Some((ready deleted, deleted))` if any.
    pub(crate) fn delete_excess_pods(
        &mut self,
        api: &mut ApiServer,
        id: JobId,
        spec: &JobSpec,
        rm_at_least: usize,
    ) -> Option<(i32, i32)> {
        let irregular = api.job_pods[id.index()]
            .indexed
            .as_ref()
            .is_some_and(|t| t.irregular_active() > 0);
        if rm_at_least == 0 && !irregular {
            return None;
        }
        self.active_pods_for_removal(api, id, spec, rm_at_least);
        self.scratch.pods.truncate(MAX_POD_CREATE_DELETE_PER_SYNC);
        (!self.scratch.pods.is_empty()).then(|| self.delete_job_pods(api, id))
    }

    /// Creates `diff` pods (for the indexes in `scratch.indexes` when the Job is
    /// Indexed) in slow-start batches of 1, 2, 4, ... Creations never fail in the
    /// simulation, so every batch goes through. With `per_index`, the pods carry the
    /// index failure-count annotations.
    pub(crate) fn create_pods(
        &mut self,
        api: &mut ApiServer,
        id: JobId,
        diff: usize,
        per_index: Option<&SyncJobCtx>,
    ) {
        let mut batch = super::SLOW_START_INITIAL_BATCH_SIZE.min(diff);
        let mut next_index = 0;
        let mut left = diff;
        while left > 0 {
            for _ in 0..batch {
                let index = self.scratch.indexes.get(next_index).copied();
                next_index += 1;
                let counts = index
                    .zip(per_index)
                    .map(|(ix, jc)| self.new_index_failure_counts(api, jc, ix));
                let pod = api.create_pod(id, index, counts);
                let p = &api.pods[pod];
                let name = PodName {
                    index: p.completion_index,
                    ordinal: p.ordinal,
                };
                api.record_event(
                    id,
                    EventType::Normal,
                    "SuccessfulCreate",
                    EventMessage::CreatedPod(name),
                );
            }
            left -= batch;
            batch = (2 * batch).min(left);
        }
    }

    /// Upstream `firstPendingIndexes`: the `count` lowest indexes that are not
    /// succeeded, active, failed or (with onlyReplaceFailedPods) terminating, into
    /// `scratch.indexes`.
    fn first_pending_indexes(&mut self, api: &ApiServer, jc: &SyncJobCtx, count: usize) {
        let Some(table) = api.job_pods[jc.job.index()].indexed.as_ref() else {
            return;
        };
        let s = &mut self.scratch;
        let new_succeeded = std::mem::take(&mut s.indexes);
        let mut out = std::mem::take(&mut s.spare_indexes);
        out.clear();
        for ix in table.free() {
            if out.len() >= count {
                break;
            }
            if new_succeeded.binary_search(&ix).is_ok()
                || jc.failed_indexes.as_ref().is_some_and(|f| f.has(ix))
            {
                continue;
            }
            out.push(ix);
        }
        s.indexes = out;
        s.spare_indexes = new_succeeded;
    }

    /// Upstream `getPodCreationInfoForIndependentIndexes`: keeps the indexes whose
    /// per-index back-off has elapsed; if none, returns the smallest remaining time.
    fn get_pod_creation_info_for_independent_indexes(
        &mut self,
        api: &ApiServer,
        jc: &SyncJobCtx,
        now: SimTime,
        max: SimDuration,
    ) -> SimDuration {
        let mut min_remaining: Option<SimDuration> = None;
        let mut now_ready = Vec::new();
        for &ix in &self.scratch.indexes {
            let remaining = match jc.delayed_deletion.binary_search_by_key(&ix, |e| e.0) {
                Ok(pos) => {
                    let pod = &api.pods[jc.delayed_deletion[pos].1];
                    let failures = pod.index_failure_count.unwrap_or(0)
                        + pod.index_ignored_failure_count.unwrap_or(0)
                        + 1;
                    remaining_time_for_failures_count(
                        now,
                        backoff::DEFAULT_JOB_POD_FAILURE_BACKOFF,
                        max,
                        failures,
                        Some(finish_time(pod)),
                    )
                }
                Err(_) => SimDuration::ZERO,
            };
            if remaining.is_zero() {
                now_ready.push(ix);
            } else if min_remaining.is_none_or(|m| m > remaining) {
                min_remaining = Some(remaining);
            }
        }
        self.scratch.indexes = now_ready;
        if self.scratch.indexes.is_empty() {
            min_remaining.unwrap_or(SimDuration::ZERO)
        } else {
            SimDuration::ZERO
        }
    }

    /// Upstream `getNewIndexFailureCounts` for the replacement of index `ix`.
    fn new_index_failure_counts(&self, api: &ApiServer, jc: &SyncJobCtx, ix: u32) -> (i32, i32) {
        let Ok(pos) = jc.delayed_deletion.binary_search_by_key(&ix, |e| e.0) else {
            return (0, 0);
        };
        let pod = &api.pods[jc.delayed_deletion[pos].1];
        let mut failures = pod.index_failure_count.unwrap_or(0);
        let mut ignored = pod.index_ignored_failure_count.unwrap_or(0);
        let job = &api.jobs[jc.job.index()];
        if job.spec.pod_failure_policy.is_some() && !self.policy_match(job, pod).count_failed {
            ignored += 1;
        } else {
            failures += 1;
        }
        (failures, ignored)
    }

    /// Upstream `activePodsForRemoval`, into `scratch.pods`: for Indexed Jobs every
    /// duplicate or out-of-range pod, then (if still fewer than `rm_at_least`) the
    /// first pods in `controller.ActivePods` order.
    pub(crate) fn active_pods_for_removal(
        &mut self,
        api: &ApiServer,
        id: JobId,
        spec: &JobSpec,
        rm_at_least: usize,
    ) {
        let active = &api.job_pods[id.index()].active;
        let pods = &api.pods;
        let mut rm: Vec<PodId> = Vec::new();
        let mut left: Vec<PodId>;
        if spec.completion_mode == CompletionMode::Indexed {
            let completions = spec.completions.unwrap_or(0).max(0) as u32;
            let mut sorted: Vec<PodId> = active.clone();
            sorted.sort_by(|&a, &b| {
                let key = |p: PodId| pods[p].completion_index.map_or(-1, i64::from);
                key(a)
                    .cmp(&key(b))
                    .then_with(|| active_pods_order(&pods[a], &pods[b]))
            });
            left = Vec::with_capacity(sorted.len());
            let mut i = 0;
            while i < sorted.len() {
                let ix = pods[sorted[i]].completion_index;
                let mut j = i + 1;
                while j < sorted.len() && pods[sorted[j]].completion_index == ix {
                    j += 1;
                }
                match ix {
                    None => rm.extend_from_slice(&sorted[i..j]),
                    Some(x) if x >= completions => rm.extend_from_slice(&sorted[i..j]),
                    Some(_) => {
                        // Keep the most advanced pod of the index (last in ActivePods order).
                        rm.extend_from_slice(&sorted[i..j - 1]);
                        left.push(sorted[j - 1]);
                    }
                }
                i = j;
            }
        } else {
            left = active.clone();
        }
        if rm.len() < rm_at_least {
            left.sort_by(|&a, &b| active_pods_order(&pods[a], &pods[b]));
            let take = (rm_at_least - rm.len()).min(left.len());
            rm.extend_from_slice(&left[..take]);
        }
        self.scratch.pods = rm;
    }

    /// Upstream `deleteJobPods`: removes the finalizer (the pod is not counted) and
    /// deletes each pod in `scratch.pods`. Returns (ready deleted, deleted).
    pub(crate) fn delete_job_pods(&mut self, api: &mut ApiServer, id: JobId) -> (i32, i32) {
        let pods = std::mem::take(&mut self.scratch.pods);
        let mut ready = 0;
        for &p in &pods {
            api.remove_tracking_finalizer(p);
            ready += i32::from(self.delete_pod(api, id, p));
        }
        let n = pods.len() as i32;
        self.scratch.pods = pods;
        (ready, n)
    }

    /// Upstream `deleteActivePods`: deletes every active pod, keeping finalizers so
    /// the pods are still counted.
    fn delete_active_pods(&mut self, api: &mut ApiServer, id: JobId) -> (i32, i32) {
        let mut pods = std::mem::take(&mut self.scratch.deleted_in_sync);
        pods.clear();
        pods.extend_from_slice(&api.job_pods[id.index()].active);
        let mut ready = 0;
        for &p in &pods {
            ready += i32::from(self.delete_pod(api, id, p));
        }
        let n = pods.len() as i32;
        pods.sort_unstable();
        self.scratch.deleted_in_sync = pods;
        (ready, n)
    }

    /// `podControl.DeletePod`: returns whether the pod was Ready.
    fn delete_pod(&mut self, api: &mut ApiServer, id: JobId, p: PodId) -> bool {
        let Some(pod) = api.pods.get(p) else {
            return false;
        };
        let (ready, name) = (
            pod.ready,
            PodName {
                index: pod.completion_index,
                ordinal: pod.ordinal,
            },
        );
        api.delete_pod(p, None, DeletionCause::JobController);
        api.record_event(
            id,
            EventType::Normal,
            "SuccessfulDelete",
            EventMessage::DeletedPod(name),
        );
        ready
    }

    /// Upstream `trackJobStatusAndRemoveFinalizers` with `flushUncountedAndRemoveFinalizers`
    /// and `enactJobFinished`.
    fn track_job_status_and_remove_finalizers(
        &mut self,
        api: &mut ApiServer,
        ctx: Ctx<'_, '_>,
        jc: &mut SyncJobCtx,
        mut needs_flush: bool,
    ) -> Result<(), StatusRejected> {
        let id = jc.job;
        let now = ctx.now();
        let spec = Arc::clone(&jc.spec);
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        let job_deleting = api.jobs[id.index()].deletion_timestamp.is_some();
        // The pods to look at: normally those that finished; every pod with the
        // finalizer when the Job is finishing or being deleted.
        let mut list = std::mem::take(&mut self.scratch.finished);
        list.clear();
        if jc.finished_condition.is_some() || job_deleting {
            list.extend(
                api.job_pods[id.index()]
                    .all
                    .iter()
                    .copied()
                    .filter(|&p| api.pods[p].has_tracking_finalizer),
            );
        } else {
            list.extend_from_slice(api.job_pods[id.index()].finished_with_finalizer(&mut api.pods));
        }
        if indexed {
            list.sort_by_key(|&p| {
                (
                    api.pods[p].completion_index.map_or(-1, i64::from),
                    api.pods[p].uid,
                )
            });
        } else {
            list.sort_by_key(|&p| api.pods[p].uid);
        }

        let finished_is_failure = jc.finished_condition.as_ref().is_some_and(|c| {
            c.condition_type != JobConditionType::SuccessCriteriaMet
                && c.condition_type != JobConditionType::Complete
        });
        let mut to_remove = std::mem::take(&mut self.scratch.to_remove);
        to_remove.clear();
        let mut new_succeeded_indexes: Vec<u32> = Vec::new();
        let (mut uncounted_succeeded, mut uncounted_failed, mut ignored) = (0i32, 0i32, 0u64);
        let mut reached_max_uncounted = false;
        for &p in &list {
            let pod = &api.pods[p];
            // A pod this sync deleted is still active in the sync's (informer) view: under
            // SuccessCriteriaMet it is not counted at all (upstream
            // "succeeding job by JobSuccessPolicy").
            let consider_failed = if self.scratch.deleted_in_sync.binary_search(&p).is_ok() {
                pod.phase == PodPhase::Failed
            } else {
                is_pod_failed(pod, &spec)
            };
            if !can_remove_finalizer(jc, job_deleting, p, pod, consider_failed) {
                continue;
            }
            let mut counted = CountedAs::Nothing;
            if pod.phase == PodPhase::Succeeded {
                counted = CountedAs::UncountedSuccess;
                if indexed {
                    if let Some(ix) = valid_index(pod, &spec)
                        && !jc.prev_succeeded.has(ix)
                        && new_succeeded_indexes.last() != Some(&ix)
                    {
                        new_succeeded_indexes.push(ix);
                        counted = CountedAs::Success;
                    }
                } else {
                    uncounted_succeeded += 1;
                    counted = CountedAs::Success;
                }
            } else if consider_failed || finished_is_failure {
                // When the Job is failing, every pod that did not succeed counts as failed.
                if !indexed || valid_index(pod, &spec).is_some() {
                    let job = &api.jobs[id.index()];
                    if spec.pod_failure_policy.is_some()
                        && !self.policy_match(job, pod).count_failed
                    {
                        counted = CountedAs::IgnoredFailure;
                        ignored += 1;
                    } else {
                        uncounted_failed += 1;
                        counted = CountedAs::Failure;
                    }
                }
            }
            to_remove.push((p, counted));
            if new_succeeded_indexes.len() + (uncounted_succeeded + uncounted_failed) as usize
                >= MAX_UNCOUNTED_PODS
            {
                reached_max_uncounted = true;
                break;
            }
        }
        if indexed {
            jc.draft.new_completed = new_succeeded_indexes;
            if !jc.draft.new_completed.is_empty() || jc.draft.completed_truncated {
                needs_flush = true;
            }
            jc.draft.succeeded =
                (jc.prev_succeeded.total() + jc.draft.new_completed.len() as u64) as i32;
            let status = job_status(api, id);
            if jc.failed_indexes != status.failed_indexes {
                jc.draft.failed_indexes = Some(jc.failed_indexes.clone());
                needs_flush = true;
            }
        }
        if let Some(fc) = jc.finished_condition.take() {
            let status = &api.jobs[id.index()].status;
            jc.finished_condition = Some(match fc.condition_type {
                JobConditionType::FailureTarget => {
                    jc.draft.conditions_mut(status).push(fc.clone());
                    needs_flush = true;
                    new_condition(
                        JobConditionType::Failed,
                        ConditionStatus::True,
                        &fc.reason,
                        &fc.message,
                        now,
                    )
                }
                JobConditionType::SuccessCriteriaMet => {
                    if status
                        .true_condition(JobConditionType::SuccessCriteriaMet)
                        .is_none()
                    {
                        jc.draft.conditions_mut(status).push(fc.clone());
                        needs_flush = true;
                    }
                    new_condition(
                        JobConditionType::Complete,
                        ConditionStatus::True,
                        &fc.reason,
                        &fc.message,
                        now,
                    )
                }
                _ => fc,
            });
        }

        // flushUncountedAndRemoveFinalizers
        if needs_flush {
            self.write_status(api, jc)?;
            self.state(id).backoff = jc.new_backoff;
            needs_flush = false;
        }
        for &(p, counted) in &to_remove {
            api.remove_tracking_finalizer_counted(p, counted);
        }
        self.scratch.to_remove = to_remove;
        self.scratch.finished = list;
        api.ledger.ignored_failures(id, ignored);
        if uncounted_succeeded > 0 || uncounted_failed > 0 {
            jc.draft.succeeded += if indexed { 0 } else { uncounted_succeeded };
            jc.draft.failed += uncounted_failed;
            needs_flush = true;
        }
        let job_finished = !reached_max_uncounted && self.enact_job_finished(jc, api, now);
        if job_finished {
            needs_flush = true;
        }
        if needs_flush {
            self.write_status(api, jc)?;
            if job_finished {
                self.record_job_finished(api, jc);
            }
        }
        if job_finished {
            self.state(id).backoff = BackoffRecord::default();
            // The orphan-pod worker strips finalizers of pods a finished Job left.
            let leftovers: Vec<PodId> = api.job_pods[id.index()]
                .all
                .iter()
                .copied()
                .filter(|&p| api.pods[p].has_tracking_finalizer)
                .collect();
            for p in leftovers {
                api.remove_tracking_finalizer(p);
            }
        }
        Ok(())
    }

    /// Upstream `enactJobFinished`: writes the terminal condition once nothing is
    /// uncounted and (with delayed terminal conditions) no pod is terminating.
    fn enact_job_finished(&self, jc: &mut SyncJobCtx, api: &ApiServer, now: SimTime) -> bool {
        let Some(fc) = jc.finished_condition.clone() else {
            return false;
        };
        if self.cfg.delay_terminal_condition() && jc.terminating.unwrap_or(0) > 0 {
            return false;
        }
        let status = &api.jobs[jc.job.index()].status;
        let conditions = jc.draft.conditions_mut(status);
        ensure_job_condition_status(
            conditions,
            fc.condition_type,
            fc.status,
            &fc.reason,
            &fc.message,
            now,
        );
        if fc.condition_type == JobConditionType::Complete {
            jc.draft.completion_time = Some(api_time(now));
        }
        true
    }

    /// Upstream `recordJobFinished`: the Completed / failure events.
    fn record_job_finished(&self, api: &mut ApiServer, jc: &SyncJobCtx) {
        let Some(fc) = &jc.finished_condition else {
            return;
        };
        if fc.condition_type == JobConditionType::Complete {
            if jc.spec.completions.is_some_and(|c| jc.draft.succeeded > c) {
                api.record_event(
                    jc.job,
                    EventType::Warning,
                    "TooManySucceededPods",
                    EventMessage::Static(
                        "Too many succeeded pods running after completion count reached",
                    ),
                );
            }
            api.record_event(
                jc.job,
                EventType::Normal,
                "Completed",
                EventMessage::Static("Job completed"),
            );
        } else {
            let reason = reason_static(&fc.reason);
            api.record_event(
                jc.job,
                EventType::Warning,
                reason,
                EventMessage::Text(fc.message.clone().into()),
            );
        }
    }

    /// A status write: applies the draft to the stored status.
    fn write_status(&self, api: &mut ApiServer, jc: &mut SyncJobCtx) -> Result<(), StatusRejected> {
        let id = jc.job;
        let completions = jc.spec.completions.unwrap_or(0).max(0) as u32;
        let d = &mut jc.draft;
        let st = &mut api.jobs[id.index()].status;
        if self.cfg.rejects_more_ready_than_active()
            && (d.ready != st.ready || d.active != st.active)
            && d.ready.is_some_and(|r| r > d.active)
        {
            // "cannot set more ready pods than active": nothing of the write lands.
            return Err(StatusRejected);
        }
        st.start_time = d.start_time;
        st.completion_time = d.completion_time;
        st.active = d.active;
        st.ready = d.ready;
        st.terminating = d.terminating;
        st.succeeded = d.succeeded;
        st.failed = d.failed;
        if let Some(c) = d.conditions.take() {
            st.conditions = c;
        }
        if d.completed_truncated {
            st.completed_indexes = st.completed_indexes.truncated(completions).into_owned();
            d.completed_truncated = false;
        }
        let mut touched = std::mem::take(&mut d.new_completed);
        for &ix in &touched {
            st.completed_indexes.insert(ix);
        }
        if let Some(f) = d.failed_indexes.take() {
            if let Some(f) = &f {
                touched.extend(f.iter());
            }
            st.failed_indexes = f;
        }
        for ix in touched {
            api.refresh_index(id, ix);
        }
        api.outbox.push(Notice::JobUpdated {
            job: id,
            spec: false,
        });
        Ok(())
    }
}

/// A status write the API server refused (HTTP 422).
#[derive(Debug)]
pub(crate) struct StatusRejected;

/// The 1.28+ work queue's `ItemExponentialFailureRateLimiter(DefaultJobApiBackOff,
/// MaxJobApiBackOff)`: 1s doubling per requeue, capped at 60s.
fn api_backoff(requeues: u32) -> SimDuration {
    let ms = 1000u64.saturating_mul(1u64 << requeues.min(20));
    SimDuration::from_millis(ms.min(60_000))
}

/// Upstream `canRemoveFinalizer`.
fn can_remove_finalizer(
    jc: &SyncJobCtx,
    job_deleting: bool,
    id: PodId,
    pod: &Pod,
    consider_failed: bool,
) -> bool {
    if job_deleting || jc.finished_condition.is_some() || pod.phase == PodPhase::Succeeded {
        return true;
    }
    if !consider_failed {
        return false;
    }
    if jc.spec.backoff_limit_per_index.is_some()
        && let Some(ix) = pod.completion_index
        && let Ok(pos) = jc.delayed_deletion.binary_search_by_key(&ix, |e| e.0)
    {
        // Kept until the replacement exists, so its failure count can be copied.
        if jc.delayed_deletion[pos].1 == id {
            return false;
        }
    }
    true
}

/// Upstream `pastBackoffLimitOnFailure`: restartCount of pods in Pending/Running
/// against backoffLimit (restartPolicy OnFailure only).
pub(crate) fn past_backoff_limit_on_failure(spec: &JobSpec, restarts: i64) -> bool {
    if spec.template.restart_policy != RestartPolicy::OnFailure {
        return false;
    }
    if spec.backoff_limit == 0 {
        return restarts > 0;
    }
    restarts >= i64::from(spec.backoff_limit)
}

/// `manageJob`'s wantActive: parallelism, bounded by the completions still needed; a
/// work queue keeps what runs once a pod has succeeded.
pub(crate) fn want_active(spec: &JobSpec, active: i32, succeeded: i32) -> i32 {
    match spec.completions {
        None if succeeded > 0 => active,
        None => spec.parallelism,
        Some(c) => (c - succeeded).clamp(0, spec.parallelism.max(0)),
    }
}

/// Upstream `pastActiveDeadline`.
pub(crate) fn past_active_deadline(
    spec: &JobSpec,
    start_time: Option<SimTime>,
    now: SimTime,
) -> bool {
    match (spec.active_deadline_seconds, start_time, spec.suspend) {
        (Some(ads), Some(start), false) => now - start >= secs(ads),
        _ => false,
    }
}

/// `controller.ActivePods` ordering: the pod to delete first sorts first.
pub(crate) fn active_pods_order(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // 1. unassigned < assigned
    if a.node.is_none() != b.node.is_none() {
        return if a.node.is_none() {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // 2. Pending < Unknown < Running
    let phase = |p: &Pod| match p.phase {
        PodPhase::Pending => 0,
        PodPhase::Running => 2,
        _ => 1,
    };
    if phase(a) != phase(b) {
        return phase(a).cmp(&phase(b));
    }
    // 3. not ready < ready
    if a.ready != b.ready {
        return if a.ready {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    // 4. both ready: more recently ready first
    if a.ready && b.ready && a.ready_transition != b.ready_transition {
        return b.ready_transition.cmp(&a.ready_transition);
    }
    // 5. more restarts first
    if a.restart_count != b.restart_count {
        return b.restart_count.cmp(&a.restart_count);
    }
    // 6. newer first (creationTimestamp has second precision; then creation order)
    let (ca, cb) = (
        api_time(a.creation_timestamp),
        api_time(b.creation_timestamp),
    );
    cb.cmp(&ca).then(b.uid.cmp(&a.uid))
}

fn job_status(api: &ApiServer, id: JobId) -> &JobStatus {
    &api.jobs[id.index()].status
}

/// Condition reasons as the `&'static str` the event recorder stores.
fn reason_static(reason: &str) -> &'static str {
    [
        reasons::BACKOFF_LIMIT_EXCEEDED,
        reasons::DEADLINE_EXCEEDED,
        reasons::POD_FAILURE_POLICY,
        reasons::MAX_FAILED_INDEXES_EXCEEDED,
        reasons::FAILED_INDEXES,
        reasons::SUCCESS_POLICY,
        reasons::COMPLETIONS_REACHED,
    ]
    .into_iter()
    .find(|r| *r == reason)
    .unwrap_or("Failed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::ControllerConfig;
    use crate::test_support::spec;
    use crate::version::{FeatureGates, KubeVersion};

    fn controller() -> JobController {
        JobController::new(ControllerConfig {
            version: KubeVersion::NEWEST,
            gates: FeatureGates::defaults_for(KubeVersion::NEWEST),
            sync_batch_period: SimDuration::from_secs(1),
        })
    }

    /// job_controller_test.go TestControllerSyncJob "indexed job repeated indexes" and
    /// "indexed job with indexes outside of range": upstream
    /// `appendDuplicatedIndexPodsForRemoval` keeps the most advanced pod of each index
    /// (last in `controller.ActivePods` order) and removes every other one, and every
    /// pod whose index is at or above completions, whatever `rmAtLeast` says.
    #[test]
    fn duplicate_index_pods_keep_the_most_advanced_and_out_of_range_pods_go() {
        let mut api = ApiServer::new(Vec::new(), true);
        let spec = spec(3, Some(3), CompletionMode::Indexed);
        let job = api.create_job("j".into(), "default".into(), spec.clone());
        let pending_dup = api.create_pod(job, Some(0), None);
        let running = api.create_pod(job, Some(0), None);
        api.update_pod(running, |p| p.phase = PodPhase::Running);
        let other = api.create_pod(job, Some(1), None);
        let out_of_range = api.create_pod(job, Some(5), None);

        let mut jc = controller();
        jc.active_pods_for_removal(&api, job, &spec, 0);
        let mut rm = jc.scratch.pods.clone();
        rm.sort();
        let mut want = vec![pending_dup, out_of_range];
        want.sort();
        assert_eq!(rm, want);
        assert!(!rm.contains(&running) && !rm.contains(&other));

        // rmAtLeast beyond the irregular pods takes the rest in ActivePods order.
        jc.active_pods_for_removal(&api, job, &spec, 3);
        assert_eq!(jc.scratch.pods.len(), 3);
        assert_eq!(jc.scratch.pods[2], other, "pending before running");
    }

    /// NonIndexed Jobs have no duplicates: only `rmAtLeast` pods go.
    #[test]
    fn nonindexed_removal_takes_only_rm_at_least_pods_least_advanced_first() {
        let mut api = ApiServer::new(Vec::new(), true);
        let spec = spec(3, Some(3), CompletionMode::NonIndexed);
        let job = api.create_job("j".into(), "default".into(), spec.clone());
        let running = api.create_pod(job, None, None);
        api.update_pod(running, |p| p.phase = PodPhase::Running);
        let pending = api.create_pod(job, None, None);
        let mut jc = controller();
        jc.active_pods_for_removal(&api, job, &spec, 0);
        assert!(jc.scratch.pods.is_empty());
        jc.active_pods_for_removal(&api, job, &spec, 1);
        assert_eq!(jc.scratch.pods, vec![pending]);
    }
}
