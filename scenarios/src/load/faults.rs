//! The `faults:` timeline: actions on Jobs and on nodes, each checked against what the
//! scenario defines.

use super::*;

impl Loader<'_> {
    pub(super) fn faults(
        &mut self,
        docs: &[FaultDoc],
        jobs: &[JobTemplate],
        gates: &FeatureGates,
    ) -> Vec<JobFault> {
        let mut out = Vec::new();
        for (i, f) in docs.iter().enumerate() {
            let path = format!("faults[{i}]");
            let cluster_actions = [
                ("nodeDown", f.node_down.is_some()),
                ("drain", f.drain.is_some()),
                ("kubeletRestart", f.kubelet_restart.is_some()),
                ("nodePressure", f.node_pressure.is_some()),
                ("outOfService", f.out_of_service.is_some()),
            ];
            let job_actions = [
                ("suspend", f.suspend.as_ref().map(|r| r.job.as_str())),
                ("resume", f.resume.as_ref().map(|r| r.job.as_str())),
                ("scale", f.scale.as_ref().map(|r| r.job.as_str())),
                ("deleteJob", f.delete_job.as_ref().map(|r| r.job.as_str())),
                ("deletePods", f.delete_pods.as_ref().map(|r| r.job.as_str())),
                ("evict", f.evict.as_ref().map(|r| r.job.as_str())),
                ("preempt", f.preempt.as_ref().map(|r| r.job.as_str())),
            ];
            let given: Vec<&str> = cluster_actions
                .iter()
                .filter(|(_, p)| *p)
                .map(|(k, _)| *k)
                .chain(
                    job_actions
                        .iter()
                        .filter(|(_, j)| j.is_some())
                        .map(|(k, _)| *k),
                )
                .collect();
            if given.len() != 1 {
                self.err(
                    &path,
                    format!(
                        "a fault has `at` and exactly one action (suspend, resume, scale, deleteJob, deletePods, evict, preempt, nodeDown, drain, kubeletRestart, nodePressure, outOfService); got {}",
                        if given.is_empty() { "none".to_string() } else { given.join(", ") }
                    ),
                );
                continue;
            }
            let Some((key, Some(name))) = job_actions.iter().find(|(_, j)| j.is_some()).copied()
            else {
                continue;
            };
            let job_path = format!("{path}.{key}.job");
            if !self.job_names.iter().any(|n| n == name) {
                let names: Vec<String> = self.job_names.iter().take(8).cloned().collect();
                self.err(
                    &job_path,
                    format!(
                        "no Job {name:?} in the scenario (Jobs: {})",
                        names.join(", ")
                    ),
                );
                continue;
            }
            // A Job whose manifest was invalid has been reported already.
            let Some(template) = jobs
                .iter()
                .find(|t| t.instance_names().iter().any(|n| n == name))
            else {
                continue;
            };
            if matches!(key, "suspend" | "resume")
                && !gates.enabled(job_model::version::FeatureGate::SuspendJob)
            {
                self.warnings.push(self.src.at(
                    &format!("{path}.{key}"),
                    "has no effect: the API server drops spec.suspend while the SuspendJob feature gate is off",
                ));
            }
            let action = match key {
                "suspend" => JobAction::Suspend,
                "resume" => JobAction::Resume,
                "deleteJob" => JobAction::Delete,
                "deletePods" | "evict" | "preempt" => {
                    let doc = match key {
                        "evict" => &f.evict,
                        "preempt" => &f.preempt,
                        _ => &f.delete_pods,
                    };
                    let count = doc.as_ref().map_or(1, |d| d.count.unwrap_or(1));
                    if count == 0 {
                        self.err(&format!("{path}.{key}.count"), "must be at least 1");
                        continue;
                    }
                    match key {
                        "evict" => JobAction::Evict { count },
                        "preempt" => JobAction::Preempt { count },
                        _ => JobAction::DeletePods { count },
                    }
                }
                _ => {
                    let Some(sc) = f.scale.as_ref() else {
                        continue;
                    };
                    // The update is validated against the spec as the earlier scale
                    // faults of this Job left it.
                    let mut spec = template.spec.clone();
                    for (j, earlier) in docs.iter().enumerate() {
                        if let Some(e) = &earlier.scale
                            && e.job == sc.job
                            && (earlier.at.0, j) < (f.at.0, i)
                        {
                            if let Some(p) = e.parallelism {
                                spec.parallelism = p;
                            }
                            if e.completions.is_some() {
                                spec.completions = e.completions;
                            }
                        }
                    }
                    match self.scale(&format!("{path}.scale"), sc, &spec, gates) {
                        Some(a) => a,
                        None => continue,
                    }
                }
            };
            out.push(JobFault {
                at: f.at.0,
                job: name.to_string(),
                action,
            });
        }
        out
    }

    /// The node actions of the timeline, each naming nodes and pools that exist.
    pub(super) fn node_faults(&mut self, docs: &[FaultDoc], pools: &[NodePool]) -> Vec<NodeFault> {
        let node_exists = |name: &str| {
            pools.iter().any(|p| {
                name.strip_prefix(&format!("{}-", p.name))
                    .and_then(|i| i.parse::<u32>().ok())
                    .is_some_and(|i| {
                        i < p.count && i.to_string().len() == name.len() - p.name.len() - 1
                    })
            })
        };
        let mut out = Vec::new();
        for (i, f) in docs.iter().enumerate() {
            let path = format!("faults[{i}]");
            for (key, doc) in [
                ("drain", &f.drain),
                ("kubeletRestart", &f.kubelet_restart),
                ("nodePressure", &f.node_pressure),
                ("outOfService", &f.out_of_service),
            ] {
                let Some(d) = doc else { continue };
                if !node_exists(&d.node) {
                    self.err(
                        &format!("{path}.{key}.node"),
                        format!("no node {:?} in the cluster (nodes are <pool>-<i>)", d.node),
                    );
                    continue;
                }
                let node = d.node.clone();
                let action = match key {
                    "drain" => NodeAction::Drain { node },
                    "kubeletRestart" => NodeAction::KubeletRestart { node },
                    "outOfService" => NodeAction::OutOfService { node },
                    _ => NodeAction::NodePressure { node },
                };
                out.push(NodeFault { at: f.at.0, action });
            }
            if let Some(d) = &f.node_down {
                let p = format!("{path}.nodeDown");
                let target = match (&d.node, &d.pool, d.count) {
                    (Some(node), None, None) => {
                        if !node_exists(node) {
                            self.err(
                                &format!("{p}.node"),
                                format!("no node {node:?} in the cluster (nodes are <pool>-<i>)"),
                            );
                            continue;
                        }
                        NodeTarget::Node(node.clone())
                    }
                    (None, Some(pool), count) => {
                        let Some(pl) = pools.iter().find(|x| &x.name == pool) else {
                            let names: Vec<&str> = pools.iter().map(|x| x.name.as_str()).collect();
                            self.err(
                                &format!("{p}.pool"),
                                format!("no node pool {pool:?} (pools: {})", names.join(", ")),
                            );
                            continue;
                        };
                        let count = count.unwrap_or(1);
                        if count == 0 || count > pl.count {
                            self.err(
                                &format!("{p}.count"),
                                format!(
                                    "{count}: must be between 1 and the pool's {} nodes",
                                    pl.count
                                ),
                            );
                            continue;
                        }
                        NodeTarget::Pool {
                            pool: pool.clone(),
                            count,
                        }
                    }
                    _ => {
                        self.err(&p, "give `node`, or `pool` with an optional `count`");
                        continue;
                    }
                };
                if let Some(d) = d.down_for
                    && d.0.is_zero()
                {
                    self.err(
                        &format!("{p}.for"),
                        "must be greater than 0s (leave `for` out: gone for good)",
                    );
                    continue;
                }
                out.push(NodeFault {
                    at: f.at.0,
                    action: NodeAction::Down {
                        target,
                        duration: d.down_for.map(|d| d.0),
                    },
                });
            }
        }
        out
    }

    /// Validates a `scale` as the API server validates the Job update.
    pub(super) fn scale(
        &mut self,
        path: &str,
        sc: &ScaleDoc,
        spec: &job_model::api::JobSpec,
        gates: &FeatureGates,
    ) -> Option<JobAction> {
        let before = self.errors.len();
        if sc.parallelism.is_none() && sc.completions.is_none() {
            self.err(path, "give `parallelism`, `completions` or both");
        }
        for (key, v) in [
            ("parallelism", sc.parallelism),
            ("completions", sc.completions),
        ] {
            if let Some(v) = v
                && v < 0
            {
                self.err(
                    &format!("{path}.{key}"),
                    format!("spec.{key}: Invalid value: {v}: must be greater than or equal to 0"),
                );
            }
        }
        let indexed = spec.completion_mode == CompletionMode::Indexed;
        if let Some(p) = sc.parallelism
            && indexed
            && p > job_model::api::validation::MAX_PARALLELISM_FOR_INDEXED_JOB
        {
            self.err(
                &format!("{path}.parallelism"),
                format!("spec.parallelism: Invalid value: {p}: must be less than or equal to 100000 when completion mode is Indexed"),
            );
        }
        if let Some(c) = sc.completions
            && Some(c) != spec.completions
        {
            let elastic = indexed && gates.enabled(FeatureGate::ElasticIndexedJob);
            if !elastic {
                self.err(
                    &format!("{path}.completions"),
                    format!("spec.completions: Invalid value: {c}: field is immutable"),
                );
            } else if sc.parallelism.unwrap_or(spec.parallelism) != c {
                // validateCompletions: the new completions must equal the new parallelism.
                self.err(
                    &format!("{path}.completions"),
                    format!("spec.completions: Invalid value: {c}: can only be modified in tandem with spec.parallelism"),
                );
            } else {
                for e in job_model::api::validation::validate_completions_update(spec, c) {
                    self.err(&format!("{path}.completions"), e.to_string());
                }
            }
        }
        (self.errors.len() == before).then_some(JobAction::Scale {
            parallelism: sc.parallelism,
            completions: sc.completions,
        })
    }
}
