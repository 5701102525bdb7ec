//! The admin console: server-rendered pages under `/admin/` where a tenant's admin
//! creates the Secret Token for Entra, watches what was provisioned and what failed,
//! and edits the rules.
//!
//! Like the SCIM routes, the console only speaks to sync-core over its gRPC API, with
//! the admin token of the session as the bearer: the core decides what the admin may
//! see and do. Pages are rendered with maud (escaped at compile time), styled by one
//! stylesheet and work without JavaScript; the one script, built into the binary,
//! makes the copy buttons work. The Content-Security-Policy allows no inline script.
//!
//! Layout:
//! - `session`: sessions (a random id in an HttpOnly, SameSite=Strict cookie) and
//!   [`session::Signed`], the extractor of a signed-in request;
//! - `guard`: security headers and the CSRF check of every POST;
//! - `sign_in`: sign-in with an admin token, sign-out;
//! - `page`, `error`, `assets`: the frame, error pages, the stylesheet and script;
//! - one module per page: `overview`, `settings` (API Settings and tokens), `users`,
//!   `groups`, `log`, `rules`, `tenants`.

mod assets;
mod error;
mod groups;
mod guard;
mod log;
mod overview;
mod page;
mod rules;
mod session;
mod settings;
mod sign_in;
mod tenants;
mod users;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::routing::get;

pub use session::SessionLimits;

use crate::AppState;

/// How the console is set up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleSettings {
    /// How long sessions last.
    pub sessions: SessionLimits,
    /// A link to a tracing UI for a trace id, with `{trace_id}` where the id goes, e.g.
    /// `https://grafana.example.com/explore?traceId={trace_id}`; no links when `None`.
    pub trace_url_template: Option<String>,
}

/// The console's part of the gateway's state.
pub(crate) struct Console {
    pub(crate) sessions: session::Sessions,
    pub(crate) limits: SessionLimits,
    /// Cookies get `Secure` when the console is reached over HTTPS.
    pub(crate) secure_cookies: bool,
    pub(crate) trace_url_template: Option<String>,
}

impl Console {
    pub(crate) fn new(settings: &ConsoleSettings, https: bool) -> Self {
        Console {
            sessions: session::Sessions::new(settings.sessions),
            limits: settings.sessions,
            secure_cookies: https,
            trace_url_template: settings.trace_url_template.clone(),
        }
    }
}

/// The console's routes, with their guards.
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/admin/sign-out", axum::routing::post(sign_in::sign_out))
        .route("/admin", get(overview::show))
        .route("/admin/settings", get(settings::show))
        .route("/admin/settings/tokens", axum::routing::post(settings::create_token))
        .route(
            "/admin/settings/tokens/{id}/revoke",
            get(settings::confirm_revoke).post(settings::revoke),
        )
        .route("/admin/users", get(users::list))
        .route("/admin/users/{id}", get(users::detail))
        .route("/admin/groups", get(groups::list))
        .route("/admin/groups/{id}", get(groups::detail))
        .route("/admin/log", get(log::list))
        .route("/admin/rules", get(rules::show).post(rules::submit))
        .route("/admin/tenants", get(tenants::list).post(tenants::create))
        .route("/admin/assets/console.css", get(assets::stylesheet))
        .route("/admin/assets/console.js", get(assets::script))
        .route("/admin/{*rest}", get(not_found).post(not_found))
        .layer(axum::middleware::from_fn_with_state(state, guard::require_csrf))
        .layer(axum::middleware::from_fn(guard::security_headers))
}

/// Whether `path` is one of the console's.
pub(crate) fn is_console_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// The console's answer to an address that failed to sign in too often: an HTML 429
/// with `Retry-After`, and the console's security headers.
pub(crate) fn throttled(retry_after_secs: u64) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = maud::html! {
        h1 { "Too many failed sign-ins" }
        p.error role="alert" { "Too many failed attempts came from this address. Try again in " (retry_after_secs) " seconds." }
    };
    let mut response = (
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        page::bare("Too many failed sign-ins", body),
    )
        .into_response();
    guard::secure(response.headers_mut(), false);
    if let Ok(value) = axum::http::HeaderValue::try_from(retry_after_secs.to_string()) {
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}

async fn not_found() -> error::ConsoleError {
    error::ConsoleError::NotFound("There is no console page at this address.".to_owned())
}
