//! Group commit for SQLite's single writer.
//!
//! SQLite has one writer at a time, and every write transaction pays for its `BEGIN
//! IMMEDIATE` and its `COMMIT`, which copies every page it dirtied to the write-ahead
//! log. Concurrent writes of a busy tenant touch the same pages (the ends of the same
//! tables and indexes), so they are cheaper together: [`GroupCommit`] queues them, and
//! one blocking task at a time runs every queued write in one transaction, each inside
//! a savepoint of its own.
//!
//! Each write still succeeds or fails as a whole:
//! - a write that fails is rolled back to its savepoint and answered at once, and the
//!   others go on;
//! - a write that succeeds is answered only after the batch's `COMMIT`. So nobody is told
//!   of a write that might not be durable, and a read after the answer sees it.
//! - If the `COMMIT` fails, every write of the batch gets that error.
//!
//! Nothing waits to fill a batch. A write that arrives while the writer is idle starts
//! a batch of one at once; writes that arrive while a batch runs form the next one.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
#[cfg(test)]
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};

use idsync_storage::{StorageError, Store, Tx};
use tokio::sync::oneshot;

/// Most writes in one transaction: a bound on how long the first of them waits for the
/// `COMMIT` behind the others.
const MAX_BATCH: usize = 32;

/// Writes queued for the next transaction, and the one task that runs them.
pub(crate) struct GroupCommit {
    store: Store,
    queue: Mutex<Queue>,
    /// Transactions begun, for tests to see that writes shared them.
    #[cfg(test)]
    transactions: AtomicU64,
}

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Box<dyn Job>>,
    /// Whether a blocking task is running batches; it takes every job queued meanwhile.
    draining: bool,
}

/// Tells a write that ran in a batch how the batch's `COMMIT` went.
type Settle = Box<dyn FnOnce(Result<(), &StorageError>) + Send>;

/// A queued write.
trait Job: Send {
    /// Runs the write in a savepoint of `tx`. A success is settled after the commit;
    /// a failure has already been answered. An error means the savepoint broke, and
    /// with it the transaction (answered too).
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> Result<Option<Settle>, StorageError>;
    /// Answers `error` without running: its batch could not begin.
    fn refuse(self: Box<Self>, error: &StorageError);
}

/// A write, the span of the request that made it, and where its answer goes.
struct Write<W, T, E> {
    work: W,
    span: tracing::Span,
    answer: oneshot::Sender<Result<T, E>>,
}

impl<W, T, E> Job for Write<W, T, E>
where
    W: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<StorageError> + Send + 'static,
{
    fn run(self: Box<Self>, tx: &mut Tx<'_>) -> Result<Option<Settle>, StorageError> {
        let Write { work, span, answer } = *self;
        match span.in_scope(|| tx.savepoint(work)) {
            Ok(Ok(value)) => Ok(Some(Box::new(move |committed: Result<(), &StorageError>| {
                let _ = answer.send(committed.map(|()| value).map_err(|e| E::from(e.clone())));
            }))),
            Ok(Err(error)) => {
                let _ = answer.send(Err(error));
                Ok(None)
            }
            Err(broken) => {
                let _ = answer.send(Err(E::from(broken.clone())));
                Err(broken)
            }
        }
    }

    fn refuse(self: Box<Self>, error: &StorageError) {
        let _ = self.answer.send(Err(E::from(error.clone())));
    }
}

impl GroupCommit {
    /// Group commit over `store`'s write connection.
    pub(crate) fn new(store: Store) -> Arc<GroupCommit> {
        Arc::new(GroupCommit {
            store,
            queue: Mutex::default(),
            #[cfg(test)]
            transactions: AtomicU64::new(0),
        })
    }

    /// Runs `work` in the next write transaction, inside a savepoint, in the current
    /// span; answers once that transaction has committed (or `work`'s own error at once).
    pub(crate) async fn write<W, T, E>(self: &Arc<Self>, work: W) -> Result<T, E>
    where
        W: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job = Box::new(Write {
            work,
            span: tracing::Span::current(),
            answer,
        });
        let start_draining = {
            let mut queue = self.lock();
            queue.jobs.push_back(job);
            !std::mem::replace(&mut queue.draining, true)
        };
        if start_draining {
            let this = Arc::clone(self);
            // Not awaited: the task answers every queued write through its channel.
            drop(tokio::task::spawn_blocking(move || this.drain()));
        }
        answered.await.unwrap_or_else(|_| {
            Err(E::from(StorageError::Internal(
                "the write was dropped unanswered by a failed batch".into(),
            )))
        })
    }

    /// Writes waiting for a transaction.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.lock().jobs.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs batches until the queue is empty.
    fn drain(&self) {
        /// Lets a later write start a new drainer should this one unwind.
        struct Unwinding<'a>(&'a GroupCommit);
        impl Drop for Unwinding<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.lock().draining = false;
                }
            }
        }
        let _unwinding = Unwinding(self);
        loop {
            let batch: VecDeque<Box<dyn Job>> = {
                let mut queue = self.lock();
                let n = queue.jobs.len().min(MAX_BATCH);
                if n == 0 {
                    // Under the same lock as the check: a write queued after this
                    // starts a drainer of its own.
                    queue.draining = false;
                    return;
                }
                queue.jobs.drain(..n).collect()
            };
            self.run(batch);
        }
    }

    /// One transaction for `batch`.
    fn run(&self, mut pending: VecDeque<Box<dyn Job>>) {
        let mut settles: Vec<Settle> = Vec::with_capacity(pending.len());
        let committed = self.store.write(|tx| -> Result<(), StorageError> {
            #[cfg(test)]
            self.transactions.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            while let Some(job) = pending.pop_front() {
                match catch_unwind(AssertUnwindSafe(|| job.run(tx))) {
                    Ok(Ok(Some(settle))) => settles.push(settle),
                    Ok(Ok(None)) => {}
                    Ok(Err(broken)) => return Err(broken),
                    // A bug in one write: its caller hears of a dropped answer. The
                    // whole batch rolls back, as that write's savepoint may be open.
                    Err(_) => {
                        return Err(StorageError::Unavailable(
                            "the write was rolled back with another write of its batch; retry".into(),
                        ));
                    }
                }
            }
            Ok(())
        });
        let outcome = committed.as_ref().map(|_| ());
        for settle in settles {
            settle(outcome);
        }
        if let Err(error) = &committed {
            for job in pending {
                job.refuse(error);
            }
        }
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
