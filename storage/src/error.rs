//! `StorageError`, the one error type of this crate, and the conversions from diesel
//! and r2d2 errors. Those conversions are private: no diesel type crosses the crate
//! boundary, so the core matches on meanings (conflict, stale version, unavailable)
//! rather than on database error codes.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError};

/// What can go wrong in storage, by what the caller should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The row does not exist in the caller's tenant, or a row it refers to (the tenant
    /// of a new token or user) does not exist.
    #[error("not found")]
    NotFound,
    /// A unique index refused the write.
    ///
    /// `what` names the colliding key: `users.user_name` or `groups.display_name`
    /// (case-insensitively, per tenant), `users.id`, `groups.id`, `tenants.name`,
    /// `tenants.id`, `tokens.id` or `tokens.secret_hash`; anything else carries the
    /// database's constraint name.
    #[error("conflict on {what}")]
    Conflict {
        /// The key that collided.
        what: String,
    },
    /// A conditional write expected another version than the stored one.
    #[error("version mismatch: the stored version is {current}")]
    VersionMismatch {
        /// The version currently stored.
        current: i64,
    },
    /// The query cannot be run as asked (e.g. a literal of the wrong type for a column).
    /// The core validates first; this is defence in depth.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A value the database cannot store: NUL, or text too long for an index entry
    /// (see [`crate::text`]). Both backends refuse the same values; the detail names the
    /// attribute and the reason, and may be shown to the client.
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// A group has more members than a read returns inline
    /// ([`crate::StoreOptions::max_inline_members`]).
    #[error("group {group_id} has {members} members, more than the {max} returned inline")]
    TooManyMembers {
        /// The group.
        group_id: String,
        /// How many members it has.
        members: u64,
        /// The cap.
        max: usize,
    },
    /// The database could not be reached in time, is locked beyond the busy timeout,
    /// or dropped the connection. Retrying later may succeed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database URL or options cannot be used.
    #[error("invalid storage configuration: {0}")]
    Config(String),
    /// Anything else: a bug or a broken database. Log it; do not show it to clients.
    #[error("internal storage error: {0}")]
    Internal(String),
}

/// Maps a diesel error to its meaning.
pub(crate) fn from_diesel(err: DieselError) -> StorageError {
    match err {
        DieselError::NotFound => StorageError::NotFound,
        DieselError::DatabaseError(kind, info) => from_database(kind, info.as_ref()),
        DieselError::BrokenTransactionManager => {
            StorageError::Unavailable("the connection's transaction state is broken".into())
        }
        other => StorageError::Internal(other.to_string()),
    }
}

fn from_database(kind: DatabaseErrorKind, info: &(dyn DatabaseErrorInformation + Send + Sync)) -> StorageError {
    match kind {
        DatabaseErrorKind::UniqueViolation => StorageError::Conflict {
            what: conflict_target(info.constraint_name(), info.message()),
        },
        // The referenced tenant (or user) is missing.
        DatabaseErrorKind::ForeignKeyViolation => StorageError::NotFound,
        DatabaseErrorKind::ClosedConnection
        | DatabaseErrorKind::UnableToSendCommand
        | DatabaseErrorKind::SerializationFailure => StorageError::Unavailable(info.message().to_owned()),
        _ if is_busy(info.message()) || is_deadlock(info.message()) || is_timeout(info.message()) => {
            StorageError::Unavailable(info.message().to_owned())
        }
        // Defence in depth behind `crate::text`: PostgreSQL's refusals of NUL
        // (`invalid byte sequence for encoding "UTF8": 0x00`) and of an index entry
        // beyond a third of a page (`index row size … exceeds …`, `index row requires …`).
        _ if is_unstorable(info.message()) => {
            StorageError::InvalidValue("a value cannot be stored: it holds NUL or is too long".into())
        }
        _ => StorageError::Internal(info.message().to_owned()),
    }
}

/// Why a conditional write (`… AND version = expected`) touched no row, given the
/// version read back right after it: the row is gone, or it has another version. Users
/// and groups each read their own table's version; the verdict is the same.
pub(crate) fn stale_or_missing(current_version: Result<Option<i64>, StorageError>) -> StorageError {
    match current_version {
        Ok(Some(current)) => StorageError::VersionMismatch { current },
        Ok(None) => StorageError::NotFound,
        Err(e) => e,
    }
}

/// PostgreSQL aborted the transaction to break a lock cycle (SQLSTATE 40P01, which diesel
/// does not classify): transient, the client may retry.
/// PostgreSQL's `lock_timeout` and `statement_timeout` (SQLSTATE 55P03, 57014): the
/// database is too busy for this call now, which a retry may not be.
fn is_timeout(message: &str) -> bool {
    message.starts_with("canceling statement due to lock timeout")
        || message.starts_with("canceling statement due to statement timeout")
}

fn is_deadlock(message: &str) -> bool {
    message.contains("deadlock detected")
}

/// SQLite reports `SQLITE_BUSY`/`SQLITE_LOCKED` only through the message.
fn is_unstorable(message: &str) -> bool {
    message.starts_with("invalid byte sequence for encoding")
        // `index row size N exceeds btree version 4 maximum 2704 …` and, past a page,
        // `index row requires N bytes, maximum size is 8191`.
        || message.starts_with("index row")
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database table is locked")
}

/// A stable name for the unique key that collided, the same on both backends.
///
/// PostgreSQL names the constraint (the migrations fix those names); SQLite lists the
/// columns in its message (`UNIQUE constraint failed: users.tenant_id, users.id`).
fn conflict_target(constraint: Option<&str>, message: &str) -> String {
    const KEYS: &[(&str, &str, &str)] = &[
        (
            "users_user_name_norm_key",
            "users.tenant_id, users.user_name_norm",
            "users.user_name",
        ),
        ("users_pkey", "users.tenant_id, users.id", "users.id"),
        (
            "groups_display_name_norm_key",
            "groups.tenant_id, groups.display_name_norm",
            "groups.display_name",
        ),
        ("groups_pkey", "groups.tenant_id, groups.id", "groups.id"),
        ("tenants_name_key", "tenants.name", "tenants.name"),
        ("tenants_pkey", "tenants.id", "tenants.id"),
        ("tokens_secret_hash_key", "tokens.secret_hash", "tokens.secret_hash"),
        ("tokens_pkey", "tokens.id", "tokens.id"),
    ];
    let sqlite_columns = message.strip_prefix("UNIQUE constraint failed: ").map(str::trim);
    for (pg_name, sqlite_cols, what) in KEYS {
        if constraint == Some(*pg_name) || sqlite_columns == Some(*sqlite_cols) {
            return (*what).to_owned();
        }
    }
    constraint
        .map(str::to_owned)
        .or_else(|| sqlite_columns.map(str::to_owned))
        .unwrap_or_else(|| message.to_owned())
}

/// Maps a failure to get a pooled connection.
pub(crate) fn from_pool(err: r2d2::Error) -> StorageError {
    StorageError::Unavailable(format!("no database connection available: {err}"))
}

/// `?`-friendly conversion of diesel results inside this crate.
pub(crate) trait DbResultExt<T> {
    /// Converts the error with [`from_diesel`].
    fn db(self) -> Result<T, StorageError>;
}

impl<T> DbResultExt<T> for Result<T, DieselError> {
    fn db(self) -> Result<T, StorageError> {
        self.map_err(from_diesel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_targets_read_the_same_on_both_backends() {
        assert_eq!(
            conflict_target(None, "UNIQUE constraint failed: users.tenant_id, users.user_name_norm"),
            "users.user_name"
        );
        assert_eq!(
            conflict_target(Some("users_user_name_norm_key"), "duplicate key"),
            "users.user_name"
        );
        assert_eq!(
            conflict_target(None, "UNIQUE constraint failed: tenants.name"),
            "tenants.name"
        );
        assert_eq!(conflict_target(Some("tokens_pkey"), "duplicate key"), "tokens.id");
        assert_eq!(
            conflict_target(
                None,
                "UNIQUE constraint failed: groups.tenant_id, groups.display_name_norm"
            ),
            "groups.display_name"
        );
        assert_eq!(
            conflict_target(Some("groups_display_name_norm_key"), "duplicate key"),
            "groups.display_name"
        );
        assert_eq!(
            conflict_target(Some("something_else"), "duplicate key"),
            "something_else"
        );
        assert_eq!(conflict_target(None, "odd"), "odd");
    }
}
