//! Kubernetes Events the controllers record, as `kubectl get events` would list them.

use sim_core::{SimTime, name_key};

use crate::store::JobId;

/// Normal or Warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// Normal.
    Normal,
    /// Warning.
    Warning,
}

impl EventType {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// A pod's name, stored compactly and rendered on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodName {
    /// Completion index (Indexed Jobs).
    pub index: Option<u32>,
    /// Creation ordinal within the Job.
    pub ordinal: u32,
}

impl PodName {
    /// `<job>-<5 chars>` or, for Indexed Jobs, `<job>-<index>-<5 chars>`, as upstream's
    /// generateName produces; the suffix is derived from the Job name and the ordinal
    /// instead of drawn at random.
    pub fn render(&self, job_name: &str) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut h =
            name_key(job_name) ^ u64::from(self.ordinal).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut suffix = String::with_capacity(5);
        for _ in 0..5 {
            h ^= h >> 29;
            h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            suffix.push(ALPHABET[(h % ALPHABET.len() as u64) as usize] as char);
        }
        match self.index {
            Some(i) => format!("{job_name}-{i}-{suffix}"),
            None => format!("{job_name}-{suffix}"),
        }
    }
}

/// An event's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventMessage {
    /// Fixed text.
    Static(&'static str),
    /// "Created pod: <name>".
    CreatedPod(PodName),
    /// "Deleted pod: <name>".
    DeletedPod(PodName),
    /// Any other text.
    Text(Box<str>),
}

/// One recorded event, involving a Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// When.
    pub time: SimTime,
    /// The involved Job.
    pub job: JobId,
    /// Normal or Warning.
    pub event_type: EventType,
    /// Reason, e.g. SuccessfulCreate.
    pub reason: &'static str,
    /// Message.
    pub message: EventMessage,
}

impl RecordedEvent {
    /// The message text.
    pub fn message_text(&self, job_name: &str) -> String {
        match &self.message {
            EventMessage::Static(s) => (*s).to_string(),
            EventMessage::CreatedPod(p) => format!("Created pod: {}", p.render(job_name)),
            EventMessage::DeletedPod(p) => format!("Deleted pod: {}", p.render(job_name)),
            EventMessage::Text(t) => t.to_string(),
        }
    }
}

/// Every event of a run, in the order recorded.
#[derive(Clone, Debug, Default)]
pub struct EventRecorder {
    events: Vec<RecordedEvent>,
}

impl EventRecorder {
    /// Records an event.
    pub fn record(
        &mut self,
        time: SimTime,
        job: JobId,
        event_type: EventType,
        reason: &'static str,
        message: EventMessage,
    ) {
        self.events.push(RecordedEvent {
            time,
            job,
            event_type,
            reason,
            message,
        });
    }

    /// All events.
    pub fn events(&self) -> &[RecordedEvent] {
        &self.events
    }

    /// Ends recording.
    pub fn into_events(self) -> Vec<RecordedEvent> {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_names_look_like_generate_name_output_and_are_stable() {
        let n = PodName {
            index: Some(3),
            ordinal: 7,
        }
        .render("pi");
        assert!(
            n.starts_with("pi-3-") && n.len() == "pi-3-".len() + 5,
            "{n}"
        );
        assert_eq!(
            n,
            PodName {
                index: Some(3),
                ordinal: 7
            }
            .render("pi")
        );
        assert_ne!(
            n,
            PodName {
                index: Some(3),
                ordinal: 8
            }
            .render("pi")
        );
        assert!(
            PodName {
                index: None,
                ordinal: 0
            }
            .render("job")
            .starts_with("job-")
        );
    }
}
