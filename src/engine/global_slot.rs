//! A session's global slot: at most `engine.concurrency` sessions are open at once in all. The
//! conversation layer takes it after the session's per-IP permit and just before dialling, so a
//! session waiting for a busy or backed-off server never holds a slot that a session to another
//! server could use.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::scheduler::gate::{GatePermit, Priority, PriorityGate};

/// Where a caller's session slots come from.
pub enum GlobalSlots {
    /// The scheduler's priority gate: slots go to the domains with the most work left, and a
    /// worker may keep its slot into its next session unless another domain now has more.
    Priority {
        /// The gate of the run.
        gate: Arc<PriorityGate>,
        /// The domain's claim, asked afresh whenever a slot is handed out.
        priority: Priority,
        /// The slot of the worker's last session, kept for its next one.
        kept: Option<GatePermit>,
    },
    /// A plain first-come semaphore (the per-address strategy).
    Plain(Arc<Semaphore>),
}

/// A held slot; dropping it frees the slot.
pub enum SlotPermit {
    /// From the priority gate.
    Priority(GatePermit),
    /// From a plain semaphore.
    Plain(OwnedSemaphorePermit),
}

impl GlobalSlots {
    /// Gives up a slot kept from the last session. Called before any wait for a host.
    pub fn release_kept(&mut self) {
        if let GlobalSlots::Priority { kept, .. } = self {
            *kept = None;
        }
    }

    /// A slot for the next session: the kept one renewed, else a fresh one.
    pub async fn acquire(&mut self) -> SlotPermit {
        match self {
            GlobalSlots::Priority {
                gate,
                priority,
                kept,
            } => SlotPermit::Priority(match kept.take() {
                Some(held) => held.renew(priority.clone()).await,
                None => gate.acquire(priority.clone()).await,
            }),
            GlobalSlots::Plain(semaphore) => SlotPermit::Plain(
                semaphore
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the session semaphore is never closed"),
            ),
        }
    }

    /// Keeps a finished session's slot for the worker's next session (the priority gate only;
    /// a plain slot is freed).
    pub fn keep(&mut self, permit: SlotPermit) {
        if let (GlobalSlots::Priority { kept, .. }, SlotPermit::Priority(held)) = (self, permit) {
            *kept = Some(held);
        }
    }
}
