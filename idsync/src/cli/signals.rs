//! SIGTERM and SIGINT (Ctrl-C) for the serving commands: a graceful stop.
//!
//! The handlers are installed before anything starts serving. A signal's default action
//! ends the process at once, and the handlers used to be installed only when the
//! command first waited for a signal, after its servers had started answering: a
//! SIGTERM in between (an orchestrator stopping a pod that had just become ready, or a
//! test) killed idsync instead of stopping it. A signal that arrives while the servers
//! are still starting is kept, and acted on as soon as they run.

/// The stop signals, listened for from the moment this is made.
pub struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Installs the handlers. Call it inside the runtime, before starting any server.
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(ShutdownSignals {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignals {})
    }

    /// Completes once SIGTERM or SIGINT has arrived since [`ShutdownSignals::install`].
    pub async fn received(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {},
            _ = self.interrupt.recv() => {},
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("shutdown requested; finishing requests in flight");
    }
}
