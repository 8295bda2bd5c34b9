//! `behavior:` of a Job: start-up, run time, failures, scripted attempts, overrides.

use super::*;

impl Loader<'_> {
    pub(super) fn behavior(
        &mut self,
        path: &str,
        b: Option<&BehaviorDoc>,
        spec: &job_model::api::JobSpec,
    ) -> Option<Behavior> {
        let mut out = Behavior {
            runtime: Distribution::Fixed(DEFAULT_RUNTIME),
            ..Behavior::default()
        };
        let Some(b) = b else {
            return Some(out);
        };
        let before = self.errors.len();
        let o = self.behavior_override(
            path,
            &BehaviorOverrideDoc {
                startup: b.startup.clone(),
                runtime: b.runtime.clone(),
                failures: None,
                attempts: None,
                termination: None,
            },
        );
        if let Some(d) = o.startup {
            out.startup = d;
        }
        if let Some(d) = o.runtime {
            out.runtime = d;
        }
        if let Some(f) = &b.failures {
            out.failures = self.failures(&format!("{path}.failures"), f);
        }
        if let Some(a) = &b.attempts {
            out.attempts = self.attempts(&format!("{path}.attempts"), a);
        }
        if let Some(t) = &b.termination
            && let Some(t) = self.termination(&format!("{path}.termination"), t)
        {
            out.termination = t;
        }
        if let Some(q) = &b.memory_usage {
            out.memory_usage = self
                .quantity(&format!("{path}.memoryUsage"), q)
                .map(|q| q.value().max(0) as u64);
            if spec.template.memory_limit.is_none() {
                self.warnings.push(self.src.at(
                    &format!("{path}.memoryUsage"),
                    "the pod template sets no memory limit, so memoryUsage never triggers the OOM killer",
                ));
            }
        }
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        if let Some(ix) = &b.indexes {
            let p = format!("{path}.indexes");
            if !indexed {
                self.err(&p, "`indexes` applies to Indexed Jobs; use `pods` (creation ordinals) for NonIndexed Jobs");
            } else {
                let completions = spec.completions.unwrap_or(0).max(0) as u32;
                out.indexes = self.overrides(&p, ix, u32::MAX, "completion indexes");
                // An index beyond completions is not an error: a variant may lower
                // completions, and a `scale` fault may raise them.
                for (key, (oi, _)) in ix.keys().zip(&out.indexes) {
                    if oi.intervals().last().is_some_and(|i| i.last >= completions) {
                        self.warnings.push(self.src.at(
                            &child(&p, key),
                            format!("indexes {key:?} reach beyond spec.completions ({completions}); they apply only if the Job is scaled up"),
                        ));
                    }
                }
            }
        }
        if let Some(pods) = &b.pods {
            let p = format!("{path}.pods");
            if indexed {
                self.err(
                    &p,
                    "`pods` applies to NonIndexed Jobs; use `indexes` for Indexed Jobs",
                );
            } else {
                out.pods = self.overrides(&p, pods, u32::MAX, "pod ordinals");
            }
        }
        (self.errors.len() == before).then_some(out)
    }

    pub(super) fn overrides(
        &mut self,
        path: &str,
        entries: &indexmap::IndexMap<String, BehaviorOverrideDoc>,
        limit: u32,
        what: &str,
    ) -> Vec<(OrderedIntervals, BehaviorOverride)> {
        let mut out = Vec::new();
        for (key, doc) in entries {
            let p = child(path, key);
            match OrderedIntervals::parse_strict(key, limit) {
                Ok(oi) => {
                    let o = self.behavior_override(&p, doc);
                    out.push((oi, o));
                }
                Err(e) => self.err(
                    &p,
                    format!("{key:?} is not a list of {what} (\"0,2-4\"): {e}"),
                ),
            }
        }
        out
    }

    pub(super) fn behavior_override(
        &mut self,
        path: &str,
        d: &BehaviorOverrideDoc,
    ) -> BehaviorOverride {
        BehaviorOverride {
            startup: d.startup.clone().map(|d| d.0),
            runtime: d.runtime.clone().map(|d| d.0),
            failures: d
                .failures
                .as_ref()
                .map(|f| self.failures(&format!("{path}.failures"), f)),
            attempts: d
                .attempts
                .as_ref()
                .map(|a| self.attempts(&format!("{path}.attempts"), a)),
            termination: d
                .termination
                .as_ref()
                .and_then(|t| self.termination(&format!("{path}.termination"), t)),
        }
    }

    pub(super) fn exit(
        &mut self,
        path: &str,
        code: Option<i32>,
        oom: Option<bool>,
        failure: bool,
    ) -> Option<ContainerExit> {
        let oom = oom.unwrap_or(false);
        let exit = match (code, oom) {
            (Some(c), true) if c != 137 => {
                self.err(
                    &format!("{path}.exitCode"),
                    "an OOM-killed container exits 137; drop exitCode or set it to 137",
                );
                return None;
            }
            (_, true) => ContainerExit {
                exit_code: 137,
                oom_killed: true,
            },
            (Some(c), false) => ContainerExit {
                exit_code: c,
                oom_killed: false,
            },
            (None, false) if failure => {
                self.err(
                    path,
                    "a failure needs a non-zero `exitCode` or `oomKilled: true`",
                );
                return None;
            }
            (None, false) => ContainerExit::SUCCESS,
        };
        if !(0..=255).contains(&exit.exit_code) {
            self.err(
                &format!("{path}.exitCode"),
                format!("{} is not an exit code (0..255)", exit.exit_code),
            );
            return None;
        }
        if failure && exit.is_success() {
            self.err(&format!("{path}.exitCode"), "a failure must not exit 0");
            return None;
        }
        Some(exit)
    }

    pub(super) fn failures(&mut self, path: &str, f: &[FailureDoc]) -> Vec<FailureMode> {
        let mut out = Vec::new();
        for (i, d) in f.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if !(0.0..=1.0).contains(&d.probability) {
                self.err(
                    &format!("{p}.probability"),
                    format!("{} is not a probability in [0, 1]", d.probability),
                );
                continue;
            }
            if let Some(exit) = self.exit(&p, d.exit_code, d.oom_killed, true) {
                out.push(FailureMode {
                    probability: d.probability,
                    exit,
                    after: d.after.clone().map(|a| a.0),
                });
            }
        }
        out
    }

    pub(super) fn attempts(&mut self, path: &str, a: &[AttemptDoc]) -> Vec<ScriptedRun> {
        let mut out = Vec::new();
        for (i, d) in a.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(exit) = self.exit(&p, d.exit_code, d.oom_killed, false) {
                out.push(ScriptedRun {
                    exit,
                    after: d.after.clone().map(|a| a.0),
                });
            }
        }
        out
    }

    pub(super) fn termination(
        &mut self,
        path: &str,
        t: &TerminationDoc,
    ) -> Option<TerminationBehavior> {
        match (&t.after, t.ignores_sigterm) {
            (Some(_), Some(true)) => {
                self.err(path, "give `after` or `ignoresSigterm: true`, not both (a variant patch that sets one removes the other with `after: null` or `ignoresSigterm: null`)");
                None
            }
            (_, Some(true)) => Some(TerminationBehavior::IgnoresSigterm),
            (Some(a), _) => Some(TerminationBehavior::Exits(a.0.clone())),
            (None, _) => Some(TerminationBehavior::default()),
        }
    }
}
