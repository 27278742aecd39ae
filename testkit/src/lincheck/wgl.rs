//! Wing & Gong's linearizability search, with Lowe's memoisation.
//!
//! A history is a set of operations, each with the set of operations that *precede* it (those
//! that returned before it was invoked: in real time, or in happens-before, see
//! [`super::history`]). It is *linearizable* if some total order of all its operations (a)
//! extends that precedence and (b) is a legal run of the sequential specification. The search
//! (Wing & Gong 1993, as refined by Lowe, *Testing for linearizability*, 2017) builds that
//! order one operation at a time:
//!
//! * an operation may come next iff it is not yet linearised and every operation that precedes
//!   it is;
//! * it is applied to the specification's state; if the state rejects it, try another;
//! * on a dead end, backtrack.
//!
//! Lowe's observation: whether the rest of the search succeeds depends only on *which*
//! operations are linearised (a bitset) and on the specification's state, not on the order that
//! led there. Every configuration `(bitset, state)` explored once is remembered, and the search
//! never enters it again. That turns the factorial blow-up of many overlapping operations into
//! at most (number of reachable configurations) steps.
//!
//! Operations with identical intervals are allowed (a blocking call recorded as a request and a
//! follow-up shares its interval); the specification orders them.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification: a state machine whose transitions are operations *with* their
/// observed results. `apply` returns the next state, or `None` if the operation could not have
/// returned what it returned in this state.
pub trait Spec: Clone + Eq + Hash {
    /// An operation together with its result, as observed.
    type Op: Debug;

    /// The state after `op` takes effect atomically in `self`, or `None` if `op` (with its
    /// observed result) is impossible here.
    fn apply(&self, op: &Self::Op) -> Option<Self>;
}

/// One operation of a history: what happened, when it was invoked and responded, and what
/// precedes it.
#[derive(Clone, Debug)]
pub struct Event<O> {
    /// Clock reading just before the call (orders the search's tries, and the report).
    pub inv: u64,
    /// Clock reading just after it returned; `inv < ret`.
    pub ret: u64,
    /// The events that precede this one (a bitset of their indices): they must be linearised
    /// before it.
    pub after: u64,
    /// The operation and its result.
    pub op: O,
}

/// The answer of [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A witness: the events' indices in a legal linearization order.
    Linearizable(Vec<usize>),
    /// No legal order exists.
    NotLinearizable {
        /// The longest legal prefix the search reached (indices into the events), to show where
        /// things went wrong.
        longest: Vec<usize>,
    },
    /// The search gave up.
    GaveUp {
        /// The state transitions tried.
        steps: u64,
    },
}

/// The most events a history may have (the linearised set is a `u64` bitset).
pub const MAX_EVENTS: usize = 64;

/// Decides whether `events` is linearizable with respect to the specification starting in
/// `init`, trying at most `budget` transitions.
pub fn check<S: Spec>(init: &S, events: &[Event<S::Op>], budget: u64) -> Verdict {
    assert!(
        events.len() <= MAX_EVENTS,
        "history too long for the bitset: {} events",
        events.len()
    );
    for e in events {
        assert!(
            e.inv < e.ret,
            "an event responds before it is invoked: {e:?}"
        );
    }
    // Tried in order of invocation: the order real threads most likely ran in.
    let mut by_inv: Vec<usize> = (0..events.len()).collect();
    by_inv.sort_by_key(|&i| (events[i].inv, i));
    let mut search = Search {
        events,
        by_inv,
        seen: HashSet::new(),
        path: Vec::with_capacity(events.len()),
        longest: Vec::new(),
        steps: 0,
        budget,
    };
    let full = if events.len() == 64 {
        u64::MAX
    } else {
        (1u64 << events.len()) - 1
    };
    match search.dfs(0, full, init) {
        Some(true) => Verdict::Linearizable(search.path),
        Some(false) => Verdict::NotLinearizable {
            longest: search.longest,
        },
        None => Verdict::GaveUp {
            steps: search.steps,
        },
    }
}

/// The search's working state.
struct Search<'a, S: Spec> {
    events: &'a [Event<S::Op>],
    /// Event indices by invocation time.
    by_inv: Vec<usize>,
    /// Configurations `(linearised set, state)` already explored (and found to be dead ends:
    /// a configuration that leads to success ends the search).
    seen: HashSet<(u64, S)>,
    /// The current partial linearization.
    path: Vec<usize>,
    /// The longest `path` seen, for the report.
    longest: Vec<usize>,
    steps: u64,
    budget: u64,
}

impl<S: Spec> Search<'_, S> {
    /// Whether the events outside `done` can be linearised from `state`; `None` if the budget
    /// ran out.
    fn dfs(&mut self, done: u64, full: u64, state: &S) -> Option<bool> {
        if done == full {
            return Some(true);
        }
        if !self.seen.insert((done, state.clone())) {
            return Some(false);
        }
        for k in 0..self.by_inv.len() {
            let i = self.by_inv[k];
            if done & (1 << i) != 0 || self.events[i].after & !done != 0 {
                continue;
            }
            self.steps += 1;
            if self.steps > self.budget {
                return None;
            }
            let Some(next) = state.apply(&self.events[i].op) else {
                continue;
            };
            self.path.push(i);
            if self.path.len() > self.longest.len() {
                self.longest.clone_from(&self.path);
            }
            if self.dfs(done | (1 << i), full, &next)? {
                return Some(true);
            }
            self.path.pop();
        }
        Some(false)
    }
}
