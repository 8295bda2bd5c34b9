//! batch/v1 Job validation as the API server does it on create
//! (`pkg/apis/batch/validation/validation.go`: `ValidateJob`, `validateJobSpec`,
//! `validatePodFailurePolicy`, `validateSuccessPolicy`, `validatePodReplacementPolicy`),
//! for the fields the simulator acts on. Runs on the *defaulted* object, like upstream.
//!
//! Every rule collects a [`FieldError`] instead of stopping, so a user sees every
//! problem of a manifest at once, in the API server's words.

use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;

use super::field::{BadValue, FieldError, FieldPath};
use super::quantity::Quantity;
use crate::version::KubeVersion;

/// `maxParallelismForIndexedJob`.
pub const MAX_PARALLELISM_FOR_INDEXED_JOB: i32 = 100_000;
/// `maxFailedIndexesForIndexedJobWithBackoffLimitPerIndex` / `maxMaxFailedIndexes`.
pub const MAX_MAX_FAILED_INDEXES: i32 = 100_000;
/// `maxCompletionsForIndexedJobWithBackoffLimitPerIndex`: above this, more limits apply.
pub const MAX_COMPLETIONS_WITH_BACKOFF_LIMIT_PER_INDEX: i32 = 100_000;
/// `maxParallelismForIndexedJobWithBackoffLimitPerIndex` (with many completions).
pub const MAX_PARALLELISM_WITH_BACKOFF_LIMIT_PER_INDEX: i32 = 10_000;
/// `maxFailedIndexesLimitForHighCompletions`.
pub const MAX_FAILED_INDEXES_WITH_HIGH_COMPLETIONS: i32 = 10_000;
/// `maxPodFailurePolicyRules`.
pub const MAX_POD_FAILURE_POLICY_RULES: usize = 20;
/// `maxPodFailurePolicyOnExitCodesValues`.
pub const MAX_ON_EXIT_CODES_VALUES: usize = 255;
/// `maxPodFailurePolicyOnPodConditionsPatterns`.
pub const MAX_ON_POD_CONDITIONS_PATTERNS: usize = 20;
/// `maxSuccessPolicyRule`.
pub const MAX_SUCCESS_POLICY_RULES: usize = 20;
/// `maxJobSuccessPolicySucceededIndexesLimit` (64 KiB).
pub const MAX_SUCCEEDED_INDEXES_BYTES: usize = 64 * 1024;

const NONNEGATIVE: &str = "must be greater than or equal to 0";

/// Validates a defaulted Job (`ValidateJob` on create).
pub fn validate_job(job: &batch::Job, version: KubeVersion) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let meta = FieldPath::new("metadata");
    match job.metadata.name.as_deref() {
        None | Some("") => errs.push(FieldError::required(
            meta.child("name"),
            "name or generateName is required",
        )),
        Some(name) => {
            for msg in dns1123_subdomain_errors(name) {
                errs.push(FieldError::invalid(meta.child("name"), name, msg));
            }
        }
    }
    let spec_path = FieldPath::new("spec");
    match &job.spec {
        None => errs.push(FieldError::required(spec_path, "")),
        Some(spec) => {
            validate_selector(job.metadata.name.as_deref().unwrap_or(""), spec, &mut errs);
            validate_job_spec(spec, version, &spec_path, &mut errs);
            if let (Some(name), Some("Indexed"), Some(c)) = (
                job.metadata.name.as_deref(),
                spec.completion_mode.as_deref(),
                spec.completions,
            ) && c > 0
            {
                // validateIndexedJobPods: the last pod's hostname must be a DNS label.
                let host = format!("{name}-{}", c - 1);
                if !dns1123_label_errors(&host).is_empty() {
                    errs.push(FieldError::invalid(
                        meta.child("name"),
                        name,
                        format!("will not able to create pod with invalid DNS label: {host}"),
                    ));
                }
            }
        }
    }
    errs
}

fn nonnegative(v: Option<i64>, path: FieldPath, errs: &mut Vec<FieldError>) {
    if let Some(v) = v
        && v < 0
    {
        errs.push(FieldError::invalid(path, v, NONNEGATIVE));
    }
}

fn validate_job_spec(
    spec: &batch::JobSpec,
    version: KubeVersion,
    p: &FieldPath,
    errs: &mut Vec<FieldError>,
) {
    nonnegative(
        spec.parallelism.map(i64::from),
        p.child("parallelism"),
        errs,
    );
    nonnegative(
        spec.completions.map(i64::from),
        p.child("completions"),
        errs,
    );
    nonnegative(
        spec.active_deadline_seconds,
        p.child("activeDeadlineSeconds"),
        errs,
    );
    nonnegative(
        spec.backoff_limit.map(i64::from),
        p.child("backoffLimit"),
        errs,
    );
    nonnegative(
        spec.ttl_seconds_after_finished.map(i64::from),
        p.child("ttlSecondsAfterFinished"),
        errs,
    );
    nonnegative(
        spec.backoff_limit_per_index.map(i64::from),
        p.child("backoffLimitPerIndex"),
        errs,
    );
    if let Some(m) = spec.max_failed_indexes {
        nonnegative(Some(m.into()), p.child("maxFailedIndexes"), errs);
        if spec.backoff_limit_per_index.is_none() {
            errs.push(FieldError::required(
                p.child("backoffLimitPerIndex"),
                "when maxFailedIndexes is specified",
            ));
        }
    }
    if let Some(m) = &spec.managed_by {
        validate_managed_by(m, &p.child("managedBy"), errs);
    }
    let mode = spec.completion_mode.as_deref();
    match mode {
        None | Some("NonIndexed") => {
            if let Some(b) = spec.backoff_limit_per_index {
                errs.push(FieldError::invalid(
                    p.child("backoffLimitPerIndex"),
                    b,
                    "requires indexed completion mode",
                ));
            }
            if let Some(m) = spec.max_failed_indexes {
                errs.push(FieldError::invalid(
                    p.child("maxFailedIndexes"),
                    m,
                    "requires indexed completion mode",
                ));
            }
        }
        Some("Indexed") => validate_indexed(spec, p, errs),
        Some(other) => errs.push(FieldError::not_supported(
            p.child("completionMode"),
            other,
            &["NonIndexed", "Indexed"],
        )),
    }
    if let Some(pfp) = &spec.pod_failure_policy {
        validate_pod_failure_policy(spec, pfp, version, &p.child("podFailurePolicy"), errs);
    }
    if let Some(sp) = &spec.success_policy {
        validate_success_policy(spec, sp, &p.child("successPolicy"), errs);
    }
    validate_pod_replacement_policy(spec, &p.child("podReplacementPolicy"), errs);
    validate_pod_template(
        &spec.template,
        version.at_least(35),
        &p.child("template"),
        errs,
    );

    let rp = p.child("template").child("spec").child("restartPolicy");
    let restart = spec
        .template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("");
    match restart {
        "" | "Always" => errs.push(FieldError::required(
            rp,
            "valid values: \"OnFailure\", \"Never\"",
        )),
        "OnFailure" | "Never" => {
            if spec.pod_failure_policy.is_some() && restart != "Never" {
                errs.push(FieldError::invalid(
                    rp,
                    restart,
                    "only \"Never\" is supported when podFailurePolicy is specified",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            rp,
            other,
            &["OnFailure", "Never"],
        )),
    }
}

fn validate_indexed(spec: &batch::JobSpec, p: &FieldPath, errs: &mut Vec<FieldError>) {
    if spec.completions.is_none() {
        errs.push(FieldError::required(
            p.child("completions"),
            "when completion mode is Indexed",
        ));
    }
    if let Some(par) = spec.parallelism
        && par > MAX_PARALLELISM_FOR_INDEXED_JOB
    {
        errs.push(FieldError::invalid(
            p.child("parallelism"),
            par,
            format!(
                "must be less than or equal to {MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed"
            ),
        ));
    }
    if let (Some(c), Some(m)) = (spec.completions, spec.max_failed_indexes) {
        max_failed_indexes_within(m, c, p, errs);
    }
    if let Some(m) = spec.max_failed_indexes
        && m > MAX_MAX_FAILED_INDEXES
    {
        errs.push(FieldError::invalid(
            p.child("maxFailedIndexes"),
            m,
            format!("must be less than or equal to {MAX_MAX_FAILED_INDEXES}"),
        ));
    }
    if let Some(c) = spec.completions
        && c > MAX_COMPLETIONS_WITH_BACKOFF_LIMIT_PER_INDEX
        && spec.backoff_limit_per_index.is_some()
    {
        if spec.max_failed_indexes.is_none() {
            errs.push(FieldError::required(
                p.child("maxFailedIndexes"),
                format!(
                    "must be specified when completions is above {MAX_COMPLETIONS_WITH_BACKOFF_LIMIT_PER_INDEX}"
                ),
            ));
        }
        let high = format!(
            "when completions are above {MAX_COMPLETIONS_WITH_BACKOFF_LIMIT_PER_INDEX} and used with backoff limit per index"
        );
        if let Some(par) = spec.parallelism
            && par > MAX_PARALLELISM_WITH_BACKOFF_LIMIT_PER_INDEX
        {
            errs.push(FieldError::invalid(
                p.child("parallelism"),
                par,
                format!("must be less than or equal to {MAX_PARALLELISM_WITH_BACKOFF_LIMIT_PER_INDEX} {high}"),
            ));
        }
        if let Some(m) = spec.max_failed_indexes
            && m > MAX_FAILED_INDEXES_WITH_HIGH_COMPLETIONS
        {
            errs.push(FieldError::invalid(
                p.child("maxFailedIndexes"),
                m,
                format!("must be less than or equal to {MAX_FAILED_INDEXES_WITH_HIGH_COMPLETIONS} {high}"),
            ));
        }
    }
}

fn validate_managed_by(m: &str, p: &FieldPath, errs: &mut Vec<FieldError>) {
    if m.len() > 63 {
        errs.push(FieldError::too_long(p.clone(), 63));
    }
    // IsDomainPrefixedPath: "<dns subdomain>/<path>".
    let ok = m
        .split_once('/')
        .is_some_and(|(d, path)| dns1123_subdomain_errors(d).is_empty() && !path.is_empty());
    if !ok {
        errs.push(FieldError::invalid(
            p.clone(),
            m,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        ));
    }
}

fn container_names(template: &core::PodTemplateSpec) -> Vec<&str> {
    template
        .spec
        .iter()
        .flat_map(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
        })
        .map(|c| c.name.as_str())
        .collect()
}

fn validate_pod_failure_policy(
    spec: &batch::JobSpec,
    pfp: &batch::PodFailurePolicy,
    version: KubeVersion,
    p: &FieldPath,
    errs: &mut Vec<FieldError>,
) {
    let rules_path = p.child("rules");
    if pfp.rules.len() > MAX_POD_FAILURE_POLICY_RULES {
        errs.push(FieldError::too_many(
            rules_path.clone(),
            pfp.rules.len(),
            MAX_POD_FAILURE_POLICY_RULES,
        ));
    }
    let names = container_names(&spec.template);
    for (i, rule) in pfp.rules.iter().enumerate() {
        let rp = rules_path.index(i);
        let action_path = rp.child("action");
        match rule.action.as_str() {
            "" if !version.at_least(28) => errs.push(FieldError::required(
                action_path,
                "valid values: [\"Count\" \"FailJob\" \"Ignore\"]",
            )),
            "" => errs.push(FieldError::required(
                action_path,
                "valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]",
            )),
            // FailIndex is an action from 1.28 (KEP-3850).
            "FailIndex" if !version.at_least(28) => errs.push(FieldError::not_supported(
                action_path,
                "FailIndex",
                &["Count", "FailJob", "Ignore"],
            )),
            "FailIndex" => {
                if spec.backoff_limit_per_index.is_none() {
                    errs.push(FieldError::invalid(
                        action_path,
                        "FailIndex",
                        "requires the backoffLimitPerIndex to be set",
                    ));
                }
            }
            "Count" | "FailJob" | "Ignore" => {}
            other => errs.push(FieldError::not_supported(
                action_path,
                other,
                &["Count", "FailIndex", "FailJob", "Ignore"],
            )),
        }
        match (&rule.on_exit_codes, &rule.on_pod_conditions) {
            (Some(_), Some(_)) => errs.push(FieldError::invalid(
                rp.clone(),
                BadValue::Omitted,
                "specifying both OnExitCodes and OnPodConditions is not supported",
            )),
            (None, None) => errs.push(FieldError::invalid(
                rp.clone(),
                BadValue::Omitted,
                "specifying one of OnExitCodes and OnPodConditions is required",
            )),
            _ => {}
        }
        if let Some(oec) = &rule.on_exit_codes {
            let op = rp.child("onExitCodes");
            if let Some(c) = &oec.container_name
                && !names.contains(&c.as_str())
            {
                errs.push(FieldError::invalid(
                    op.child("containerName"),
                    c.as_str(),
                    "must be one of the container or initContainer names in the pod template",
                ));
            }
            match oec.operator.as_str() {
                "" => errs.push(FieldError::required(
                    op.child("operator"),
                    "valid values: [\"In\" \"NotIn\"]",
                )),
                "In" | "NotIn" => {}
                other => errs.push(FieldError::not_supported(
                    op.child("operator"),
                    other,
                    &["In", "NotIn"],
                )),
            }
            let vp = op.child("values");
            if oec.values.is_empty() {
                errs.push(FieldError::invalid(
                    vp.clone(),
                    BadValue::Raw("[]int32{}".into()),
                    "at least one value is required",
                ));
            } else if oec.values.len() > MAX_ON_EXIT_CODES_VALUES {
                errs.push(FieldError::too_many(
                    vp.clone(),
                    oec.values.len(),
                    MAX_ON_EXIT_CODES_VALUES,
                ));
            }
            let mut ordered = true;
            for (j, &v) in oec.values.iter().enumerate() {
                if oec.operator == "In" && v == 0 {
                    errs.push(FieldError::invalid(
                        vp.index(j),
                        v,
                        "must not be 0 for the In operator",
                    ));
                }
                if oec.values[..j].contains(&v) {
                    errs.push(FieldError::duplicate(vp.index(j), v));
                }
                if j > 0 && oec.values[j - 1] > v {
                    ordered = false;
                }
            }
            if !ordered {
                errs.push(FieldError::invalid(
                    vp,
                    BadValue::Raw(go_int_slice(&oec.values)),
                    "must be ordered",
                ));
            }
        }
        if let Some(conds) = &rule.on_pod_conditions {
            let cp = rp.child("onPodConditions");
            if conds.len() > MAX_ON_POD_CONDITIONS_PATTERNS {
                errs.push(FieldError::too_many(
                    cp.clone(),
                    conds.len(),
                    MAX_ON_POD_CONDITIONS_PATTERNS,
                ));
            }
            for (j, c) in conds.iter().enumerate() {
                let pp = cp.index(j);
                if c.type_.is_empty() {
                    errs.push(FieldError::required(pp.child("type"), ""));
                } else if !is_qualified_name(&c.type_) {
                    errs.push(FieldError::invalid(
                        pp.child("type"),
                        c.type_.as_str(),
                        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                    ));
                }
                match c.status.as_deref() {
                    None | Some("") => errs.push(FieldError::required(
                        pp.child("status"),
                        "valid values: [\"False\" \"True\" \"Unknown\"]",
                    )),
                    Some("True") | Some("False") | Some("Unknown") => {}
                    Some(other) => errs.push(FieldError::not_supported(
                        pp.child("status"),
                        other,
                        &["False", "True", "Unknown"],
                    )),
                }
            }
        }
    }
}

fn validate_success_policy(
    spec: &batch::JobSpec,
    sp: &batch::SuccessPolicy,
    p: &FieldPath,
    errs: &mut Vec<FieldError>,
) {
    let rules_path = p.child("rules");
    if spec.completion_mode.as_deref() != Some("Indexed") {
        errs.push(FieldError::invalid(
            p.clone(),
            BadValue::Raw(format!(
                "batch.SuccessPolicy{{Rules:[{} rules]}}",
                sp.rules.len()
            )),
            "requires indexed completion mode",
        ));
        return;
    }
    if sp.rules.is_empty() {
        errs.push(FieldError::required(
            rules_path,
            "at least one rules must be specified when the successPolicy is specified",
        ));
        return;
    }
    if sp.rules.len() > MAX_SUCCESS_POLICY_RULES {
        errs.push(FieldError::too_many(
            rules_path.clone(),
            sp.rules.len(),
            MAX_SUCCESS_POLICY_RULES,
        ));
    }
    let completions = spec.completions.unwrap_or(0).max(0);
    for (i, rule) in sp.rules.iter().enumerate() {
        let rp = rules_path.index(i);
        if rule.succeeded_count.is_none() && rule.succeeded_indexes.is_none() {
            errs.push(FieldError::required(
                rp.clone(),
                "at least one of succeededCount or succeededIndexes must be specified",
            ));
        }
        let mut total: Option<u64> = None;
        if let Some(ix) = &rule.succeeded_indexes {
            let ip = rp.child("succeededIndexes");
            if ix.len() > MAX_SUCCEEDED_INDEXES_BYTES {
                errs.push(FieldError::too_long(
                    ip.clone(),
                    MAX_SUCCEEDED_INDEXES_BYTES,
                ));
            }
            total = succeeded_indexes_total(ix, completions, &rp, errs);
        }
        if let Some(c) = rule.succeeded_count {
            let cp = rp.child("succeededCount");
            if c < 0 {
                errs.push(FieldError::invalid(cp.clone(), c, NONNEGATIVE));
            }
            succeeded_count_within(c, completions, &rp, errs);
            if let Some(t) = total
                && c as i64 > t as i64
            {
                errs.push(FieldError::invalid(
                    cp,
                    c,
                    format!("must be less than or equal to {t} (the number of indexes in the specified succeededIndexes field)"),
                ));
            }
        }
    }
}

/// The rules of `validateJobSpec` that depend on `completions`, re-checked for an
/// update that changes it (an elastic Indexed Job's scale: `ValidateJobUpdate`
/// validates the whole new spec).
pub fn validate_completions_update(
    spec: &crate::api::JobSpec,
    completions: i32,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let spec_path = FieldPath::new("spec");
    if let Some(m) = spec.max_failed_indexes {
        max_failed_indexes_within(m, completions, &spec_path, &mut errs);
    }
    let rules = spec_path.child("successPolicy").child("rules");
    for (i, rule) in spec
        .success_policy
        .iter()
        .flat_map(|p| &p.rules)
        .enumerate()
    {
        let rp = rules.index(i);
        if let Some(ix) = &rule.succeeded_indexes {
            succeeded_indexes_total(ix, completions, &rp, &mut errs);
        }
        if let Some(c) = rule.succeeded_count {
            succeeded_count_within(c, completions, &rp, &mut errs);
        }
    }
    errs
}

/// `maxFailedIndexes` must not exceed completions.
fn max_failed_indexes_within(
    m: i32,
    completions: i32,
    spec: &FieldPath,
    errs: &mut Vec<FieldError>,
) {
    if m > completions {
        errs.push(FieldError::invalid(
            spec.child("maxFailedIndexes"),
            m,
            "must be less than or equal to completions",
        ));
    }
}

/// A success rule's `succeededIndexes` parsed against completions: the number of
/// indexes it names, or `None` after recording the parse error.
fn succeeded_indexes_total(
    ix: &str,
    completions: i32,
    rule: &FieldPath,
    errs: &mut Vec<FieldError>,
) -> Option<u64> {
    match validate_indexes_format(ix, completions) {
        Ok(t) => Some(t),
        Err(e) => {
            errs.push(FieldError::invalid(
                rule.child("succeededIndexes"),
                ix,
                format!("error parsing succeededIndexes: {e}"),
            ));
            None
        }
    }
}

/// A success rule's `succeededCount` must not exceed completions.
fn succeeded_count_within(c: i32, completions: i32, rule: &FieldPath, errs: &mut Vec<FieldError>) {
    if c > completions {
        errs.push(FieldError::invalid(
            rule.child("succeededCount"),
            c,
            format!(
                "must be less than or equal to {completions} (the number of specified completions)"
            ),
        ));
    }
}

fn validate_pod_replacement_policy(
    spec: &batch::JobSpec,
    p: &FieldPath,
    errs: &mut Vec<FieldError>,
) {
    let Some(prp) = spec.pod_replacement_policy.as_deref() else {
        return;
    };
    if spec.pod_failure_policy.is_some() {
        if prp != "Failed" {
            errs.push(FieldError::not_supported(p.clone(), prp, &["Failed"]));
        }
    } else if prp != "TerminatingOrFailed" && prp != "Failed" {
        errs.push(FieldError::not_supported(
            p.clone(),
            prp,
            &["Failed", "TerminatingOrFailed"],
        ));
    }
}

/// The parts of `ValidatePodTemplateSpec` that matter to the simulation.
fn validate_pod_template(
    t: &core::PodTemplateSpec,
    restart_rules: bool,
    p: &FieldPath,
    errs: &mut Vec<FieldError>,
) {
    let sp = p.child("spec");
    let Some(spec) = &t.spec else {
        errs.push(FieldError::required(sp.child("containers"), ""));
        return;
    };
    if spec.containers.is_empty() {
        errs.push(FieldError::required(sp.child("containers"), ""));
    }
    let mut seen: Vec<&str> = Vec::new();
    let groups = [
        (
            "initContainers",
            spec.init_containers.as_deref().unwrap_or(&[]),
        ),
        ("containers", spec.containers.as_slice()),
    ];
    for (group, containers) in groups {
        for (i, c) in containers.iter().enumerate() {
            let cp = sp.child(group).index(i);
            if c.name.is_empty() {
                errs.push(FieldError::required(cp.child("name"), ""));
            } else if seen.contains(&c.name.as_str()) {
                errs.push(FieldError::duplicate(cp.child("name"), c.name.as_str()));
            } else {
                for msg in dns1123_label_errors(&c.name) {
                    errs.push(FieldError::invalid(cp.child("name"), c.name.as_str(), msg));
                }
                seen.push(&c.name);
            }
            if c.image.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(cp.child("image"), ""));
            }
            if let Some(res) = &c.resources {
                validate_resources(res, &cp.child("resources"), errs);
            }
            match (group, c.restart_policy.as_deref()) {
                (_, None) | ("initContainers", Some("Always")) => {}
                ("initContainers", Some(other)) => errs.push(FieldError::not_supported(
                    cp.child("restartPolicy"),
                    other,
                    &["Always"],
                )),
                // ContainerRestartRules (1.35+) allows it; it is reported as not modelled.
                (_, Some(_)) if restart_rules => {}
                (_, Some(_)) => errs.push(FieldError::forbidden(
                    cp.child("restartPolicy"),
                    "may not be set for non-init containers",
                )),
            }
        }
    }
    if let Some(ads) = spec.active_deadline_seconds
        && ads <= 0
    {
        errs.push(FieldError::invalid(
            sp.child("activeDeadlineSeconds"),
            ads,
            "must be between 1 and 2147483647, inclusive",
        ));
    }
    for (i, tol) in spec.tolerations.iter().flatten().enumerate() {
        let tp = sp.child("tolerations").index(i);
        match tol.operator.as_deref() {
            None | Some("Equal") => {
                if tol.key.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::invalid(
                        tp.child("operator"),
                        tol.operator.as_deref().unwrap_or(""),
                        "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
                    ));
                }
            }
            Some("Exists") => {
                if !tol.value.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::invalid(
                        tp.child("operator"),
                        tol.value.as_deref().unwrap_or(""),
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            Some(other) => errs.push(FieldError::not_supported(
                tp.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        match tol.effect.as_deref() {
            None | Some("") | Some("NoSchedule") | Some("PreferNoSchedule") | Some("NoExecute") => {
            }
            Some(other) => errs.push(FieldError::not_supported(
                tp.child("effect"),
                other,
                &["NoExecute", "NoSchedule", "PreferNoSchedule"],
            )),
        }
        if tol.toleration_seconds.is_some() && tol.effect.as_deref() != Some("NoExecute") {
            errs.push(FieldError::invalid(
                tp.child("effect"),
                tol.effect.as_deref().unwrap_or(""),
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
    }
}

fn validate_resources(r: &core::ResourceRequirements, p: &FieldPath, errs: &mut Vec<FieldError>) {
    let mut parsed = |kind: &str,
                      map: &Option<
        std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >| {
        let mut out = Vec::new();
        for (name, q) in map.iter().flatten() {
            let fp = p.child(kind).key(name);
            match Quantity::parse(&q.0) {
                Ok(v) if v.is_negative() => {
                    errs.push(FieldError::invalid(fp, q.0.as_str(), NONNEGATIVE))
                }
                Ok(v) => out.push((name.clone(), v, q.0.clone())),
                Err(e) => errs.push(FieldError::invalid(fp, q.0.as_str(), e.to_string())),
            }
        }
        out
    };
    let limits = parsed("limits", &r.limits);
    let requests = parsed("requests", &r.requests);
    // ValidateResourceRequirements reports on `requests` itself, with the quantities
    // as written (their canonical String() for the usual forms).
    for (name, req, req_text) in &requests {
        if let Some((_, lim, lim_text)) = limits.iter().find(|(n, _, _)| n == name)
            && req.milli_value() > lim.milli_value()
        {
            errs.push(FieldError::invalid(
                p.child("requests"),
                req_text.as_str(),
                format!("must be less than or equal to {name} limit of {lim_text}"),
            ));
        }
    }
}

/// `IsDNS1123Subdomain`.
pub fn dns1123_subdomain_errors(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    if v.len() > 253 {
        out.push("must be no more than 253 characters".to_string());
    }
    let ok = !v.is_empty() && v.split('.').all(label_chars_ok);
    if !ok {
        out.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string());
    }
    out
}

/// `IsDNS1123Label`.
pub fn dns1123_label_errors(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    if v.len() > 63 {
        out.push("must be no more than 63 characters".to_string());
    }
    if !label_chars_ok(v) {
        out.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".to_string());
    }
    out
}

fn label_chars_ok(l: &str) -> bool {
    let b = l.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && alnum(&b[0])
        && alnum(&b[b.len() - 1])
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

/// `IsQualifiedName`: `[prefix/]name`, name ≤ 63 of `[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]`.
fn is_qualified_name(v: &str) -> bool {
    let (prefix, name) = match v.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, v),
    };
    let b = name.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    prefix.is_none_or(|p| dns1123_subdomain_errors(p).is_empty())
        && !b.is_empty()
        && b.len() <= 63
        && alnum(&b[0])
        && alnum(&b[b.len() - 1])
        && b.iter()
            .all(|c| alnum(c) || matches!(c, b'-' | b'_' | b'.'))
}

/// A `[]int32` as Go's `%#v` prints it.
fn go_int_slice(v: &[i32]) -> String {
    let items: Vec<String> = v.iter().map(i32::to_string).collect();
    format!("[]int32{{{}}}", items.join(", "))
}

/// Upstream `validateIndexesFormat` (the API server's own parser, whose messages differ
/// from the controller's): the number of indexes in `"1,3-5"`.
///
/// ```
/// use job_model::api::validation::validate_indexes_format;
/// assert_eq!(validate_indexes_format("0,2-4", 5), Ok(4));
/// assert_eq!(validate_indexes_format("3-5", 5).unwrap_err(), "too large index: \"5\"");
/// assert_eq!(validate_indexes_format("2-2", 5).unwrap_err(), "non-increasing order, previous: 2, current: 2");
/// ```
pub fn validate_indexes_format(indexes: &str, completions: i32) -> Result<u64, String> {
    if indexes.is_empty() {
        return Ok(0);
    }
    let mut last: Option<i64> = None;
    let mut total = 0u64;
    for interval in indexes.split(',') {
        let (x, y) = parse_index_interval(interval, completions)?;
        if let Some(l) = last
            && l >= x
        {
            return Err(format!("non-increasing order, previous: {l}, current: {x}"));
        }
        total += (y - x + 1) as u64;
        last = Some(y);
    }
    Ok(total)
}

/// Upstream `parseIndexInterval` of the validation package.
fn parse_index_interval(interval: &str, completions: i32) -> Result<(i64, i64), String> {
    let limits: Vec<&str> = interval.split('-').collect();
    if limits.len() > 2 {
        return Err(format!(
            "the fragment {interval:?} violates the requirement that an index interval can have at most two parts separated by '-'"
        ));
    }
    let parse = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("cannot convert string to integer for index: {s:?}"))
    };
    let x = parse(limits[0])?;
    if x >= i64::from(completions) {
        return Err(format!("too large index: {:?}", limits[0]));
    }
    let Some(&second) = limits.get(1) else {
        return Ok((x, x));
    };
    let y = parse(second)?;
    if y >= i64::from(completions) {
        return Err(format!("too large index: {second:?}"));
    }
    if x >= y {
        return Err(format!("non-increasing order, previous: {x}, current: {y}"));
    }
    Ok((x, y))
}

/// The selector rules of `validateGeneratedSelector` and `ValidateJobSpec`: without
/// `manualSelector: true` the API server generates the selector (job-name and
/// controller-uid labels), so one written in the manifest must select exactly those;
/// with it, the selector is required and must match the template's labels.
fn validate_selector(name: &str, spec: &batch::JobSpec, errs: &mut Vec<FieldError>) {
    let spec_path = FieldPath::new("spec");
    let template_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    if spec.manual_selector != Some(true) {
        // `generateSelector` adds the job-name and controller-uid labels the template
        // lacks; `ValidateHasLabel` then rejects any the user set to another value. A
        // controller-uid written in a manifest can never be the uid the server assigns.
        let labels_path = spec_path
            .child("template")
            .child("metadata")
            .child("labels");
        for (key, expected) in [
            ("controller-uid", None),
            ("job-name", Some(name)),
            ("batch.kubernetes.io/controller-uid", None),
            ("batch.kubernetes.io/job-name", Some(name)),
        ] {
            if let Some(v) = template_labels.get(key)
                && expected != Some(v.as_str())
            {
                errs.push(FieldError::invalid(
                    labels_path.key(key),
                    BadValue::Raw(go_string_map(&template_labels)),
                    format!("must be '{}'", expected.unwrap_or("<the Job's uid>")),
                ));
            }
        }
        if let Some(sel) = &spec.selector {
            // The uid is the API server's; a written selector cannot know it.
            let expected: std::collections::BTreeMap<String, String> = [
                ("batch.kubernetes.io/job-name", name),
                ("job-name", name),
                ("batch.kubernetes.io/controller-uid", "\u{0}"),
                ("controller-uid", "\u{0}"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            if label_selector_errors(sel, &spec_path.child("selector")).is_empty()
                && !selector_matches(sel, &expected)
            {
                errs.push(FieldError::invalid(
                    spec_path.child("selector"),
                    BadValue::Raw(render_label_selector(sel)),
                    "`selector` not auto-generated (the API server generates the selector and the controller-uid labels of a new Job: `kubectl get -o yaml` output must drop them, or set manualSelector: true)",
                ));
            }
        }
        return;
    }
    let Some(sel) = &spec.selector else {
        errs.push(FieldError::required(spec_path.child("selector"), ""));
        return;
    };
    let syntax = label_selector_errors(sel, &spec_path.child("selector"));
    let valid = syntax.is_empty();
    errs.extend(syntax);
    if valid && !selector_matches(sel, &template_labels) {
        errs.push(FieldError::invalid(
            spec_path
                .child("template")
                .child("metadata")
                .child("labels"),
            BadValue::Raw(go_string_map(&template_labels)),
            "`selector` does not match template `labels`",
        ));
    }
}

/// A label map as Go's `%#v` prints `map[string]string` in a field error.
fn go_string_map(m: &std::collections::BTreeMap<String, String>) -> String {
    let shown: Vec<String> = m.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    format!("map[string]string{{{}}}", shown.join(", "))
}

/// `ValidateLabelSelector`: the operators and their values.
fn label_selector_errors(
    sel: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    p: &FieldPath,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, r) in sel.match_expressions.iter().flatten().enumerate() {
        let rp = p.child("matchExpressions").index(i);
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                rp.child("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
                rp.child("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errs.push(FieldError::invalid(
                rp.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
    }
    errs
}

/// `selector.Matches(labels)` for a valid selector.
fn selector_matches(
    sel: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    let by_labels = sel
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expressions = sel.match_expressions.iter().flatten().all(|r| {
        let values = r.values.as_deref().unwrap_or_default();
        let got = labels.get(&r.key);
        match r.operator.as_str() {
            "In" => got.is_some_and(|v| values.contains(v)),
            "NotIn" => got.is_none_or(|v| !values.contains(v)),
            "Exists" => got.is_some(),
            _ => got.is_none(),
        }
    });
    by_labels && by_expressions
}

/// A `*metav1.LabelSelector` as its generated `String()` prints it.
fn render_label_selector(
    sel: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
) -> String {
    let labels: Vec<String> = sel
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}: {v},"))
        .collect();
    let exprs: Vec<String> = sel
        .match_expressions
        .iter()
        .flatten()
        .map(|r| {
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                r.key,
                r.operator,
                r.values.as_deref().unwrap_or_default().join(" ")
            )
        })
        .collect();
    format!(
        "&LabelSelector{{MatchLabels:map[string]string{{{}}},MatchExpressions:[]LabelSelectorRequirement{{{}}},}}",
        labels.join(""),
        exprs.join("")
    )
}
