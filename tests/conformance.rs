//! Every scenario under tests/conformance/ passes `jobsim check`: the same loading,
//! simulation and expectation code the CLI runs, one scenario per behaviour.

use std::path::{Path, PathBuf};

fn conformance_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_conformance_scenario_meets_its_expectations() {
    let files = conformance_files();
    assert!(
        files.len() >= 120,
        "only {} conformance scenarios",
        files.len()
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut legacy = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let s = match scenarios::load_file(f) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: does not load:\n{e}"));
                continue;
            }
        };
        if s.run.version.minor() == 21 {
            legacy += 1;
        }
        if s.expectations.is_empty() {
            failures.push(format!("{name}: has no expectations"));
            continue;
        }
        if s.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            failures.push(format!(
                "{name}: names no upstream test or document section"
            ));
        }
        let checks = match scenarios::runner::check(&s) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: run failed: {e}"));
                continue;
            }
        };
        for vc in checks {
            for r in vc.results {
                checked += 1;
                if !r.ok() {
                    failures.push(format!(
                        "{name}: expect[{}] {} ({}): {}",
                        r.index,
                        r.subject,
                        vc.variant,
                        r.misses.join("; ")
                    ));
                }
            }
        }
    }
    assert!(legacy >= 15, "only {legacy} scenarios on the 1.21 profile");
    assert!(
        failures.is_empty(),
        "{} of {} files failed ({checked} expectations checked):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_conformance_scenario_is_listed_in_docs_semantics() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/semantics.md"))
            .expect("docs/semantics.md exists");
    let missing: Vec<String> = conformance_files()
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().to_string())
        .filter(|name| !doc.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "not in docs/semantics.md: {missing:?}");
}
