//! Console sessions: a random id in a cookie, everything else on the server.
//!
//! A session holds the admin token it was opened with, because every page is made of
//! gRPC calls to sync-core that the core authenticates like any other call: the console
//! has no rights of its own. The token stays in this process's memory and is dropped
//! when the session is signed out, idles past its limit or reaches its maximum age.
//! Sessions live in the gateway that opened them: behind several gateways, route
//! `/admin/` to one of them (sticky sessions), or the admin signs in again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moka::sync::Cache;
use rand::RngCore;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};

use super::error::ConsoleError;
use crate::AppState;
use crate::forward::{Forwarded, REQUEST_ID};
use crate::shield::RequestDeadline;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "idsync_console";
/// The cookie that carries the sign-in form's CSRF token before a session exists.
pub(crate) const SIGN_IN_COOKIE: &str = "idsync_console_sign_in";
/// Where every cookie of the console is sent, and nowhere else.
const COOKIE_PATH: &str = "/admin";

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// A session not used for this long is closed.
    pub idle: Duration,
    /// A session is closed this long after sign-in, however busy.
    pub max_age: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: Duration::from_secs(30 * 60),
            max_age: Duration::from_secs(8 * 3600),
        }
    }
}

/// What a signed-in admin's session knows.
pub(crate) struct Session {
    /// The admin token the session was opened with; sent to sync-core on every call.
    token: AsciiMetadataValue,
    /// Every form of this session carries it.
    pub(crate) csrf: String,
    /// Whose session it is.
    pub(crate) who: SignedInAs,
}

/// Who a session is for, as the core told at sign-in.
pub(crate) struct SignedInAs {
    pub(crate) tenant_id: String,
    pub(crate) tenant_name: String,
    /// The tenant's own public base URL, when it has one (its Tenant URL is built from it).
    pub(crate) tenant_public_url: Option<String>,
    /// An operator tenant's admin also manages tenants.
    pub(crate) operator: bool,
    /// The public id of the token signed in with (never the secret).
    pub(crate) token_id: String,
}

/// The open sessions of this gateway.
pub(crate) struct Sessions {
    open: Cache<String, Arc<Session>>,
}

impl Sessions {
    pub(crate) fn new(limits: SessionLimits) -> Self {
        Sessions {
            open: Cache::builder()
                .max_capacity(100_000)
                .time_to_idle(limits.idle)
                .time_to_live(limits.max_age)
                .build(),
        }
    }

    /// Opens a session that calls the core with `token` (`Bearer …`, marked sensitive),
    /// signed in as `who`, and returns its id, the cookie's value.
    pub(crate) fn open(&self, token: AsciiMetadataValue, who: SignedInAs) -> String {
        let id = random_id();
        let session = Session {
            token,
            csrf: random_id(),
            who,
        };
        self.open.insert(id.clone(), Arc::new(session));
        id
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.open.get(id)
    }

    pub(crate) fn close(&self, id: &str) {
        self.open.invalidate(id);
    }
}

/// 256 random bits, URL-safe: a session id or a CSRF token.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// `Set-Cookie` for a console cookie: HttpOnly, SameSite=Strict, scoped to `/admin`,
/// `Secure` when the console is reached over HTTPS.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{name}={value}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.as_secs()
    );
    HeaderValue::try_from(cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` that removes a console cookie.
pub(crate) fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    set_cookie(name, "", Duration::ZERO, secure)
}

/// A request of a signed-in admin: the session, and what every call to sync-core made
/// for the request carries.
pub(crate) struct Signed {
    pub(crate) session: Arc<Session>,
    pub(crate) session_id: String,
    request_id: Option<AsciiMetadataValue>,
    deadline: Option<Instant>,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(ConsoleError::SignIn)?;
        let session = state.console().sessions.get(id).ok_or(ConsoleError::SignIn)?;
        let request_id = parts
            .headers
            .get(REQUEST_ID)
            .and_then(|value| AsciiMetadataValue::try_from(value.as_bytes()).ok());
        Ok(Signed {
            session,
            session_id: id.to_owned(),
            request_id,
            deadline: parts.extensions.get::<RequestDeadline>().map(|deadline| deadline.0),
        })
    }
}

impl Signed {
    /// A gRPC request to sync-core carrying `message` with the session's token, the
    /// request id and what is left of the request's time.
    pub(crate) fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut metadata = MetadataMap::with_capacity(2);
        metadata.insert("authorization", self.session.token.clone());
        if let Some(id) = &self.request_id {
            metadata.insert("x-request-id", id.clone());
        }
        Forwarded::new(metadata, self.deadline).request(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others_and_not_by_a_prefix_of_its_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; idsync_console_sign_in=x"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("idsync_console=abc"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, SIGN_IN_COOKIE), Some("x"));
        assert_eq!(cookie(&headers, "idsync"), None);
    }

    #[test]
    fn session_cookies_are_http_only_strict_and_secure_only_under_tls() {
        let plain = set_cookie(SESSION_COOKIE, "v", Duration::from_secs(60), false);
        assert_eq!(
            plain,
            "idsync_console=v; Path=/admin; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        let tls = set_cookie(SESSION_COOKIE, "v", Duration::from_secs(60), true);
        assert!(tls.to_str().unwrap().ends_with("; Secure"));
    }

    #[test]
    fn ids_are_long_random_and_url_safe() {
        let (a, b) = (random_id(), random_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn a_closed_session_is_gone() {
        let sessions = Sessions::new(SessionLimits::default());
        let who = SignedInAs {
            tenant_id: "t".into(),
            tenant_name: "T".into(),
            tenant_public_url: None,
            operator: false,
            token_id: "k".into(),
        };
        let id = sessions.open(bearer(), who);
        assert!(sessions.get(&id).is_some());
        sessions.close(&id);
        assert!(sessions.get(&id).is_none());
    }

    fn bearer() -> AsciiMetadataValue {
        AsciiMetadataValue::from_static("Bearer s3cret")
    }

    fn someone() -> SignedInAs {
        SignedInAs {
            tenant_id: "t".into(),
            tenant_name: "T".into(),
            tenant_public_url: None,
            operator: false,
            token_id: "k".into(),
        }
    }

    #[test]
    fn an_idle_session_expires_and_a_busy_one_lasts_until_its_maximum_age() {
        let sessions = Sessions::new(SessionLimits {
            idle: Duration::from_millis(300),
            max_age: Duration::from_millis(900),
        });
        let idle = sessions.open(bearer(), someone());
        let busy = sessions.open(bearer(), someone());
        let started = Instant::now();
        // Used every 100 ms, the busy session outlives the idle limit several times over.
        while started.elapsed() < Duration::from_millis(600) {
            assert!(sessions.get(&busy).is_some(), "a session in use stays open");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            sessions.get(&idle).is_none(),
            "a session left idle past its limit is closed"
        );
        while started.elapsed() < Duration::from_millis(1000) {
            std::thread::sleep(Duration::from_millis(100));
            let _ = sessions.get(&busy);
        }
        assert!(sessions.get(&busy).is_none(), "no session outlives its maximum age");
    }
}
