//! The `jobsim` command line, as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn jobsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jobsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("jobsim runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn no_arguments_runs_the_embedded_default_scenario() {
    let o = jobsim(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "scenario default",
        "nightly-report",
        "flaky-etl",
        "render-frames",
        "doomed-migration",
        "BackoffLimitExceeded",
        "TOTAL (4 jobs)",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // `run` with no file is the same run.
    assert_eq!(stdout(&jobsim(&["run"])), text);
}

#[test]
fn embedded_default_is_the_example_file() {
    let a = stdout(&jobsim(&["run", "--json"]));
    let b = stdout(&jobsim(&[
        "run",
        "scenarios/examples/default.yaml",
        "--json",
    ]));
    assert_eq!(a, b);
}

#[test]
fn json_output_follows_schema_version_1() {
    let o = jobsim(&["run", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["schemaVersion"], 1);
    assert_eq!(v["scenario"], "default");
    assert_eq!(v["variant"], "baseline");
    assert_eq!(v["seed"], 42);
    let jobs = v["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 4);
    for j in jobs {
        for key in [
            "name",
            "outcome",
            "reason",
            "completionTime",
            "retries",
            "podsCreated",
        ] {
            assert!(j.get(key).is_some(), "job lacks {key}: {j}");
        }
        let ps = &j["podSeconds"];
        let useful = ps["useful"].as_f64().unwrap();
        let wasted = ps["wasted"].as_f64().unwrap();
        let total = ps["total"].as_f64().unwrap();
        assert!((useful + wasted - total).abs() < 1e-6, "{ps}");
        let by_cause: f64 = ps["wastedByCause"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_f64().unwrap())
            .sum();
        assert!((by_cause - wasted).abs() < 1e-6, "{ps}");
    }
    let doomed = jobs
        .iter()
        .find(|j| j["name"] == "doomed-migration")
        .unwrap();
    assert_eq!(doomed["outcome"], "Failed");
    assert_eq!(doomed["reason"], "BackoffLimitExceeded");
    assert_eq!(doomed["retries"], 4);
    assert!(v["totals"]["podSeconds"]["wasted"].as_f64().unwrap() > 0.0);
}

#[test]
fn fleet_runs_are_byte_identical_for_a_seed_and_differ_across_seeds() {
    let fleet = "scenarios/examples/fleet.yaml";
    let a = jobsim(&["run", fleet, "--json"]);
    let b = jobsim(&["run", fleet, "--json"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    let c = jobsim(&["run", fleet, "--json", "--seed", "2"]);
    assert!(c.status.success());
    assert_ne!(a.stdout, c.stdout);
    let va: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let vc: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap();
    assert_eq!(va["totals"]["jobs"], 2000);
    assert_ne!(
        va["totals"]["podsCreated"], vc["totals"]["podsCreated"],
        "a different seed gives different numbers"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const GOOD_JOB: &str = "jobs:
  j:
    job:
      apiVersion: batch/v1
      kind: Job
      spec:
        template:
          spec:
            restartPolicy: Never
            containers: [{name: c, image: busybox}]
";

fn validate_fails(file: &str, needles: &[&str]) {
    let o = jobsim(&["validate", file]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "missing {n:?} in {err}");
    }
}

#[test]
fn validate_reports_an_unknown_key_with_its_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "unknown.yaml",
        &format!(
            "name: t\ncluster:\n  nodePools:\n    a:\n      count: 1\n      capacity: {{cpu: \"4\", memory: 4Gi}}\n      cpus: 3\n{GOOD_JOB}"
        ),
    );
    validate_fails(
        &f,
        &[
            "unknown.yaml:7:7",
            "cluster.nodePools.a.cpus",
            "unknown key `cpus`",
        ],
    );
}

#[test]
fn validate_reports_an_unknown_manifest_field_with_its_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{}",
        GOOD_JOB.replacen("      spec:\n", "      spec:\n        paralelism: 2\n", 1)
    );
    let f = write(dir.path(), "typo.yaml", &text);
    validate_fails(
        &f,
        &[
            "typo.yaml:11:9",
            "jobs.j.job.spec.paralelism",
            "unknown field",
        ],
    );
}

#[test]
fn validate_reports_a_bad_duration_with_its_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{GOOD_JOB}    behavior:\n      runtime: {{lognormal: {{median: 2mins, sigma: 0.5}}}}\n"
    );
    let f = write(dir.path(), "dur.yaml", &text);
    validate_fails(
        &f,
        &[
            "dur.yaml:16:",
            "jobs.j.behavior.runtime.lognormal.median",
            "invalid duration \"2mins\"",
        ],
    );
}

#[test]
fn validate_reports_a_negative_parallelism_as_the_api_server_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{}",
        GOOD_JOB.replacen("      spec:\n", "      spec:\n        parallelism: -1\n", 1)
    );
    let f = write(dir.path(), "neg.yaml", &text);
    validate_fails(
        &f,
        &[
            "neg.yaml:11:9",
            "jobs.j.job.spec.parallelism",
            "Invalid value: -1: must be greater than or equal to 0",
        ],
    );
    // `run` refuses it the same way and writes nothing to stdout.
    let o = jobsim(&["run", &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn validate_rejects_contract_keys_not_supported_yet() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{GOOD_JOB}expect:\n  - {{variant: baseline, sweep: {{successRate: {{min: 0.99}}}}}}\ngolden: traces/t.jsonl\n"
    );
    let f = write(dir.path(), "faults.yaml", &text);
    validate_fails(
        &f,
        &[
            "faults.yaml:16:",
            "expect[0].sweep: not supported yet",
            "faults.yaml:17:1: golden: not supported yet",
        ],
    );
}

#[test]
fn validate_rejects_a_release_outside_the_simulated_range_and_tracking_before_1_25() {
    let dir = tempfile::tempdir().unwrap();
    let cluster =
        "cluster:\n  nodePools:\n    a: {count: 1, capacity: {cpu: \"4\", memory: 4Gi}}\n";
    let old = write(
        dir.path(),
        "old.yaml",
        &format!("name: t\nkubernetes: \"1.20\"\n{cluster}{GOOD_JOB}"),
    );
    validate_fails(
        &old,
        &[
            "old.yaml:2:",
            "kubernetes",
            "unknown release \"1.20\"",
            "\"1.21\" .. \"1.37\"",
        ],
    );
    let gate = write(
        dir.path(),
        "gate.yaml",
        &format!(
            "name: t\nkubernetes: \"1.23\"\ncontrolPlane:\n  featureGates: {{JobTrackingWithFinalizers: true}}\n{cluster}{GOOD_JOB}"
        ),
    );
    validate_fails(
        &gate,
        &[
            "controlPlane.featureGates.JobTrackingWithFinalizers",
            "finalizer tracking in 1.23: not supported yet",
        ],
    );
    // Every release in the range loads, 1.25 and 1.26 included.
    for minor in 21..=37 {
        let f = write(
            dir.path(),
            &format!("v{minor}.yaml"),
            &format!("name: t\nkubernetes: \"1.{minor}\"\n{cluster}{GOOD_JOB}"),
        );
        let o = jobsim(&["validate", &f]);
        assert!(o.status.success(), "1.{minor}: {}", stderr(&o));
    }
}

#[test]
fn validate_accepts_the_examples() {
    let o = jobsim(&[
        "validate",
        "scenarios/examples/default.yaml",
        "scenarios/examples/fleet.yaml",
        "scenarios/examples/flaky-nodes.yaml",
        "scenarios/examples/spot-preemption.yaml",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).matches(": ok").count(), 4);
}

#[test]
fn the_scenario_contract_example_loads_as_written() {
    let o = jobsim(&["validate", "tests/contract/example.yaml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // It runs and its expectation is checked (the example's numbers are illustrative).
    let o = jobsim(&["check", "tests/contract/example.yaml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("expect[0] job pi at 5m0s (baseline)"));
    assert!(stdout(&o).contains("metrics.retries: expected 4, got 6"));
}

#[test]
fn validate_answers_the_blind_validation_cases_as_the_api_server_does() {
    // tests/blind/validation/cases.tsv: file, exit code, field path, message (upstream
    // wording), written from pkg/apis/batch/validation without reading jobsim.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blind/validation");
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, code) = (cols[0], cols[1]);
        let o = jobsim(&["validate", &dir.join(file).display().to_string()]);
        let err = stderr(&o);
        let ok = o.status.code().map(|c| c.to_string()).as_deref() == Some(code)
            && !err.contains("panicked")
            && (code == "0" || cols[2..].iter().all(|needle| err.contains(needle)));
        if !ok {
            failures.push(format!(
                "{file}: want {code} {:?}, got {:?}: {err}",
                &cols[2..],
                o.status.code()
            ));
        }
        n += 1;
    }
    assert!(n >= 50, "only {n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn validate_survives_malformed_yaml() {
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in [
        "name: [unclosed\n",
        "- a list\n- not a mapping\n",
        "",
        "name: t\nname: t\n",
        "name: t\ncluster: 3\njobs: {}\n",
        "\t\tname: t\n",
    ]
    .iter()
    .enumerate()
    {
        let f = write(dir.path(), &format!("m{i}.yaml"), text);
        validate_fails(&f, &[&format!("m{i}.yaml")]);
    }
}

#[test]
fn check_accepts_yaml_numbers_and_booleans_where_users_write_them() {
    // `kubernetes: 1.31` unquoted, `status: True` unquoted, `cpu: 2` as a number and no
    // memory capacity (not limiting).
    let dir = tempfile::tempdir().unwrap();
    let text = "name: t\nkubernetes: 1.31\ncluster:\n  nodePools:\n    a: {count: 1, capacity: {cpu: 2}}\njobs:\n  j:\n    job:\n      apiVersion: batch/v1\n      kind: Job\n      spec:\n        template:\n          spec:\n            restartPolicy: Never\n            containers: [{name: c, image: x, resources: {requests: {cpu: 1, memory: 1Gi}}}]\nexpect:\n  - job: j\n    condition: {type: Complete, status: True, at: 1m3s}\n";
    let f = write(dir.path(), "numbers.yaml", text);
    let o = jobsim(&["check", &f]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("1 expectations: 1 ok, 0 missed"));
}

#[test]
fn check_exits_1_and_names_what_was_missed() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{GOOD_JOB}expect:\n  - job: j\n    status: {{succeeded: 2}}\n    events: {{SuccessfulCreate: 1}}\n"
    );
    let f = write(dir.path(), "miss.yaml", &text);
    let o = jobsim(&["check", &f]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("MISSED"), "{out}");
    assert!(out.contains("status.succeeded: expected 2, got 1"), "{out}");
    assert!(
        !out.contains("events.SuccessfulCreate"),
        "the event count held: {out}"
    );
}

#[test]
fn check_reads_null_as_an_absent_status_field_and_ranges_in_pods_created() {
    let dir = tempfile::tempdir().unwrap();
    // 1.28: status.terminating is nil (JobPodReplacementPolicy alpha), status.ready is
    // reported; the Job's one pod is created at 0s.
    let text = format!(
        "name: t\nkubernetes: \"1.28\"\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{GOOD_JOB}expect:\n  - job: j\n    at: 1s\n    status: {{terminating: null, failed: null, completedIndexes: null, active: 1}}\n    podsCreated: [{{min: 0s, max: 1s}}]\n  - job: j\n    at: 1s\n    status: {{ready: null}}\n    podsCreated: [{{min: 1s}}]\n"
    );
    let f = write(dir.path(), "nulls.yaml", &text);
    let o = jobsim(&["check", &f]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("ok      ") && out.contains("status.terminating: null"),
        "{out}"
    );
    assert!(out.contains("status.ready: expected null, got 0"), "{out}");
    assert!(
        out.contains("podsCreated: expected [at least 1s], got [0s]"),
        "{out}"
    );
    assert!(out.contains("2 expectations: 1 ok, 1 missed"), "{out}");
}

#[test]
fn validate_rejects_expectations_that_would_check_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 1, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{GOOD_JOB}expect:\n"
    );
    let f = write(
        dir.path(),
        "null.yaml",
        &format!("{base}  - job: j\n    condition: null\n    metrics: {{retries: null}}\n"),
    );
    validate_fails(
        &f,
        &[
            "null.yaml:17:5: expect[0].condition: null is not an expectation here",
            "null.yaml:18:15: expect[0].metrics.retries: null",
        ],
    );
    let f = write(dir.path(), "empty.yaml", &format!("{base}  - job: j\n"));
    validate_fails(&f, &["expect[0]: this expectation checks nothing"]);
    // `null` where it means "absent": an unfinished Job has no completion time.
    let f = write(
        dir.path(),
        "unfinished.yaml",
        &format!(
            "horizon: 30s\n{base}  - job: j\n    metrics: {{completionTime: null, interimTime: null}}\n"
        ),
    );
    let o = jobsim(&["check", &f]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("metrics.completionTime: null"));
}

#[test]
fn variants_are_run_and_checked_separately_and_their_patches_validated() {
    let dir = tempfile::tempdir().unwrap();
    let base = "name: t\ncluster:\n  nodePools:\n    a: {count: 1, capacity: {cpu: \"4\", memory: 8Gi}}\njobs:\n  j:\n    job:\n      apiVersion: batch/v1\n      kind: Job\n      spec:\n        backoffLimit: 1\n        template:\n          spec:\n            restartPolicy: Never\n            containers: [{name: c, image: x}]\n    behavior:\n      attempts: [{exitCode: 3, after: 10s}, {exitCode: 3, after: 10s}, {exitCode: 0, after: 10s}]\n";
    let good = format!(
        "{base}variants:\n  - name: baseline\n  - name: ignore-3\n    jobSpec:\n      podFailurePolicy:\n        rules:\n          - {{action: Ignore, onExitCodes: {{operator: In, values: [3]}}}}\n  - name: more-retries\n    patch:\n      jobs: {{j: {{job: {{spec: {{backoffLimit: 5}}}}}}}}\nexpect:\n  - {{job: j, variant: baseline, condition: {{type: Failed, reason: BackoffLimitExceeded}}}}\n  - {{job: j, variant: ignore-3, condition: {{type: Complete}}, status: {{failed: 0}}}}\n  - {{job: j, variant: more-retries, condition: {{type: Complete}}, status: {{failed: 2}}}}\n  - {{job: j, metrics: {{podsCreated: {{min: 2}}}}}}\n"
    );
    let f = write(dir.path(), "variants.yaml", &good);
    let o = jobsim(&["check", &f]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("6 expectations: 6 ok"),
        "{}",
        stdout(&o)
    );
    let run = stdout(&jobsim(&["run", &f, "--variant", "ignore-3"]));
    assert!(
        run.contains("variant ignore-3") && run.contains("other variants: baseline, more-retries")
    );
    let bad = format!(
        "{base}variants:\n  - name: baseline\n  - name: per-index\n    jobSpec: {{backoffLimitPerIndex: 1}}\n"
    );
    let f = write(dir.path(), "bad.yaml", &bad);
    validate_fails(
        &f,
        &[
            "bad.yaml:21:15: variants[1].jobSpec.backoffLimitPerIndex: variant \"per-index\": Job \"j\": spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode",
        ],
    );
    let o = jobsim(&[
        "run",
        &f.replace("bad.yaml", "variants.yaml"),
        "--variant",
        "nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn readme_shows_the_default_scenario_output_as_it_is() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let out = stdout(&jobsim(&[]));
    assert!(
        readme.contains(out.trim_end()),
        "README.md's sample output is stale; it should read:\n{out}"
    );
}

#[test]
fn faults_naming_missing_nodes_pools_or_jobs_are_errors_with_index_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name: t\ncluster:\n  nodePools:\n    a: {{count: 2, capacity: {{cpu: \"4\", memory: 4Gi}}}}\n{GOOD_JOB}faults:\n  - {{at: 1m, nodeDown: {{node: a-2}}}}\n  - {{at: 2m, nodeDown: {{pool: b, count: 1}}}}\n  - {{at: 3m, drain: {{node: b-0}}}}\n  - {{at: 4m, suspend: {{job: nope}}}}\n  - {{at: 5m, nodeDown: {{pool: a, count: 3}}}}\n"
    );
    let f = write(dir.path(), "faults.yaml", &text);
    validate_fails(
        &f,
        &[
            "faults[0].nodeDown.node: no node \"a-2\"",
            "faults[1].nodeDown.pool: no node pool \"b\"",
            "faults[2].drain.node: no node \"b-0\"",
            "faults[3].suspend.job: no Job \"nope\"",
            "faults[4].nodeDown.count: 3: must be between 1 and the pool's 2 nodes",
        ],
    );
}

#[test]
fn flaky_nodes_example_tells_its_story() {
    // Evictions from failing nodes exhaust backoffLimit for some Jobs in the baseline;
    // ignoring DisruptionTarget keeps every Job alive.
    let totals = |variant: &str| {
        let o = jobsim(&[
            "run",
            "scenarios/examples/flaky-nodes.yaml",
            "--variant",
            variant,
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["totals"].clone()
    };
    let base = totals("baseline");
    let tolerant = totals("ignore-disruptions");
    assert!(base["failed"].as_u64().unwrap() > 0, "{base}");
    assert_eq!(tolerant["failed"], 0, "{tolerant}");
    assert!(
        base["podSeconds"]["wastedByCause"]["nodeLost"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

#[test]
fn check_and_validate_take_a_directory_as_its_scenario_files() {
    let o = jobsim(&["check", "tests/blind/events"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let files = std::fs::read_dir("tests/blind/events")
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "yaml")
        })
        .count();
    assert!(files >= 10);
    // Every file of the directory was run, and nothing else (its README is not a scenario).
    for e in std::fs::read_dir("tests/blind/events").unwrap() {
        let p = e.unwrap().path();
        let name = p.display().to_string();
        let is_yaml = p.extension().is_some_and(|x| x == "yaml");
        assert_eq!(out.contains(&name), is_yaml, "{name}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a scenario").unwrap();
    let o = jobsim(&["validate", &dir.path().display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a directory with no scenario files"));
}

#[test]
fn scale_faults_are_validated_against_the_spec_earlier_scales_left() {
    // validateCompletions: new completions must equal the new parallelism, which a
    // scale that leaves parallelism out takes from the Job as earlier scales left it.
    let scenario = |second: &str| {
        format!(
            "name: seq\nkubernetes: \"1.31\"\ncluster: {{nodePools: {{default: {{count: 1, capacity: {{cpu: \"8\"}}}}}}}}\n\
             jobs:\n  el:\n    job:\n      apiVersion: batch/v1\n      kind: Job\n      spec:\n        completions: 4\n        parallelism: 4\n        completionMode: Indexed\n        template: {{spec: {{restartPolicy: Never, containers: [{{name: c, image: i}}]}}}}\n\
             faults:\n  - {{at: 2m, scale: {{job: el, completions: {second}}}}}\n  - {{at: 1m, scale: {{job: el, parallelism: 2}}}}\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let ok = write(dir.path(), "ok.yaml", &scenario("2"));
    let o = jobsim(&["validate", &ok]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bad = write(dir.path(), "bad.yaml", &scenario("3"));
    validate_fails(
        &bad,
        &[
            "faults[0].scale.completions",
            "can only be modified in tandem with spec.parallelism",
        ],
    );
}

#[test]
fn priority_classes_are_validated_as_the_api_server_validates_them() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "prio.yaml",
        &format!(
            "name: prio\ncluster:\n  nodePools: {{default: {{count: 1, capacity: {{cpu: \"2\"}}}}}}\n  priorityClasses:\n    a: {{value: 10, globalDefault: true}}\n    b: {{value: 2000000000, globalDefault: true, preemptionPolicy: Sometimes}}\n    c: 7\n{GOOD_JOB}"
        ),
    );
    validate_fails(
        &f,
        &[
            "prio.yaml:6:5: cluster.priorityClasses.b: value: Forbidden: maximum allowed value of a user defined priority is 1000000000",
            "cluster.priorityClasses.b.globalDefault: PriorityClass \"a\" is already marked as default",
            "cluster.priorityClasses.b.preemptionPolicy: Unsupported value: \"Sometimes\"",
        ],
    );
}
