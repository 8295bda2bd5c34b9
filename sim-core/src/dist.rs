//! Distributions of durations, sampled bit-identically on every platform.

use std::fmt;

use rand_core::Rng;

use crate::SimDuration;
use crate::rng::unit_f64;

/// A distribution over durations. Samples are rounded to whole milliseconds.
///
/// Sampling uses only raw `u64` draws and pure-Rust `libm`, never the platform's float
/// library, so a seed gives the same samples on every machine.
///
/// ```
/// use sim_core::{stream, Distribution, SimDuration, StreamKey};
/// let runtime = Distribution::lognormal(SimDuration::from_secs(120), 0.5).unwrap();
/// let mut rng = stream(1, &StreamKey::new("example", [0, 0, 0]));
/// let a = runtime.sample(&mut rng);
/// let b = runtime.sample(&mut stream(1, &StreamKey::new("example", [0, 0, 0])));
/// assert_eq!(a, b);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always the same value.
    Fixed(SimDuration),
    /// Uniform over `[low, high]` (inclusive, in milliseconds).
    Uniform {
        /// Smallest value.
        low: SimDuration,
        /// Largest value.
        high: SimDuration,
    },
    /// Exponential with the given mean.
    Exponential {
        /// Mean.
        mean: SimDuration,
    },
    /// Log-normal: `median * exp(sigma * Z)`, Z standard normal.
    LogNormal {
        /// Median (`exp(mu)`).
        median: SimDuration,
        /// Standard deviation of the underlying normal.
        sigma: f64,
    },
    /// Normal, clamped at zero.
    Normal {
        /// Mean.
        mean: SimDuration,
        /// Standard deviation.
        stddev: SimDuration,
    },
    /// One of the listed values, each equally likely.
    Empirical(Vec<SimDuration>),
}

/// Why distribution parameters were rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DistributionError {
    /// `uniform: [a, b]` with `a > b`.
    #[error("uniform bounds out of order: {low} > {high}")]
    UniformBoundsOutOfOrder {
        /// Lower bound as given.
        low: SimDuration,
        /// Upper bound as given.
        high: SimDuration,
    },
    /// A sigma that is negative, NaN or infinite.
    #[error("sigma must be a finite number >= 0, got {0}")]
    BadSigma(String),
    /// `empirical: []`.
    #[error("empirical needs at least one value")]
    EmptyEmpirical,
}

impl Distribution {
    /// Uniform over `[low, high]`.
    pub fn uniform(low: SimDuration, high: SimDuration) -> Result<Self, DistributionError> {
        if low > high {
            return Err(DistributionError::UniformBoundsOutOfOrder { low, high });
        }
        Ok(Distribution::Uniform { low, high })
    }

    /// Log-normal with the given median and sigma.
    pub fn lognormal(median: SimDuration, sigma: f64) -> Result<Self, DistributionError> {
        if !sigma.is_finite() || sigma < 0.0 {
            return Err(DistributionError::BadSigma(sigma.to_string()));
        }
        Ok(Distribution::LogNormal { median, sigma })
    }

    /// Empirical over `values`.
    pub fn empirical(values: Vec<SimDuration>) -> Result<Self, DistributionError> {
        if values.is_empty() {
            return Err(DistributionError::EmptyEmpirical);
        }
        Ok(Distribution::Empirical(values))
    }

    /// Draws one value. Uses a fixed number of `u64` draws per variant, so the stream
    /// position after a sample does not depend on the value drawn.
    pub fn sample(&self, rng: &mut impl Rng) -> SimDuration {
        match self {
            Distribution::Fixed(d) => *d,
            Distribution::Uniform { low, high } => {
                let span = high.as_millis() - low.as_millis();
                SimDuration::from_millis(low.as_millis() + below(rng, span.saturating_add(1)))
            }
            Distribution::Exponential { mean } => {
                let u = 1.0 - unit_f64(rng); // (0, 1]
                to_millis(-(mean.as_millis() as f64) * libm::log(u))
            }
            Distribution::LogNormal { median, sigma } => {
                let z = standard_normal(rng);
                to_millis(median.as_millis() as f64 * libm::exp(sigma * z))
            }
            Distribution::Normal { mean, stddev } => {
                let z = standard_normal(rng);
                to_millis(mean.as_millis() as f64 + stddev.as_millis() as f64 * z)
            }
            Distribution::Empirical(values) => values[below(rng, values.len() as u64) as usize],
        }
    }

    /// True if every sample is the same value.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Distribution::Fixed(_))
    }
}

/// A uniform integer in `[0, n)` (n > 0) by widening multiplication.
fn below(rng: &mut impl Rng, n: u64) -> u64 {
    if n == 0 {
        // n wrapped: the span covers every u64.
        return rng.next_u64();
    }
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// Box–Muller, keeping one of the pair so that every sample uses exactly two draws.
fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - unit_f64(rng); // (0, 1]
    let u2 = unit_f64(rng);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
}

/// Rounds to the nearest millisecond, clamping to `[0, MAX]`.
fn to_millis(ms: f64) -> SimDuration {
    if ms.is_nan() || ms <= 0.0 {
        return SimDuration::ZERO;
    }
    let r = libm::round(ms);
    if r >= u64::MAX as f64 {
        SimDuration::MAX
    } else {
        SimDuration::from_millis(r as u64)
    }
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distribution::Fixed(d) => write!(f, "{d}"),
            Distribution::Uniform { low, high } => write!(f, "uniform [{low}, {high}]"),
            Distribution::Exponential { mean } => write!(f, "exponential, mean {mean}"),
            Distribution::LogNormal { median, sigma } => {
                write!(f, "lognormal, median {median}, sigma {sigma}")
            }
            Distribution::Normal { mean, stddev } => {
                write!(f, "normal, mean {mean}, stddev {stddev}")
            }
            Distribution::Empirical(v) => write!(f, "empirical over {} values", v.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StreamKey, stream};

    fn rng(i: u64) -> crate::Stream {
        stream(99, &StreamKey::new("dist-test", [i, 0, 0]))
    }

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn uniform_stays_within_bounds_and_hits_both_ends() {
        let d = Distribution::uniform(SimDuration::from_millis(10), SimDuration::from_millis(12))
            .unwrap();
        let mut r = rng(0);
        let mut seen = [false; 3];
        for _ in 0..1000 {
            let v = d.sample(&mut r).as_millis();
            assert!((10..=12).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn lognormal_median_is_close_to_the_parameter() {
        let d = Distribution::lognormal(secs(120), 0.5).unwrap();
        let mut r = rng(1);
        let mut v: Vec<u64> = (0..20_001).map(|_| d.sample(&mut r).as_millis()).collect();
        v.sort_unstable();
        let median = v[v.len() / 2] as f64;
        assert!(
            (median - 120_000.0).abs() < 120_000.0 * 0.03,
            "median {median}"
        );
    }

    #[test]
    fn exponential_mean_is_close_to_the_parameter() {
        let d = Distribution::Exponential { mean: secs(60) };
        let mut r = rng(2);
        let n = 40_000;
        let mean = (0..n)
            .map(|_| d.sample(&mut r).as_millis() as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - 60_000.0).abs() < 60_000.0 * 0.03, "mean {mean}");
    }

    #[test]
    fn normal_is_clamped_at_zero() {
        let d = Distribution::Normal {
            mean: secs(1),
            stddev: secs(10),
        };
        let mut r = rng(3);
        let mut zeros = 0;
        for _ in 0..1000 {
            if d.sample(&mut r).is_zero() {
                zeros += 1;
            }
        }
        assert!(
            zeros > 300,
            "about 46% of draws fall below zero, got {zeros}"
        );
    }

    #[test]
    fn empirical_draws_only_listed_values() {
        let values = vec![secs(1), secs(5), secs(9)];
        let d = Distribution::empirical(values.clone()).unwrap();
        let mut r = rng(4);
        for _ in 0..500 {
            assert!(values.contains(&d.sample(&mut r)));
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert!(Distribution::uniform(secs(2), secs(1)).is_err());
        assert!(Distribution::lognormal(secs(1), -0.1).is_err());
        assert!(Distribution::lognormal(secs(1), f64::NAN).is_err());
        assert!(Distribution::empirical(vec![]).is_err());
    }
}
