//! Kubernetes versions and the feature gates that were on by default in each.
//!
//! A scenario's `kubernetes: "1.x"` picks a [`KubeVersion`]; the version turns on the
//! gates that upstream enabled by default in that release (k8s-job-semantics.md §0) and
//! `controlPlane.featureGates` may override them, except for gates that upstream locked
//! once they went GA.

use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor release (`1.x`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    minor: u32,
}

impl KubeVersion {
    /// The oldest release simulated.
    pub const OLDEST: KubeVersion = KubeVersion { minor: 21 };
    /// The newest release simulated; the default.
    pub const NEWEST: KubeVersion = KubeVersion { minor: 37 };

    /// `1.minor`, if supported.
    pub fn new(minor: u32) -> Option<KubeVersion> {
        let v = KubeVersion { minor };
        (Self::OLDEST..=Self::NEWEST).contains(&v).then_some(v)
    }

    /// The minor number.
    pub fn minor(self) -> u32 {
        self.minor
    }

    /// True for `1.minor` or later.
    pub fn at_least(self, minor: u32) -> bool {
        self.minor >= minor
    }
}

impl Default for KubeVersion {
    fn default() -> Self {
        Self::NEWEST
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

/// Why a version string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported Kubernetes version {0:?}: supported are \"1.21\" to \"1.37\" (minor versions, e.g. \"1.31\")"
)]
pub struct VersionError(pub String);

impl FromStr for KubeVersion {
    type Err = VersionError;
    /// Accepts `1.31`, `v1.31` and patch versions (`1.31.2`, whose patch is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError(s.to_string());
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        if parts.next() != Some("1") {
            return Err(err());
        }
        let minor: u32 = parts.next().and_then(|m| m.parse().ok()).ok_or_else(err)?;
        if let Some(patch) = parts.next() {
            patch.parse::<u32>().map_err(|_| err())?;
        }
        if parts.next().is_some() {
            return Err(err());
        }
        KubeVersion::new(minor).ok_or_else(err)
    }
}

macro_rules! feature_gates {
    ($( $(#[$doc:meta])* $name:ident = { on: $on:expr, locked: $locked:expr } ),+ $(,)?) => {
        /// The feature gates that change what the simulated control plane does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[allow(missing_docs)]
        pub enum FeatureGate {
            $( $(#[$doc])* $name, )+
        }

        impl FeatureGate {
            /// Every gate, in declaration order.
            pub const ALL: &'static [FeatureGate] = &[$(FeatureGate::$name),+];

            /// The upstream name of the gate.
            pub fn name(self) -> &'static str {
                match self { $(FeatureGate::$name => stringify!($name),)+ }
            }

            /// First minor release in which the gate is on by default (`None`: never).
            pub fn default_on_from(self) -> Option<u32> {
                match self { $(FeatureGate::$name => $on,)+ }
            }

            /// First minor release from which the gate can no longer be switched off.
            pub fn locked_from(self) -> Option<u32> {
                match self { $(FeatureGate::$name => $locked,)+ }
            }
        }
    };
}

feature_gates! {
    /// ttlSecondsAfterFinished (beta 1.21, GA 1.23).
    TTLAfterFinished = { on: Some(21), locked: Some(23) },
    /// completionMode Indexed (alpha 1.21, beta 1.22, GA 1.24).
    IndexedJob = { on: Some(22), locked: Some(24) },
    /// spec.suspend (alpha 1.21, beta 1.22, GA 1.24).
    SuspendJob = { on: Some(22), locked: Some(24) },
    /// Finalizer-based tracking (beta 1.23, off again in 1.24, on from 1.25, GA 1.26).
    JobTrackingWithFinalizers = { on: Some(25), locked: Some(26) },
    /// status.ready (beta 1.24, GA 1.29).
    JobReadyPods = { on: Some(24), locked: Some(29) },
    /// spec.podFailurePolicy (beta 1.26, GA 1.31).
    JobPodFailurePolicy = { on: Some(26), locked: Some(31) },
    /// DisruptionTarget pod condition (beta 1.26, GA 1.31).
    PodDisruptionConditions = { on: Some(26), locked: Some(31) },
    /// Scheduling directives mutable while suspended and never started (beta 1.23, GA 1.27).
    JobMutableNodeSchedulingDirectives = { on: Some(23), locked: Some(27) },
    /// completions mutable with parallelism for Indexed Jobs (beta 1.27, GA 1.31).
    ElasticIndexedJob = { on: Some(27), locked: Some(31) },
    /// spec.podReplacementPolicy, status.terminating (beta 1.29, GA 1.34).
    JobPodReplacementPolicy = { on: Some(29), locked: Some(34) },
    /// backoffLimitPerIndex, maxFailedIndexes, FailIndex (beta 1.29, GA 1.33).
    JobBackoffLimitPerIndex = { on: Some(29), locked: Some(33) },
    /// Completion index as a pod label (beta 1.28, GA 1.32).
    PodIndexLabel = { on: Some(28), locked: Some(32) },
    /// spec.successPolicy, CompletionsReached reason (beta 1.31, GA 1.33).
    JobSuccessPolicy = { on: Some(31), locked: Some(33) },
    /// spec.managedBy and strict status validation (beta 1.32, GA 1.35).
    JobManagedBy = { on: Some(32), locked: Some(35) },
    /// Init containers with `restartPolicy: Always` are sidecars (alpha 1.28, beta 1.29, GA 1.33).
    SidecarContainers = { on: Some(29), locked: Some(33) },
    /// Per-node lower crash-loop back-off cap (beta 1.35).
    KubeletCrashLoopBackOffMax = { on: Some(35), locked: None },
    /// Crash-loop back-off 1s..60s instead of 10s..300s (alpha 1.33).
    ReduceDefaultCrashLoopBackOffDecay = { on: None, locked: None },
    /// Container-level restart rules (beta 1.35).
    ContainerRestartRules = { on: Some(35), locked: None },
    /// Scheduling directives mutable while suspended after a start; startTime cleared on suspend (beta 1.36).
    MutableSchedulingDirectivesForSuspendedJobs = { on: Some(36), locked: None },
    /// Container resources mutable while suspended (beta 1.36).
    MutablePodResourcesForSuspendedJobs = { on: Some(36), locked: None },
}

impl FromStr for FeatureGate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FeatureGate::ALL
            .iter()
            .copied()
            .find(|g| g.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = FeatureGate::ALL.iter().map(|g| g.name()).collect();
                format!(
                    "unknown feature gate {s:?}; known gates: {}",
                    names.join(", ")
                )
            })
    }
}

const _: () = assert!(
    FeatureGate::ALL.len() <= 64,
    "FeatureGates keeps one bit per gate"
);

/// The gates in force for one run, one bit per gate (the controller asks on every
/// sync, so a lookup is a shift and a mask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureGates {
    on: u64,
}

impl FeatureGates {
    /// The defaults of `version`.
    pub fn defaults_for(version: KubeVersion) -> Self {
        let mut on = 0u64;
        for &g in FeatureGate::ALL {
            if g.default_on_from().is_some_and(|m| version.minor >= m) {
                on |= 1 << g as u32;
            }
        }
        FeatureGates { on }
    }

    /// Overrides one gate, refusing what the version's API server would refuse.
    pub fn set(
        &mut self,
        version: KubeVersion,
        gate: FeatureGate,
        value: bool,
    ) -> Result<(), String> {
        if let Some(locked) = gate.locked_from()
            && version.minor >= locked
            && !value
        {
            return Err(format!(
                "cannot set feature gate {} to false, feature is locked to true in {version}",
                gate.name()
            ));
        }
        if value {
            self.on |= 1 << gate as u32;
        } else {
            self.on &= !(1 << gate as u32);
        }
        Ok(())
    }

    /// Whether `gate` is on.
    pub fn enabled(&self, gate: FeatureGate) -> bool {
        self.on & (1 << gate as u32) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_in_the_usual_spellings() {
        assert_eq!("1.31".parse::<KubeVersion>().unwrap().minor(), 31);
        assert_eq!("v1.21".parse::<KubeVersion>().unwrap().minor(), 21);
        assert_eq!("1.33.2".parse::<KubeVersion>().unwrap().minor(), 33);
        for bad in ["1.20", "2.0", "1.x", "1.99", "31", "1.31.x"] {
            assert!(bad.parse::<KubeVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn gate_defaults_follow_the_release_timeline() {
        let v = |m| FeatureGates::defaults_for(KubeVersion::new(m).unwrap());
        assert!(!v(21).enabled(FeatureGate::IndexedJob));
        assert!(v(22).enabled(FeatureGate::IndexedJob));
        assert!(v(31).enabled(FeatureGate::JobPodReplacementPolicy));
        assert!(!v(31).enabled(FeatureGate::JobManagedBy));
        assert!(v(32).enabled(FeatureGate::JobManagedBy));
        assert!(!v(35).enabled(FeatureGate::MutableSchedulingDirectivesForSuspendedJobs));
        assert!(v(36).enabled(FeatureGate::MutableSchedulingDirectivesForSuspendedJobs));
    }

    #[test]
    fn locked_gates_cannot_be_switched_off() {
        let version = KubeVersion::new(34).unwrap();
        let mut g = FeatureGates::defaults_for(version);
        assert!(
            g.set(version, FeatureGate::JobPodReplacementPolicy, false)
                .is_err()
        );
        let v31 = KubeVersion::new(31).unwrap();
        let mut g31 = FeatureGates::defaults_for(v31);
        assert!(
            g31.set(v31, FeatureGate::JobPodReplacementPolicy, false)
                .is_ok()
        );
        assert!(g.set(version, FeatureGate::JobManagedBy, true).is_ok());
    }
}
