//! [`Task`]: one button's request in flight, spawned on the page's task queue, with its `pending` flag.
//!
//! In place of Leptos's `Action`: every action of the components has the
//! same shape (no input worth keeping, the outcome written to the
//! component's own signals), and one `Action` per call site instantiated
//! its whole machinery once per future type. This is one non-generic path
//! (measured in BENCHMARKS.md, "First load").

use std::{future::Future, pin::Pin};

use leptos::{prelude::*, task::spawn_local};

/// A request started by a button: at most one at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Task {
    pending: RwSignal<bool>,
}

impl Task {
    /// Nothing running yet.
    pub(crate) fn new() -> Self {
        Self {
            pending: RwSignal::new(false),
        }
    }

    /// True while the request runs (tracked): disables its button.
    pub(crate) fn pending(self) -> Signal<bool> {
        self.pending.into()
    }

    /// Starts `work` unless a request of this task is still running (a
    /// double click sends once).
    pub(crate) fn run(self, work: impl Future<Output = ()> + 'static) {
        self.spawn(Box::pin(work));
    }

    fn spawn(self, work: Pin<Box<dyn Future<Output = ()>>>) {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        let pending = self.pending;
        spawn_local(async move {
            work.await;
            // The component may be gone by now; then there is no flag.
            _ = pending.try_set(false);
        });
    }
}
