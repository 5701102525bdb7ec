//! `CoreError`: every failure the core reports, and its gRPC form.
//!
//! Each variant knows its gRPC code; the SCIM `scimType` keyword travels in a
//! `google.rpc.ErrorInfo` detail (domain [`SCIM_ERROR_DOMAIN`]) so the gateway can render
//! the SCIM error without parsing messages. The keywords, the domain and the gRPC ⇄ HTTP
//! table are the contract in `idsync_proto::scim`, shared with the gateway. Internal
//! errors are logged once, here, and answered with a generic detail.

use idsync_storage::StorageError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

pub use idsync_proto::scim::{CHANGES_ERROR_DOMAIN, SCIM_ERROR_DOMAIN, ScimType};

/// A failure of a core operation.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The request is malformed or violates the schema (400).
    #[error("{detail}")]
    Invalid {
        /// The SCIM keyword.
        scim_type: ScimType,
        /// What is wrong, for a person.
        detail: String,
    },
    /// The tenant's scoping rule refuses the create or update (400 `invalidValue`, as
    /// [`CoreError::Invalid`] on the wire; a variant of its own so that telemetry can
    /// count it as `rejected_out_of_scope` rather than as a failure).
    #[error("{0}")]
    OutOfScope(String),
    /// No or an unknown, revoked or expired token (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The token may not do this (403).
    #[error("{0}")]
    PermissionDenied(String),
    /// No such resource in the caller's tenant (404).
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness rule is violated (409 `uniqueness`).
    #[error("{0}")]
    Uniqueness(String),
    /// The stored version differs from the one the caller named (412).
    #[error("{0}")]
    VersionMismatch(String),
    /// The database cannot be reached (503).
    #[error("{0}")]
    Unavailable(String),
    /// A change-feed cursor older than the oldest retained change.
    #[error(
        "changes after cursor {cursor} are no longer retained; resync from a full read \
         (ListUsers/ListGroups), then watch from cursor {head}"
    )]
    CursorExpired {
        /// The cursor the client sent.
        cursor: i64,
        /// The feed's head when the error was raised: where to resume after a resync.
        head: i64,
    },
    /// A value outside the range the server can serve (e.g. a cursor ahead of the feed).
    #[error("{0}")]
    OutOfRange(String),
    /// A limit is reached (too many streams); retry later.
    #[error("{0}")]
    ResourceExhausted(String),
    /// The tenant is over its request rate (429 with `Retry-After`).
    #[error("{detail}")]
    Throttled {
        /// What happened, for a person.
        detail: String,
        /// When the caller may try again.
        retry_after: std::time::Duration,
    },
    /// Anything else (500). The text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// A 400 with the given keyword.
    pub fn invalid(scim_type: ScimType, detail: impl Into<String>) -> Self {
        CoreError::Invalid {
            scim_type,
            detail: detail.into(),
        }
    }

    /// A 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::invalid(ScimType::InvalidValue, detail)
    }

    /// A 404 for a resource id.
    pub fn not_found(resource: &str, id: &str) -> Self {
        CoreError::NotFound(format!("{resource} {id:?} not found"))
    }
}

/// Refuses a resource id the client named that no resource can have because it could not
/// be stored (NUL): 400 `invalidValue`, before any lookup, on both backends alike.
pub fn check_id(field: &str, id: &str) -> CoreResult<()> {
    Ok(idsync_storage::text::check_text(field, id)?)
}

impl From<StorageError> for CoreError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => CoreError::NotFound("resource not found".into()),
            StorageError::Conflict { .. } => CoreError::Uniqueness("a unique attribute is already taken".into()),
            StorageError::VersionMismatch { current } => CoreError::VersionMismatch(format!(
                "the resource has changed; its current version is W/\"{current}\""
            )),
            StorageError::InvalidQuery(detail) => CoreError::invalid(ScimType::InvalidFilter, detail),
            StorageError::InvalidValue(detail) => CoreError::invalid_value(detail),
            StorageError::TooManyMembers { group_id, members, max } => CoreError::invalid(
                ScimType::TooMany,
                format!(
                    "group {group_id:?} has {members} members, more than the {max} returned inline: read it with \
                     excludedAttributes=members and page its members through the Directory API \
                     (idsync.v1.Directory/ListGroupMembers)"
                ),
            ),
            StorageError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                CoreError::Unavailable("the database is unavailable; retry later".into())
            }
            other => CoreError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for CoreError {
    fn from(e: tokio::task::JoinError) -> Self {
        CoreError::Internal(format!("blocking task failed: {e}"))
    }
}

impl CoreError {
    /// The gRPC code this error is answered with, and its SCIM keyword if any.
    pub fn code(&self) -> (Code, Option<ScimType>) {
        match self {
            CoreError::Invalid { scim_type, .. } => (Code::InvalidArgument, Some(*scim_type)),
            CoreError::OutOfScope(_) => (Code::InvalidArgument, Some(ScimType::InvalidValue)),
            CoreError::Unauthenticated(_) => (Code::Unauthenticated, None),
            CoreError::PermissionDenied(_) => (Code::PermissionDenied, None),
            CoreError::NotFound(_) => (Code::NotFound, None),
            CoreError::Uniqueness(_) => (Code::AlreadyExists, Some(ScimType::Uniqueness)),
            CoreError::VersionMismatch(_) | CoreError::CursorExpired { .. } => (Code::FailedPrecondition, None),
            CoreError::Unavailable(_) => (Code::Unavailable, None),
            CoreError::OutOfRange(_) => (Code::OutOfRange, None),
            CoreError::ResourceExhausted(_) | CoreError::Throttled { .. } => (Code::ResourceExhausted, None),
            CoreError::Internal(_) => (Code::Internal, None),
        }
    }

    /// What a client is told: the message, except for internal errors.
    pub fn public_detail(&self) -> String {
        match self {
            CoreError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        }
    }
}

impl From<CoreError> for Status {
    fn from(e: CoreError) -> Self {
        let (code, scim_type) = e.code();
        if let CoreError::Internal(d) = &e {
            tracing::error!(error = %d, "internal error");
        }
        let message = e.public_detail();
        if let CoreError::CursorExpired { head, .. } = &e {
            let metadata = std::collections::HashMap::from([("head_cursor".to_string(), head.to_string())]);
            let details =
                ErrorDetails::with_error_info(idsync_proto::scim::CURSOR_EXPIRED, CHANGES_ERROR_DOMAIN, metadata);
            return Status::with_error_details(code, message, details);
        }
        if let CoreError::Throttled { retry_after, .. } = &e {
            return Status::with_error_details(code, message, ErrorDetails::with_retry_info(Some(*retry_after)));
        }
        idsync_proto::scim::status(code, message, scim_type)
    }
}

/// The SCIM keyword a status made by this module carries, as text (for clients that
/// compare it with what the gateway rendered); see [`idsync_proto::scim::scim_type_of`].
pub fn scim_type_of(status: &Status) -> Option<String> {
    idsync_proto::scim::scim_type_of(status).map(|t| t.as_str().to_owned())
}

/// Shorthand for core results.
pub type CoreResult<T> = Result<T, CoreError>;
