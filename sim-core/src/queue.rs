//! The event queue and cancellable timers.

use crate::SimTime;

/// A priority queue of events ordered by `(time, insertion sequence)`.
///
/// Events due at the same instant pop in the order they were pushed, so a model's
/// behaviour never depends on the heap's internal layout.
///
/// ```
/// use sim_core::{EventQueue, SimTime};
/// let mut q = EventQueue::new();
/// q.push(SimTime::from_secs(2), "late");
/// q.push(SimTime::from_secs(1), "first");
/// q.push(SimTime::from_secs(1), "second");
/// let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
/// assert_eq!(order, ["first", "second", "late"]);
/// ```
///
/// It is a 4-ary min-heap of `(key, slot)` pairs: the `(time, seq)` key packed into
/// one `u128` (time in the high bits) and the index of the event in a slab. Sifting
/// moves only these small pairs, the comparisons of one level touch one cache line,
/// and events never move once stored.
#[derive(Debug)]
pub struct EventQueue<E> {
    keys: Vec<u128>,
    slots: Vec<u32>,
    events: Vec<Option<E>>,
    free: Vec<u32>,
    next_seq: u64,
}

const ARITY: usize = 4;

/// The bit of the sequence word that puts an event after the early ones of its instant.
const LATE: u64 = 1 << 63;

fn pack(time: SimTime, seq: u64) -> u128 {
    (u128::from(time.as_millis()) << 64) | u128::from(seq)
}

fn time_of(key: u128) -> SimTime {
    SimTime::from_millis((key >> 64) as u64)
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            keys: Vec::new(),
            slots: Vec::new(),
            events: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }

    /// Adds `event` at `time`, after every event already queued for that instant.
    pub fn push(&mut self, time: SimTime, event: E) {
        self.push_seq(time, LATE | self.next_seq, event);
    }

    /// Adds `event` at `time`, before every event queued with [`push`](Self::push) for
    /// that instant (and after the early ones already queued). Models a reader that
    /// acts at an instant on what it saw before it: what happens at the same instant
    /// reaches it later.
    ///
    /// ```
    /// use sim_core::{EventQueue, SimTime};
    /// let mut q = EventQueue::new();
    /// q.push(SimTime::from_secs(1), "exit");
    /// q.push_early(SimTime::from_secs(1), "sync");
    /// let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
    /// assert_eq!(order, ["sync", "exit"]);
    /// ```
    pub fn push_early(&mut self, time: SimTime, event: E) {
        self.push_seq(time, self.next_seq, event);
    }

    fn push_seq(&mut self, time: SimTime, seq: u64, event: E) {
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(s) => {
                self.events[s as usize] = Some(event);
                s
            }
            None => {
                self.events.push(Some(event));
                (self.events.len() - 1) as u32
            }
        };
        let key = pack(time, seq);
        self.keys.push(key);
        self.slots.push(slot);
        // Sift up with a hole: parents move down until the new key's place is found.
        let mut i = self.keys.len() - 1;
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            self.slots[i] = self.slots[parent];
            i = parent;
        }
        self.keys[i] = key;
        self.slots[i] = slot;
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let top_key = *self.keys.first()?;
        let top_slot = self.slots[0];
        let last_key = self.keys.pop().expect("not empty");
        let last_slot = self.slots.pop().expect("not empty");
        if !self.keys.is_empty() {
            self.sift_down_from_root(last_key, last_slot);
        }
        let event = self.events[top_slot as usize]
            .take()
            .expect("a queued slot holds its event");
        self.free.push(top_slot);
        Some((time_of(top_key), event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.keys.first().map(|&k| time_of(k))
    }

    /// Events queued.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True if nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Places `(key, slot)` starting from a hole at the root.
    fn sift_down_from_root(&mut self, key: u128, slot: u32) {
        let n = self.keys.len();
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let (min, min_key) = if first + ARITY <= n {
                // A full group: a tournament of two pairs, one bounds check.
                let c: &[u128; ARITY] = self.keys[first..first + ARITY]
                    .try_into()
                    .expect("four children");
                let (a, ka) = if c[1] < c[0] { (1, c[1]) } else { (0, c[0]) };
                let (b, kb) = if c[3] < c[2] { (3, c[3]) } else { (2, c[2]) };
                if kb < ka {
                    (first + b, kb)
                } else {
                    (first + a, ka)
                }
            } else {
                let mut min = first;
                for c in first + 1..n {
                    if self.keys[c] < self.keys[min] {
                        min = c;
                    }
                }
                (min, self.keys[min])
            };
            if min_key >= key {
                break;
            }
            self.keys[i] = min_key;
            self.slots[i] = self.slots[min];
            i = min;
        }
        self.keys[i] = key;
        self.slots[i] = slot;
    }
}

/// Proof that a [`TimerSlot`] was armed; carried inside the event that fires it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerToken(u32);

/// A re-armable timer with lazy cancellation.
///
/// Arming returns a token to put in the scheduled event. Arming again or cancelling
/// bumps the slot's generation, so the older event is recognised as stale by
/// [`TimerSlot::fire`] when it pops and is dropped. A rescheduled back-off or a deleted
/// object therefore never leaves live work behind.
///
/// ```
/// use sim_core::{SimTime, TimerSlot};
/// let mut slot = TimerSlot::default();
/// let old = slot.arm(SimTime::from_secs(10));
/// let new = slot.arm(SimTime::from_secs(20));
/// assert!(!slot.fire(old));
/// assert!(slot.fire(new));
/// assert!(!slot.fire(new), "a token fires once");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerSlot {
    generation: u32,
    due: Option<SimTime>,
}

impl TimerSlot {
    /// Arms the timer for `at`, superseding any earlier arming.
    pub fn arm(&mut self, at: SimTime) -> TimerToken {
        self.generation = self.generation.wrapping_add(1);
        self.due = Some(at);
        TimerToken(self.generation)
    }

    /// Arms the timer for `at` unless it is already armed for an earlier or equal time
    /// (the semantics of a delaying work queue: the earliest request wins).
    /// Returns the token when a new event must be scheduled.
    pub fn arm_earliest(&mut self, at: SimTime) -> Option<TimerToken> {
        match self.due {
            Some(due) if due <= at => None,
            _ => Some(self.arm(at)),
        }
    }

    /// Disarms the timer; pending firings become stale.
    pub fn cancel(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.due = None;
    }

    /// Consumes a firing: true if `token` is the current arming (the timer is then
    /// disarmed), false if it is stale.
    pub fn fire(&mut self, token: TimerToken) -> bool {
        if self.due.is_some() && token.0 == self.generation {
            self.due = None;
            true
        } else {
            false
        }
    }

    /// When the timer is due, if armed.
    pub fn due(&self) -> Option<SimTime> {
        self.due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_instant_events_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..1000u32 {
            q.push(SimTime::from_millis(u64::from(i % 7)), i);
        }
        let mut last = (SimTime::ZERO, 0u32);
        let mut first = true;
        while let Some((t, i)) = q.pop() {
            if !first {
                assert!(t > last.0 || (t == last.0 && i > last.1));
            }
            first = false;
            last = (t, i);
        }
    }

    #[test]
    fn interleaved_pushes_and_pops_match_a_sorted_reference() {
        use crate::{StreamKey, stream};
        use rand_core::Rng;
        let mut rng = stream(11, &StreamKey::new("queue-test", [0, 0, 0]));
        let mut q = EventQueue::new();
        let mut reference = std::collections::BTreeMap::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        for _ in 0..20_000 {
            if !rng.next_u64().is_multiple_of(3) || reference.is_empty() {
                let t = now + rng.next_u64() % 50;
                q.push(SimTime::from_millis(t), seq);
                reference.insert((t, seq), seq);
                seq += 1;
            } else {
                let ((t, _), want) = reference.pop_first().unwrap();
                let (got_t, got) = q.pop().unwrap();
                assert_eq!((got_t.as_millis(), got), (t, want));
                now = t;
            }
            assert_eq!(q.len(), reference.len());
        }
    }

    #[test]
    fn arm_earliest_keeps_the_earlier_request() {
        let mut slot = TimerSlot::default();
        let a = slot
            .arm_earliest(SimTime::from_secs(5))
            .expect("first arming");
        assert!(slot.arm_earliest(SimTime::from_secs(9)).is_none());
        let b = slot
            .arm_earliest(SimTime::from_secs(2))
            .expect("earlier wins");
        assert!(!slot.fire(a));
        assert!(slot.fire(b));
        assert_eq!(slot.due(), None);
    }

    #[test]
    fn cancel_makes_pending_tokens_stale() {
        let mut slot = TimerSlot::default();
        let t = slot.arm(SimTime::from_secs(1));
        slot.cancel();
        assert!(!slot.fire(t));
    }
}
