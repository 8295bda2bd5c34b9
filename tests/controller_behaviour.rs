//! Job controller behaviours of the foundation slice, each run end to end from a
//! scenario file through the same loader and simulation as `jobsim run`.

use job_model::api::JobConditionType;
use job_model::run::{JobResult, Outcome, RunOutcome};
use job_model::{RunOptions, simulate};
use sim_core::{SimDuration, SimTime};

/// A scenario with one large pool and the given `jobs:` block (indented by 2).
fn scenario(jobs: &str) -> String {
    format!(
        "name: t\nkubernetes: \"1.31\"\nhorizon: 6h\ncluster:\n  nodePools:\n    big: {{count: 50, capacity: {{cpu: \"64\", memory: 256Gi}}}}\njobs:\n{jobs}"
    )
}

/// A Job entry: name, spec lines (indented by 8), behavior lines (indented by 6).
fn job(name: &str, spec: &str, behavior: &str) -> String {
    format!(
        "  {name}:\n    job:\n      apiVersion: batch/v1\n      kind: Job\n      spec:\n{spec}        template:\n          spec:\n            restartPolicy: Never\n            containers: [{{name: main, image: busybox, resources: {{requests: {{cpu: 500m}}}}}}]\n    behavior:\n{behavior}"
    )
}

fn run_with(text: &str, seed: u64, observe: &[u64]) -> RunOutcome {
    let s = scenarios::load_str(text, "test.yaml", None).unwrap_or_else(|e| panic!("{e}"));
    let opts = RunOptions {
        seed,
        observe_at: observe.iter().map(|&t| SimTime::from_secs(t)).collect(),
        ..RunOptions::default()
    };
    simulate(s.run.clone(), &opts).expect("run")
}

fn run(text: &str) -> RunOutcome {
    run_with(text, 1, &[])
}

fn the<'a>(out: &'a RunOutcome, name: &str) -> &'a JobResult {
    out.jobs.iter().find(|j| j.name == name).expect("job")
}

fn secs(times: &[SimTime]) -> Vec<u64> {
    times.iter().map(|t| t.as_millis() / 1000).collect()
}

fn events(out: &RunOutcome, reason: &str) -> usize {
    out.k8s_events.iter().filter(|e| e.reason == reason).count()
}

#[test]
fn pod_failure_backoff_delays_recreation_10s_20s_40s() {
    // Each run fails 30 s after it starts; a pod starts 2 s after creation
    // (podStartDelay), so pod k finishes 32 s after its creation. The next pod is
    // created back-off after that finish: 10 s, then 20 s, then 40 s.
    let text = scenario(&job(
        "retry",
        "        backoffLimit: 6\n",
        "      attempts:\n        - {exitCode: 1, after: 30s}\n        - {exitCode: 1, after: 30s}\n        - {exitCode: 1, after: 30s}\n        - {exitCode: 0, after: 30s}\n",
    ));
    let out = run(&text);
    let j = the(&out, "retry");
    let created = secs(&j.ledger.pod_creations);
    assert_eq!(created, vec![0, 42, 94, 166]);
    let gaps: Vec<u64> = created.windows(2).map(|w| w[1] - (w[0] + 32)).collect();
    assert_eq!(gaps, vec![10, 20, 40]);
    assert_eq!(j.outcome, Outcome::Complete);
    assert_eq!(j.status.failed, 3);
    assert_eq!(j.status.succeeded, 1);
}

#[test]
fn backoff_limit_exceeded_after_backoff_limit_plus_one_failures() {
    for limit in [0, 2, 4] {
        let text = scenario(&job(
            "doomed",
            &format!("        backoffLimit: {limit}\n"),
            "      runtime: 20s\n      failures: [{probability: 1.0, exitCode: 3, after: 20s}]\n",
        ));
        let out = run(&text);
        let j = the(&out, "doomed");
        assert_eq!(
            j.outcome,
            Outcome::Failed("BackoffLimitExceeded".into()),
            "limit {limit}"
        );
        assert_eq!(j.status.failed, limit + 1, "limit {limit}");
        assert_eq!(
            j.ledger.pod_creations.len() as i32,
            limit + 1,
            "limit {limit}"
        );
        assert_eq!(events(&out, "BackoffLimitExceeded"), 1);
        // v1.31: FailureTarget first, then Failed once the pods are gone.
        let ft = j
            .status
            .true_condition(JobConditionType::FailureTarget)
            .expect("interim");
        let failed = j
            .status
            .true_condition(JobConditionType::Failed)
            .expect("terminal");
        assert_eq!(ft.reason, "BackoffLimitExceeded");
        assert!(ft.last_transition_time <= failed.last_transition_time);
        assert_eq!(
            j.ledger.time.useful_ms, 0,
            "nothing of a failed Job is useful"
        );
    }
}

#[test]
fn indexed_job_reports_completed_indexes_as_intervals() {
    let text = scenario(&job(
        "frames",
        "        completionMode: Indexed\n        completions: 6\n        parallelism: 6\n",
        "      runtime: 10m\n      indexes:\n        \"0,1,3\": {runtime: 1m}\n",
    ));
    let out = run_with(&text, 1, &[300]);
    let row = out.jobs.iter().position(|j| j.name == "frames").unwrap();
    let mid = out.snapshots[0].jobs[row].as_ref().expect("exists at 5m");
    assert_eq!(mid.completed_indexes.to_string(), "0,1,3");
    assert_eq!(mid.succeeded, 3);
    assert_eq!(mid.active, 3);
    let j = the(&out, "frames");
    assert_eq!(j.status.completed_indexes.to_string(), "0-5");
    assert_eq!(j.outcome, Outcome::Complete);
    assert_eq!(events(&out, "Completed"), 1);
}

#[test]
fn parallelism_is_never_exceeded() {
    let jobs = [
        job(
            "indexed",
            "        completionMode: Indexed\n        completions: 40\n        parallelism: 7\n        backoffLimit: 100\n",
            "      runtime: {exponential: {mean: 1m}}\n      failures: [{probability: 0.3, exitCode: 1}]\n",
        ),
        job(
            "nonindexed",
            "        completions: 25\n        parallelism: 4\n        backoffLimit: 100\n",
            "      runtime: {uniform: [10s, 3m]}\n      failures: [{probability: 0.3, exitCode: 1}]\n",
        ),
        job(
            "workqueue",
            "        parallelism: 5\n",
            "      runtime: {uniform: [1m, 5m]}\n",
        ),
    ]
    .concat();
    for seed in 1..=5 {
        let out = run_with(&scenario(&jobs), seed, &[]);
        for (name, p) in [("indexed", 7), ("nonindexed", 4), ("workqueue", 5)] {
            let j = the(&out, name);
            assert_eq!(j.ledger.max_active_pods, p, "{name} seed {seed}");
            assert_eq!(j.outcome, Outcome::Complete, "{name} seed {seed}");
        }
    }
}

#[test]
fn work_queue_job_completes_when_one_pod_succeeded_and_the_rest_finished() {
    let text = scenario(&job(
        "queue",
        "        parallelism: 3\n",
        "      runtime: 5m\n      pods:\n        \"0\": {runtime: 1m}\n",
    ));
    let out = run(&text);
    let j = the(&out, "queue");
    assert_eq!(
        j.ledger.pod_creations.len(),
        3,
        "no pod is created after a success"
    );
    assert_eq!(j.status.succeeded, 3);
    let done = j.completion_time().unwrap();
    assert!(
        done >= SimDuration::from_mins(5),
        "waits for every pod: {done}"
    );
}

#[test]
fn keyed_streams_are_unchanged_when_an_unrelated_job_is_added() {
    let x = job(
        "x",
        "        completionMode: Indexed\n        completions: 30\n        parallelism: 10\n        backoffLimit: 50\n",
        "      startup: {uniform: [0s, 30s]}\n      runtime: {lognormal: {median: 2m, sigma: 0.8}}\n      failures: [{probability: 0.2, exitCode: 1}]\n",
    );
    let y = job(
        "y",
        "        completions: 40\n        parallelism: 20\n        backoffLimit: 50\n",
        "      runtime: {lognormal: {median: 1m, sigma: 1.0}}\n      failures: [{probability: 0.4, exitCode: 2}]\n",
    );
    // y is listed first, so it is created first and draws first.
    let alone = run_with(&scenario(&x), 9, &[]);
    let with_y = run_with(&scenario(&[y, x.clone()].concat()), 9, &[]);
    let (a, b) = (the(&alone, "x"), the(&with_y, "x"));
    assert_eq!(a.ledger.pod_creations, b.ledger.pod_creations);
    assert_eq!(a.ledger.time, b.ledger.time);
    assert_eq!(a.status.failed, b.status.failed);
    assert_eq!(a.completion_time(), b.completion_time());
    assert!(a.status.failed > 0, "the scenario exercises failures");
    // ... while a different seed does change them.
    let other = run_with(&scenario(&x), 10, &[]);
    assert_ne!(the(&other, "x").ledger.time, a.ledger.time);
}

#[test]
fn pod_seconds_split_into_useful_and_wasted_adds_up() {
    let text = scenario(&job(
        "mixed",
        "        completions: 10\n        parallelism: 3\n        backoffLimit: 20\n",
        "      runtime: 2m\n      failures: [{probability: 0.3, exitCode: 1}]\n",
    ));
    let out = run(&text);
    let j = the(&out, "mixed");
    let t = &j.ledger.time;
    assert_eq!(t.useful_ms + t.wasted_total_ms(), j.ledger.total_ms);
    // Ten successful 2-minute runs, each bound 2 s before its container started.
    assert_eq!(t.useful_ms, 10 * 122_000);
    assert!(t.wasted_total_ms() > 0);
}

#[test]
fn job_failure_deletes_remaining_pods_then_turns_failure_target_into_failed() {
    let text = scenario(&job(
        "fails-fast",
        "        completions: 3\n        parallelism: 3\n        backoffLimit: 0\n",
        "      runtime: 10m\n      termination: {after: 5s}\n      pods:\n        \"0\": {attempts: [{exitCode: 1, after: 10s}]}\n",
    ));
    let out = run(&text);
    let j = the(&out, "fails-fast");
    assert_eq!(j.outcome, Outcome::Failed("BackoffLimitExceeded".into()));
    assert_eq!(events(&out, "SuccessfulDelete"), 2, "the two running pods");
    let ft = j
        .status
        .true_condition(JobConditionType::FailureTarget)
        .unwrap();
    let failed = j.status.true_condition(JobConditionType::Failed).unwrap();
    // Pod 0 fails at 12 s (2 s start + 10 s); the sync 1 s later sets FailureTarget and
    // deletes the others; they take 5 s to exit on SIGTERM; then Failed.
    assert_eq!(ft.last_transition_time, SimTime::from_secs(13));
    assert!(
        failed.last_transition_time >= SimTime::from_secs(18),
        "{failed:?}"
    );
    assert_eq!(j.status.active, 0);
    assert_eq!(j.status.terminating, Some(0));
    let t = &j.ledger.time;
    use job_model::metrics::WasteCause;
    assert_eq!(t.wasted(WasteCause::Failed), 12_000);
    assert!(t.wasted(WasteCause::TerminatedByController) > 0);
    assert_eq!(t.wasted(WasteCause::GracefulTermination), 2 * 5_000);
    assert_eq!(t.useful_ms, 0);
}

#[test]
fn a_job_still_running_at_the_horizon_is_unfinished() {
    let text = scenario(&job("slow", "", "      runtime: 10h\n"));
    let out = run(&text);
    let j = the(&out, "slow");
    assert_eq!(j.outcome, Outcome::Unfinished);
    assert_eq!(j.completion_time(), None);
    assert_eq!(j.status.active, 1);
    use job_model::metrics::WasteCause;
    // Bound at 0 s; the horizon is 6 h.
    assert_eq!(j.ledger.time.wasted(WasteCause::Unfinished), 6 * 3_600_000);
}

#[test]
fn pods_wait_for_node_capacity_and_bind_when_it_frees() {
    let text = "name: t\nhorizon: 2h\ncluster:\n  nodePools:\n    tiny: {count: 1, capacity: {cpu: \"1\", memory: 4Gi}}\njobs:\n"
        .to_string()
        + &job(
            "queue",
            "        completions: 4\n        parallelism: 4\n",
            "      runtime: 5m\n",
        );
    let out = run(&text);
    let j = the(&out, "queue");
    // Two 500m pods fit at a time: two rounds of 5 m (plus start delays and syncs).
    assert_eq!(j.ledger.max_active_pods, 4, "pending pods count as active");
    let done = j.completion_time().unwrap();
    assert!(
        done >= SimDuration::from_mins(10) && done < SimDuration::from_mins(11),
        "{done}"
    );
    assert_eq!(j.ledger.time.useful_ms, 4 * 302_000);
}

#[test]
fn node_failure_times_are_the_same_in_every_variant() {
    // A flaky pool and two variants with different Job policies: the policies change
    // what the Jobs do, never when the nodes fail.
    let text = "name: t\nhorizon: 12h\ncluster:\n  nodePools:\n    flaky:\n      count: 6\n      capacity: {cpu: \"8\", memory: 32Gi}\n      failures: {mtbf: 2h, downtime: {uniform: [5m, 30m]}}\njobs:\n".to_string()
        + &job(
            "work",
            "        completionMode: Indexed\n        completions: 40\n        parallelism: 8\n        backoffLimit: 3\n",
            "      runtime: {lognormal: {median: 20m, sigma: 0.5}}\n",
        )
        + "variants:\n  - name: baseline\n  - name: tolerant\n    jobSpec:\n      backoffLimit: 100\n      podFailurePolicy:\n        rules: [{action: Ignore, onPodConditions: [{type: DisruptionTarget}]}]\n";
    let s = scenarios::load_str(&text, "variants.yaml", None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.variants(), vec!["baseline", "tolerant"]);
    let run = |variant: &str| {
        let req = scenarios::runner::RunRequest {
            variant: variant.into(),
            seed: 3,
            run: 0,
        };
        scenarios::runner::run(&s, &req).expect("runs")
    };
    let (a, b) = (run("baseline"), run("tolerant"));
    let downs = |o: &RunOutcome| -> Vec<(SimTime, String)> {
        o.node_events
            .iter()
            .filter(|e| e.kind == job_model::node_lifecycle::NodeEventKind::Down)
            .map(|e| (e.time, o.node_names[e.node.0 as usize].clone()))
            .collect()
    };
    assert!(
        downs(&a).len() >= 5,
        "the scenario has outages: {:?}",
        downs(&a)
    );
    assert_eq!(downs(&a), downs(&b));
    assert_eq!(a.node_events, b.node_events);
    let (ja, jb) = (the(&a, "work"), the(&b, "work"));
    assert_ne!(
        (ja.status.failed, ja.ledger.ignored_failures),
        (jb.status.failed, jb.ledger.ignored_failures),
        "the policies differ in effect"
    );
}
