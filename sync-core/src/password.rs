//! Passwords are writeOnly (RFC 7643 §4.1.1): stored as an argon2id PHC string, never
//! returned, never filterable.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use rand::RngCore;
use tokio::sync::Semaphore;

use crate::error::{CoreError, CoreResult};

/// Hashes at once: one per CPU. Each takes argon2's 19 MiB and a core for tens of
/// milliseconds, so a burst of creates with passwords queues here instead of taking the
/// memory and every core of the machine (and the blocking pool) at once.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(hashing_limit()));
/// Hashes running now, and the most that ever ran at once.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// How many hashes may run at once.
pub(crate) fn hashing_limit() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Hashes a password on the blocking pool (argon2 is deliberately slow), at most
/// [`hashing_limit`] at a time.
pub async fn hash_password(password: String) -> CoreResult<String> {
    let _permit = HASHING
        .acquire()
        .await
        .map_err(|e| CoreError::Internal(format!("password hashing closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(running, Ordering::SeqCst);
        let hashed = hash_now(&password);
        RUNNING.fetch_sub(1, Ordering::SeqCst);
        hashed
    })
    .await?
}

fn hash_now(password: &str) -> CoreResult<String> {
    {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::Internal(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CoreError::Internal(format!("password hash: {e}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    #[tokio::test]
    async fn a_hashed_password_verifies_and_does_not_contain_the_password() {
        let hash = hash_password("s3cret-Passw0rd".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("s3cret-Passw0rd"));
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password(b"s3cret-Passw0rd", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_the_limit() {
        let hashes: Vec<_> = (0..hashing_limit() * 3 + 2)
            .map(|i| tokio::spawn(hash_password(format!("password {i}"))))
            .collect();
        for hash in hashes {
            hash.await.unwrap().unwrap();
        }
        let peak = PEAK.load(Ordering::SeqCst);
        assert!(
            (1..=hashing_limit()).contains(&peak),
            "peak {peak}, limit {}",
            hashing_limit()
        );
    }
}
