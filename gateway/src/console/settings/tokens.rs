//! The table of the tenant's tokens: never a secret, only what each token is and whether
//! it still works.

use idsync_proto::v1::{TokenInfo, TokenScope};
use maud::{Markup, html};

use super::super::page;
use super::super::session::Signed;

/// Whether a token is accepted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Active,
    Revoked,
    Expired,
}

impl Status {
    /// A revoked token reads as revoked even after its expiry passed.
    pub(crate) fn of(token: &TokenInfo, now_seconds: i64) -> Status {
        if token.revoked.is_some() {
            Status::Revoked
        } else if token.expires.as_ref().is_some_and(|at| at.seconds <= now_seconds) {
            Status::Expired
        } else {
            Status::Active
        }
    }

    fn label(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }
}

/// A scope as the form names it.
pub(crate) fn scope_name(scope: i32) -> &'static str {
    match TokenScope::try_from(scope) {
        Ok(TokenScope::Scim) => "scim",
        Ok(TokenScope::Read) => "read",
        Ok(TokenScope::Admin) => "admin",
        Ok(TokenScope::Unspecified) | Err(_) => "unknown",
    }
}

/// `/admin/settings/tokens/{id}/revoke`, the id escaped as a path segment.
pub(crate) fn revoke_href(id: &str) -> String {
    let mut href = String::from("/admin/settings/tokens/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            href.push(char::from(byte));
        } else {
            href.push_str(&format!("%{byte:02X}"));
        }
    }
    href.push_str("/revoke");
    href
}

/// The tokens, each row naming its label and id for tests and scripts.
pub(crate) fn table(signed: &Signed, tokens: &[TokenInfo]) -> Markup {
    let now = chrono::Utc::now().timestamp();
    html! {
        section aria-labelledby="tokens-heading" {
            h2 #tokens-heading { "Tokens" }
            table data-testid="tokens" {
                (page::table_head(&["Label", "Scope", "Created", "Last used", "Expires", "Status", "Action"]))
                tbody {
                    @for token in tokens {
                        @let status = Status::of(token, now);
                        tr data-token-label=(token.label) data-token-id=(token.id) data-status=(status.label()) {
                            td {
                                (token.label)
                                @if token.id == signed.session.who.token_id {
                                    " " em data-testid="this-session" { "(this session)" }
                                }
                            }
                            td { (scope_name(token.scope)) }
                            td { (page::time(token.created.as_ref())) }
                            td { (page::time(token.last_used.as_ref())) }
                            td {
                                @if token.expires.is_some() { (page::time(token.expires.as_ref())) } @else { "never" }
                            }
                            td { (status.label()) }
                            td {
                                @if status == Status::Active {
                                    a data-testid="revoke" href=(revoke_href(&token.id))
                                        aria-label={ "Revoke " (token.label) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
            @if tokens.is_empty() {
                p.hint { "This tenant has no tokens." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use prost_types::Timestamp;

    use super::*;

    fn at(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn a_token_is_revoked_before_it_is_expired_and_active_until_its_expiry() {
        let mut token = TokenInfo {
            expires: at(100),
            ..TokenInfo::default()
        };
        assert_eq!(Status::of(&token, 99), Status::Active);
        assert_eq!(Status::of(&token, 100), Status::Expired);
        token.revoked = at(50);
        assert_eq!(Status::of(&token, 200), Status::Revoked);
    }

    #[test]
    fn an_id_is_escaped_in_the_revoke_link() {
        assert_eq!(revoke_href("ab12"), "/admin/settings/tokens/ab12/revoke");
        assert_eq!(revoke_href("a/b c"), "/admin/settings/tokens/a%2Fb%20c/revoke");
    }
}
