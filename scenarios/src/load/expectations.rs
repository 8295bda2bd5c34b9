//! The `expect:` entries, checked against the Jobs and variants of the scenario.

use super::*;

impl Loader<'_> {
    pub(super) fn expectations(
        &mut self,
        docs: &[ExpectDoc],
        horizon: SimDuration,
    ) -> Vec<Expectation> {
        let names = self.job_names.clone();
        let mut out = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            let path = format!("expect[{i}]");
            let before = self.errors.len();
            self.not_supported_yet(&format!("{path}.sweep"), d.sweep.is_some());
            if let Some(v) = &d.variant
                && !self.variant_names.contains(v)
            {
                let names = self.variant_names.join(", ");
                self.err(
                    &format!("{path}.variant"),
                    format!("no variant {v:?} in the scenario (variants: {names})"),
                );
            }
            let job = match &d.job {
                Some(j) if names.contains(j) => j.clone(),
                Some(j) => {
                    let mut known = names.clone();
                    known.truncate(8);
                    self.err(
                        &format!("{path}.job"),
                        format!("no Job {j:?} in the scenario (Jobs: {})", known.join(", ")),
                    );
                    continue;
                }
                None => {
                    if d.sweep.is_none() {
                        self.err(&path, "an expectation needs `job:` (the Job it is about)");
                    }
                    continue;
                }
            };
            let at = d.at.map(|a| SimTime::ZERO + a.0);
            if let Some(a) = d.at
                && a.0 > horizon
            {
                self.err(
                    &format!("{path}.at"),
                    format!("{} is after the horizon ({horizon})", a.0),
                );
            }
            let condition_type = |l: &mut Self, p: &str, t: &str| match JobConditionType::parse(t) {
                Some(t) => Some(t),
                None => {
                    l.err(
                        p,
                        format!("unknown Job condition type {t:?}; expected Complete, Failed, FailureTarget, SuccessCriteriaMet or Suspended"),
                    );
                    None
                }
            };
            let condition = d.condition.as_ref().and_then(|c| {
                let t = condition_type(self, &format!("{path}.condition.type"), &c.condition_type)?;
                let status = match c.status.as_deref() {
                    None | Some("True") => ConditionStatus::True,
                    Some("False") => ConditionStatus::False,
                    Some("Unknown") => ConditionStatus::Unknown,
                    Some(other) => {
                        self.err(
                            &format!("{path}.condition.status"),
                            format!("{other:?}: expected True, False or Unknown"),
                        );
                        return None;
                    }
                };
                Some(ConditionCheck {
                    condition_type: t,
                    status,
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                    at: c.at,
                })
            });
            let no_condition = d
                .no_condition
                .as_ref()
                .and_then(|t| condition_type(self, &format!("{path}.noCondition"), t));
            let mut status = Vec::new();
            if let Some(st) = &d.status {
                for (name, v) in [
                    ("active", st.active),
                    ("ready", st.ready),
                    ("succeeded", st.succeeded),
                    ("failed", st.failed),
                    ("terminating", st.terminating),
                ] {
                    if let Some(v) = v {
                        status.push(StatusCheck::Counter(name, v));
                    }
                }
                if let Some(v) = &st.completed_indexes {
                    status.push(StatusCheck::CompletedIndexes(v.clone().unwrap_or_default()));
                }
                if let Some(v) = &st.failed_indexes {
                    status.push(StatusCheck::FailedIndexes(v.clone()));
                }
                if let Some(v) = st.start_time {
                    status.push(StatusCheck::StartTime(v));
                }
                if let Some(v) = st.completion_time {
                    status.push(StatusCheck::CompletionTime(v));
                }
            }
            let mut metrics = Vec::new();
            // Metrics are the run's: measured at its end even in an entry with `at`
            // (as in SCENARIOS.md's own example).
            if let Some(m) = &d.metrics {
                if let Some(o) = &m.outcome {
                    if !["Complete", "Failed", "Unfinished", "Deleted"].contains(&o.as_str()) {
                        self.err(
                            &format!("{path}.metrics.outcome"),
                            format!("{o:?}: expected Complete, Failed, Unfinished or Deleted"),
                        );
                    }
                    metrics.push(MetricCheck::Outcome(o.clone()));
                }
                if let Some(v) = m.completion_time {
                    metrics.push(MetricCheck::CompletionTime(v));
                }
                if let Some(v) = m.interim_time {
                    metrics.push(MetricCheck::InterimTime(v));
                }
                for (name, v) in [
                    ("retries", m.retries),
                    ("podsCreated", m.pods_created),
                    ("containerRestarts", m.container_restarts),
                    ("ignoredFailures", m.ignored_failures),
                ] {
                    if let Some(v) = v {
                        metrics.push(MetricCheck::Count(name, v));
                    }
                }
                for (name, v) in [
                    ("usefulPodSeconds", m.useful_pod_seconds),
                    ("wastedPodSeconds", m.wasted_pod_seconds),
                ] {
                    if let Some(v) = v {
                        metrics.push(MetricCheck::Seconds(name, v));
                    }
                }
            }
            let checks_something = condition.is_some()
                || no_condition.is_some()
                || !status.is_empty()
                || d.events.as_ref().is_some_and(|e| !e.is_empty())
                || d.pods_created.is_some()
                || !metrics.is_empty();
            if !checks_something && self.errors.len() == before {
                self.err(
                    &path,
                    "this expectation checks nothing; give `condition`, `noCondition`, `status`, `events`, `podsCreated` or `metrics`",
                );
            }
            if self.errors.len() > before {
                continue;
            }
            out.push(Expectation {
                index: i,
                at_location: self.src.map.locate(&path),
                job,
                variant: d.variant.clone(),
                at,
                condition,
                no_condition,
                status,
                events: d
                    .events
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect(),
                pods_created: d.pods_created.clone(),
                metrics,
            });
        }
        out
    }
}

/// The `expect:` fields where `null` is an expectation (the field absent or unset).
const NULLABLE: &[&str] = &[
    "status.active",
    "status.ready",
    "status.succeeded",
    "status.failed",
    "status.terminating",
    "status.completedIndexes",
    "status.failedIndexes",
    "status.startTime",
    "status.completionTime",
    "metrics.completionTime",
    "metrics.interimTime",
];

/// Every other `null` in an `expect:` entry would leave a check silently undone: an
/// error at its path.
pub(super) fn null_diagnostics(doc: &Value, src: &Source<'_>) -> Vec<Diagnostic> {
    fn walk(v: &Value, rel: &str, path: &str, src: &Source<'_>, out: &mut Vec<Diagnostic>) {
        match v {
            Value::Null if !NULLABLE.contains(&rel) => out.push(src.at(
                path,
                "null is not an expectation here; give a value or leave the key out",
            )),
            Value::Object(m) => {
                for (k, v) in m {
                    let rel = if rel.is_empty() {
                        k.clone()
                    } else {
                        format!("{rel}.{k}")
                    };
                    walk(v, &rel, &child(path, k), src, out);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, &format!("{rel}[{i}]"), &format!("{path}[{i}]"), src, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(Value::Array(entries)) = doc.get("expect") {
        for (i, e) in entries.iter().enumerate() {
            walk(e, "", &format!("expect[{i}]"), src, &mut out);
        }
    }
    out
}
