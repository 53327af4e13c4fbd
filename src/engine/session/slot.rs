//! A session's global slot: at most `engine.concurrency` sessions are open at once in all. The
//! conversation layer takes it after the session's per-IP permit and just before dialling, so a
//! session waiting for a busy or backed-off server never holds a slot that a session to another
//! server could use.

use std::sync::Arc;

use crate::engine::scheduler::gate::{GatePermit, Priority, PriorityGate};

/// A worker's way to the run's session slots: the scheduler's priority gate, where slots go
/// to the domains with the most work left, and the slot of its last session, kept for its next
/// one unless another domain now has more.
pub struct GlobalSlots {
    /// The gate of the run.
    pub gate: Arc<PriorityGate>,
    /// The domain's claim, asked afresh whenever a slot is handed out.
    pub priority: Priority,
    /// The slot of the worker's last session.
    pub kept: Option<GatePermit>,
}

/// A held slot; dropping it frees the slot.
pub struct SlotPermit(GatePermit);

impl GlobalSlots {
    /// Gives up a slot kept from the last session. Called before any wait for a host.
    pub fn release_kept(&mut self) {
        self.kept = None;
    }

    /// A slot for the next session: the kept one renewed, else a fresh one.
    pub async fn acquire(&mut self) -> SlotPermit {
        SlotPermit(match self.kept.take() {
            Some(held) => held.renew(self.priority.clone()).await,
            None => self.gate.acquire(self.priority.clone()).await,
        })
    }

    /// Keeps a finished session's slot for the worker's next session.
    pub fn keep(&mut self, permit: SlotPermit) {
        self.kept = Some(permit.0);
    }
}
