//! Pod-failure back-off (upstream `backoff_utils.go`).
//!
//! v1.27+ keeps, per Job, the number of failures since the last success and the finish
//! time of the latest one; pods are re-created only once
//! `min(10s * 2^(n-1), max)` has passed since that failure.

use sim_core::{SimDuration, SimTime};

use crate::api::{ContainerState, Pod, api_time};

/// `DefaultJobPodFailureBackOff`.
pub const DEFAULT_JOB_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(10);
/// `MaxJobPodFailureBackOff` (v1.28+).
pub const MAX_JOB_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(600);
/// `MaxJobBackOff` (v1.21–v1.27).
pub const MAX_JOB_BACKOFF_LEGACY: SimDuration = SimDuration::from_secs(360);

/// Upstream `backoffRecord` (the key is the Job's row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackoffRecord {
    /// Failures since the last success.
    pub failures_after_last_success: i32,
    /// Finish time of the latest of them.
    pub last_failure_time: Option<SimTime>,
}

impl BackoffRecord {
    /// Upstream `newBackoffRecord`: the record after this sync's newly finished pods,
    /// given their finish times sorted ascending.
    pub fn next(self, new_succeeded: &[SimTime], new_failed: &[SimTime]) -> BackoffRecord {
        let mut b = self;
        match (new_succeeded.last(), new_failed.last()) {
            (None, None) => b,
            (None, Some(&last_failure)) => {
                b.failures_after_last_success += new_failed.len() as i32;
                b.last_failure_time = Some(last_failure);
                b
            }
            (Some(_), None) => BackoffRecord::default(),
            (Some(&last_success), Some(_)) => {
                b = BackoffRecord::default();
                for &failed_time in new_failed.iter().rev() {
                    if failed_time <= last_success {
                        break;
                    }
                    b.last_failure_time.get_or_insert(failed_time);
                    b.failures_after_last_success += 1;
                }
                b
            }
        }
    }

    /// Upstream `getRemainingTime`.
    pub fn remaining_time(
        &self,
        now: SimTime,
        default: SimDuration,
        max: SimDuration,
    ) -> SimDuration {
        remaining_time_for_failures_count(
            now,
            default,
            max,
            self.failures_after_last_success,
            self.last_failure_time,
        )
    }
}

/// Upstream `getRemainingTimeForFailuresCount`.
pub fn remaining_time_for_failures_count(
    now: SimTime,
    default: SimDuration,
    max: SimDuration,
    failures: i32,
    last_failure_time: Option<SimTime>,
) -> SimDuration {
    let Some(last) = last_failure_time else {
        return SimDuration::ZERO;
    };
    if failures <= 0 {
        return SimDuration::ZERO;
    }
    let mut backoff = default;
    for _ in 1..failures {
        backoff = backoff.saturating_mul(2);
        if backoff >= max {
            backoff = max;
            break;
        }
    }
    let elapsed = now - last;
    if backoff < elapsed {
        SimDuration::ZERO
    } else {
        backoff - elapsed
    }
}

/// Upstream `getFinishedTime`: the latest container finishedAt, else the Ready=False
/// transition, else deletionTimestamp minus the grace period, else creation.
pub fn finish_time(pod: &Pod) -> SimTime {
    if let ContainerState::Terminated { finished_at, .. } = pod.container {
        return finished_at;
    }
    if !pod.ready
        && let Some(t) = pod.ready_transition
    {
        return t;
    }
    if let (Some(ts), Some(grace)) = (pod.deletion_timestamp, pod.deletion_grace_period) {
        return api_time(ts.saturating_sub(grace));
    }
    api_time(pod.creation_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn backoff_doubles_from_ten_seconds_and_caps() {
        let r = |n| {
            remaining_time_for_failures_count(
                t(100),
                DEFAULT_JOB_POD_FAILURE_BACKOFF,
                MAX_JOB_POD_FAILURE_BACKOFF,
                n,
                Some(t(100)),
            )
            .as_secs()
        };
        let got: Vec<u64> = (1..=9).map(r).collect();
        assert_eq!(got, [10, 20, 40, 80, 160, 320, 600, 600, 600]);
        assert_eq!(r(0), 0);
    }

    #[test]
    fn remaining_time_counts_from_the_last_failure() {
        let rec = BackoffRecord {
            failures_after_last_success: 2,
            last_failure_time: Some(t(10)),
        };
        assert_eq!(
            rec.remaining_time(
                t(15),
                DEFAULT_JOB_POD_FAILURE_BACKOFF,
                MAX_JOB_POD_FAILURE_BACKOFF
            )
            .as_secs(),
            15
        );
        assert_eq!(
            rec.remaining_time(
                t(30),
                DEFAULT_JOB_POD_FAILURE_BACKOFF,
                MAX_JOB_POD_FAILURE_BACKOFF
            )
            .as_secs(),
            0
        );
        assert_eq!(
            rec.remaining_time(
                t(31),
                DEFAULT_JOB_POD_FAILURE_BACKOFF,
                MAX_JOB_POD_FAILURE_BACKOFF
            )
            .as_secs(),
            0
        );
    }

    // backoff_utils_test.go TestNewBackoffRecord cases.
    #[test]
    fn new_backoff_record_follows_upstream_cases() {
        let old = BackoffRecord {
            failures_after_last_success: 0,
            last_failure_time: None,
        };
        assert_eq!(old.next(&[], &[]), old);
        let r = old.next(&[], &[t(5), t(10)]);
        assert_eq!(
            r,
            BackoffRecord {
                failures_after_last_success: 2,
                last_failure_time: Some(t(10))
            }
        );
        assert_eq!(r.next(&[t(20)], &[]), BackoffRecord::default());
        // failures after the latest success count; equal timestamps do not
        let r2 = r.next(&[t(10)], &[t(5), t(10), t(12), t(15)]);
        assert_eq!(
            r2,
            BackoffRecord {
                failures_after_last_success: 2,
                last_failure_time: Some(t(15))
            }
        );
        let r3 = r.next(&[t(20)], &[t(5)]);
        assert_eq!(r3, BackoffRecord::default());
    }
}
