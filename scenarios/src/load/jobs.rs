//! The `jobs:` entries: manifests (inline or from files), their strict decoding and
//! admission, priority classes, arrivals.

use super::*;

impl Loader<'_> {
    pub(super) fn job(
        &mut self,
        name: &str,
        j: &JobDoc,
        gates: (KubeVersion, &FeatureGates),
    ) -> Option<JobTemplate> {
        let path = format!("jobs.{name}");
        let admitted = match (&j.manifest, &j.job) {
            (Some(_), Some(_)) => {
                self.err(&path, "give either `manifest` or `job`, not both");
                None
            }
            (None, None) => {
                self.err(
                    &path,
                    "a Job needs `manifest: <path>` or an inline `job:` manifest",
                );
                None
            }
            (None, Some(inline)) => {
                let map = self.src.map.clone();
                let file = self.src.file.to_string();
                self.manifest(name, inline, &file, &map, &format!("{path}.job"), gates)
            }
            (Some(rel), None) => self.manifest_file(name, rel, &format!("{path}.manifest"), gates),
        };
        let arrivals = self.arrivals(&path, j.arrivals.as_ref());
        let spec = admitted?;
        let behavior = self.behavior(&format!("{path}.behavior"), j.behavior.as_ref(), &spec)?;
        Some(JobTemplate {
            name: name.to_string(),
            namespace: "default".to_string(),
            spec,
            arrivals: arrivals?,
            behavior,
        })
    }

    pub(super) fn manifest_file(
        &mut self,
        name: &str,
        rel: &str,
        path: &str,
        gates: (KubeVersion, &FeatureGates),
    ) -> Option<job_model::api::JobSpec> {
        let Some(dir) = &self.dir else {
            self.err(
                path,
                "an embedded scenario cannot name manifest files; inline the Job with `job:`",
            );
            return None;
        };
        let full = dir.join(rel);
        let file = full.display().to_string();
        let text = match std::fs::read_to_string(&full) {
            Ok(t) => t,
            Err(e) => {
                self.err(path, format!("cannot read manifest {file}: {e}"));
                return None;
            }
        };
        match yaml::parse(&text) {
            Ok((value, map)) => self.manifest(name, &value, &file, &map, "", gates),
            Err(e) => {
                self.errors.push(Diagnostic {
                    file,
                    at: Some(e.at),
                    path: e.path,
                    message: e.message,
                });
                None
            }
        }
    }

    /// Checks, decodes and admits one Job manifest found at `prefix` of `file`.
    pub(super) fn manifest(
        &mut self,
        name: &str,
        value: &Value,
        file: &str,
        map: &SourceMap,
        prefix: &str,
        gates: (KubeVersion, &FeatureGates),
    ) -> Option<job_model::api::JobSpec> {
        let src = Source { file, map };
        let before = self.errors.len();
        let at = |p: &str| join(prefix, p);
        let Some(obj) = value.as_object() else {
            self.errors
                .push(src.at(prefix, "expected a batch/v1 Job manifest (a mapping)"));
            return None;
        };
        if obj.get("apiVersion").and_then(Value::as_str) != Some("batch/v1") {
            self.errors.push(src.at(
                &at("apiVersion"),
                format!(
                    "expected \"batch/v1\", got {}",
                    obj.get("apiVersion").unwrap_or(&Value::Null)
                ),
            ));
        }
        if obj.get("kind").and_then(Value::as_str) != Some("Job") {
            self.errors.push(src.at(
                &at("kind"),
                format!(
                    "expected \"Job\", got {}",
                    obj.get("kind").unwrap_or(&Value::Null)
                ),
            ));
        }
        let mut value = value.clone();
        if let Some(patch) = &self.job_spec_patch
            && let Some(spec) = value.as_object_mut().and_then(|o| o.get_mut("spec"))
        {
            json_patch::merge(spec, patch);
        }
        quantities_as_strings(&mut value);
        match value.pointer("/metadata/name").and_then(Value::as_str) {
            Some(n) if n != name => self.errors.push(src.at(
                &at("metadata.name"),
                format!("{n:?} differs from the Job's key {name:?} under `jobs:`; they must match"),
            )),
            Some(_) => {}
            None => {
                // The `jobs:` key names the Job.
                if let Some(meta) = value.as_object_mut().map(|o| {
                    o.entry("metadata")
                        .or_insert_with(|| Value::Object(Default::default()))
                }) && let Some(m) = meta.as_object_mut()
                {
                    m.insert("name".into(), Value::String(name.into()));
                }
            }
        }
        if let Some(ns) = value.pointer("/metadata/namespace").and_then(Value::as_str)
            && ns != "default"
        {
            self.warnings.push(src.at(
                &at("metadata.namespace"),
                format!("namespace {ns:?} has no effect: the simulated cluster has one namespace"),
            ));
        }
        let job: k8s_openapi::api::batch::v1::Job = match deserialize(&value, &src, prefix) {
            Ok(j) => j,
            Err(d) => {
                self.errors.push(d);
                return None;
            }
        };
        // k8s-openapi ignores unknown fields; strict decoding (kubectl --validate=strict)
        // rejects them. Compare the input with what the typed object keeps.
        let kept = serde_json::to_value(&job).unwrap_or(Value::Null);
        let mut unknown = Vec::new();
        unknown_fields(&value, &kept, "", &mut unknown);
        for p in unknown {
            let key = p.rsplit(['.', '[']).next().unwrap_or(&p).to_string();
            self.errors.push(src.at(
                &at(&p),
                format!("unknown field `{key}` in a batch/v1 Job (strict decoding)"),
            ));
        }
        if self.errors.len() > before {
            return None;
        }
        match admit_job(&job, gates.0, gates.1) {
            Ok(a) => {
                for w in a.warnings {
                    self.warnings.push(src.at(prefix, w));
                }
                Some(a.spec)
            }
            Err(errs) => {
                for e in errs {
                    let full = e.to_string();
                    let msg = full
                        .strip_prefix(&format!("{}: ", e.path))
                        .unwrap_or(&full)
                        .to_string();
                    // A field the variant's jobSpec patch set is reported where the
                    // patch writes it, with the API server's own field path.
                    let in_patch = e.path.strip_prefix("spec.").filter(|rest| {
                        self.job_spec_patch
                            .as_ref()
                            .is_some_and(|p| patch_sets(p, rest))
                    });
                    match (in_patch, &self.variant_path) {
                        (Some(rest), Some(vp)) => {
                            // Every Job gets the patch: say which one it breaks.
                            let d = self
                                .src
                                .at(&format!("{vp}.{rest}"), format!("Job {name:?}: {full}"));
                            self.errors.push(d);
                        }
                        _ => self.errors.push(src.at(&at(&e.path), msg)),
                    }
                }
                None
            }
        }
    }

    /// PriorityClass validation: user values up to 1000000000, preemptionPolicy
    /// `PreemptLowerPriority` or `Never`, at most one globalDefault.
    pub(super) fn priority_classes(
        &mut self,
        classes: Option<&indexmap::IndexMap<String, PriorityClassDoc>>,
    ) {
        let mut default: Option<&str> = None;
        for (name, d) in classes.into_iter().flatten() {
            let path = format!("cluster.priorityClasses.{name}");
            let (value, global_default, policy) = d.parts();
            if value > 1_000_000_000 {
                self.err(
                    &path,
                    format!("value: Forbidden: maximum allowed value of a user defined priority is 1000000000 (got {value})"),
                );
            }
            if let Some(p) = policy
                && p != "PreemptLowerPriority"
                && p != "Never"
            {
                self.err(
                    &format!("{path}.preemptionPolicy"),
                    format!("Unsupported value: {p:?}: supported values: \"Never\", \"PreemptLowerPriority\""),
                );
            }
            if global_default {
                if let Some(other) = default {
                    self.err(
                        &format!("{path}.globalDefault"),
                        format!("PriorityClass {other:?} is already marked as default; only one default can exist"),
                    );
                }
                default = Some(name);
            }
        }
    }

    /// The Priority admission plugin: a pod's priorityClassName (or the globalDefault
    /// class when it names none) gives its priority and preemptionPolicy; the built-in
    /// system classes exist in every cluster. A pod that sets a preemptionPolicy other
    /// than its class's is refused, as admission refuses it.
    pub(super) fn resolve_priority(
        &mut self,
        name: &str,
        t: &mut JobTemplate,
        classes: Option<&indexmap::IndexMap<String, PriorityClassDoc>>,
    ) {
        let class = t.spec.template.priority_class_name.clone().or_else(|| {
            classes.and_then(|c| c.iter().find(|(_, d)| d.parts().1).map(|(n, _)| n.clone()))
        });
        let (value, policy) = match class.as_deref() {
            None => (Some(t.spec.template.priority), None),
            Some("system-cluster-critical") => (Some(2_000_000_000), None),
            Some("system-node-critical") => (Some(2_000_001_000), None),
            Some(c) => match classes.and_then(|cs| cs.get(c)) {
                Some(d) => (Some(d.parts().0), d.parts().2),
                None => (None, None),
            },
        };
        let Some(value) = value else {
            let known: Vec<String> = classes.iter().flat_map(|c| c.keys().cloned()).collect();
            self.err(
                &format!("jobs.{name}"),
                format!(
                    "priorityClassName {:?}: no PriorityClass with that name (define it under cluster.priorityClasses; known: {})",
                    class.unwrap_or_default(),
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ),
            );
            return;
        };
        let computed = policy.unwrap_or("PreemptLowerPriority");
        let pod_never = t.spec.template.preemption_never;
        if pod_never && computed != "Never" {
            self.err(
                &format!("jobs.{name}"),
                format!(
                    "spec.template.spec.preemptionPolicy: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed {computed} from the given PriorityClass name"
                ),
            );
            return;
        }
        t.spec.template.priority = value;
        t.spec.template.preemption_never = computed == "Never";
    }

    pub(super) fn arrivals(&mut self, job_path: &str, a: Option<&ArrivalsDoc>) -> Option<Arrivals> {
        let path = format!("{job_path}.arrivals");
        let Some(a) = a else {
            return Some(Arrivals::At(SimDuration::ZERO));
        };
        match (a.at, a.every, a.count, &a.poisson) {
            (at, None, None, None) => Some(Arrivals::At(at.map_or(SimDuration::ZERO, |d| d.0))),
            (None, Some(every), count, None) => {
                let count = count.unwrap_or(1);
                if count == 0 {
                    self.err(&format!("{path}.count"), "must be at least 1");
                    return None;
                }
                Some(Arrivals::Every {
                    every: every.0,
                    count,
                })
            }
            (None, None, None, Some(p)) => {
                if !(p.per_hour.is_finite() && p.per_hour > 0.0) {
                    self.err(&format!("{path}.poisson.perHour"), "must be a number > 0");
                    return None;
                }
                if p.count == 0 {
                    self.err(&format!("{path}.poisson.count"), "must be at least 1");
                    return None;
                }
                Some(Arrivals::Poisson {
                    per_hour: p.per_hour,
                    count: p.count,
                })
            }
            _ => {
                self.err(
                    &path,
                    "expected one of {at: d}, {every: d, count: n} or {poisson: {perHour: r, count: n}}",
                );
                None
            }
        }
    }
}

/// Whether merge patch `patch` sets the field at `path` (`a.b[0].c` -> keys a, b).
fn patch_sets(patch: &Value, path: &str) -> bool {
    let mut v = patch;
    for key in path.split('.') {
        let key = key.split('[').next().unwrap_or(key);
        match v.get(key) {
            Some(next) => v = next,
            None => return false,
        }
    }
    true
}

/// Kubernetes accepts `cpu: 1` as well as `cpu: "1"`; k8s-openapi wants strings.
fn quantities_as_strings(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if matches!(k.as_str(), "requests" | "limits")
                    && let Value::Object(q) = child
                {
                    for (_, x) in q.iter_mut() {
                        if let Value::Number(n) = x {
                            *x = Value::String(n.to_string());
                        }
                    }
                }
                quantities_as_strings(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(quantities_as_strings),
        _ => {}
    }
}

/// Keys present in `input` but absent from `kept` (what the typed object serialized).
fn unknown_fields(input: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (input, kept) {
        (Value::Object(i), Value::Object(k)) => {
            for (key, v) in i {
                let p = child(path, key);
                match k.get(key) {
                    Some(kv) => unknown_fields(v, kv, &p, out),
                    // A null or empty value is dropped by serialization: not unknown.
                    None if is_empty(v) => {}
                    None => out.push(p),
                }
            }
        }
        (Value::Array(i), Value::Array(k)) => {
            for (n, (v, kv)) in i.iter().zip(k).enumerate() {
                unknown_fields(v, kv, &format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(is_empty),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
