//! The gate every piece of connection work passes: opening a connection and checking
//! that a pooled one still answers. [`crate::Store::close`] shuts it and waits for the
//! work already inside, so that when a process exits no pool thread is in the middle
//! of talking to the database.
//!
//! Why: r2d2 opens connections on its own worker threads, in the background, to keep
//! its idle minimum; nothing joins those threads. A PostgreSQL connect negotiates TLS
//! inside OpenSSL, and a process that exits while one is under way has its main thread
//! tear OpenSSL down underneath it (see [`crate::conn`] on `OPENSSL_INIT_NO_ATEXIT`).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Admits connection work until it is closed; counts the work in flight.
#[derive(Debug, Default)]
pub(crate) struct ConnectGate {
    state: Mutex<GateState>,
    drained: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    closed: bool,
    in_flight: usize,
}

/// Held while one piece of connection work runs; leaving the gate is dropping it.
#[derive(Debug)]
pub(crate) struct Pass<'g> {
    gate: &'g ConnectGate,
}

impl ConnectGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the gate is closed (no connection will be opened or checked again).
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Lets one piece of work in, or `None` once the gate is closed.
    pub(crate) fn enter(&self) -> Option<Pass<'_>> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.in_flight += 1;
        Some(Pass { gate: self })
    }

    /// Refuses all work from now on and waits up to `timeout` for the work inside to
    /// finish. Returns how many pieces were still inside when the wait ended (0 when
    /// the gate drained).
    pub(crate) fn close_and_drain(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        state.closed = true;
        while state.in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .drained
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.in_flight
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            self.gate.drained.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn a_closed_gate_admits_nothing() {
        let gate = ConnectGate::default();
        assert!(gate.enter().is_some());
        assert_eq!(gate.close_and_drain(Duration::from_secs(1)), 0);
        assert!(gate.enter().is_none());
    }

    #[test]
    fn closing_waits_for_the_work_inside() {
        let gate = Arc::new(ConnectGate::default());
        let (entered, wait_entered) = mpsc::channel();
        let (release, wait_release) = mpsc::channel::<()>();
        let worker = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let pass = gate.enter().expect("open gate");
                entered.send(()).expect("test alive");
                wait_release.recv().expect("test alive");
                std::thread::sleep(Duration::from_millis(50));
                // Stamped while still inside: close may return the instant the pass
                // drops, before this thread runs another line.
                let leaving = Instant::now();
                drop(pass);
                leaving
            })
        };
        wait_entered.recv().expect("worker entered");
        release.send(()).expect("worker alive");
        assert_eq!(gate.close_and_drain(Duration::from_secs(10)), 0);
        let closed_at = Instant::now();
        let left_at = worker.join().expect("worker finished");
        assert!(left_at <= closed_at, "close returned only after the work left");
    }

    #[test]
    fn closing_gives_up_after_its_timeout_and_says_how_much_is_inside() {
        let gate = ConnectGate::default();
        let stuck = gate.enter().expect("open gate");
        assert_eq!(gate.close_and_drain(Duration::from_millis(20)), 1);
        drop(stuck);
        assert_eq!(gate.close_and_drain(Duration::from_millis(20)), 0);
    }
}
