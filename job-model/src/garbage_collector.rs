//! What happens to a Job's pods when the Job is deleted: the garbage collector deletes
//! the dependents (pods carry an ownerReference to their Job), and the Job controller's
//! orphan handling strips the job-tracking finalizer of pods whose Job is gone.
//!
//! Background propagation (`kubectl delete job`, the default) removes the Job at once
//! and its pods afterwards; foreground propagation (the TTL-after-finished controller)
//! sets the Job's deletionTimestamp, deletes the pods, and removes the Job once none
//! is left.

use crate::api::DeletionCause;
use crate::api_server::ApiServer;
use crate::store::JobId;

/// How a Job deletion propagates to its pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// The Job goes first, then its pods.
    Background,
    /// The pods go first, then the Job.
    Foreground,
}

/// Deletes `job` with `propagation`.
pub fn delete_job(api: &mut ApiServer, job: JobId, propagation: Propagation) {
    if api.live_job(job).is_none() {
        return;
    }
    match propagation {
        Propagation::Background => api.remove_job(job),
        Propagation::Foreground => api.mark_job_deleting(job),
    }
    delete_dependents(api, job);
    finish_foreground_deletion(api, job);
}

/// The garbage collector deletes every pod of `job` (with the pod's own grace period)
/// and the orphan handling removes their tracking finalizers.
fn delete_dependents(api: &mut ApiServer, job: JobId) {
    let pods = api.job_pods[job.index()].all.clone();
    for p in pods {
        if api.pods.get(p).is_none() {
            continue;
        }
        api.delete_pod(p, None, DeletionCause::JobDeleted);
        api.remove_tracking_finalizer(p);
    }
}

/// A Job being deleted in the foreground leaves the store once its last pod is gone.
pub fn finish_foreground_deletion(api: &mut ApiServer, job: JobId) {
    let j = &api.jobs[job.index()];
    if j.removed_at.is_none()
        && j.deletion_timestamp.is_some()
        && api.job_pods[job.index()].all.is_empty()
    {
        api.remove_job(job);
    }
}
