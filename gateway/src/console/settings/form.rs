//! The "Add New Token" form: what it sends, how that becomes a `CreateToken` request,
//! and how it is rendered (again, with what the admin typed, when it was refused).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use idsync_proto::v1::{CreateTokenRequest, TokenScope};
use maud::{Markup, html};
use serde::Deserialize;

use super::super::page;
use super::super::session::Signed;

/// The scopes offered, with what each allows.
const SCOPES: [(&str, TokenScope, &str); 3] = [
    (
        "scim",
        TokenScope::Scim,
        "for Entra provisioning: create, update and delete this tenant's users and groups.",
    ),
    (
        "read",
        TokenScope::Read,
        "for applications downstream: read users and groups and watch their changes.",
    ),
    (
        "admin",
        TokenScope::Admin,
        "manage this tenant's tokens and rules, and sign in to this console.",
    ),
];

/// The form as sent. Every field may be missing: a missing one is judged like an empty
/// one, with the form shown again, rather than refused by the extractor in plain text.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewToken {
    label: String,
    scope: String,
    /// `YYYY-MM-DD`, as `<input type="date">` sends it; empty for no expiry.
    expires: String,
}

impl NewToken {
    /// The request that creates the token, or what is wrong with the form. An expiry date
    /// means the end of that day, UTC; today is the earliest.
    pub(crate) fn to_request(&self, now: DateTime<Utc>) -> Result<CreateTokenRequest, String> {
        let label = self.label.trim();
        if label.is_empty() {
            return Err("Give the token a label, e.g. the application that will use it.".to_owned());
        }
        let scope = SCOPES
            .iter()
            .find(|(name, _, _)| *name == self.scope)
            .map(|(_, scope, _)| *scope)
            .ok_or_else(|| "Choose a scope: scim, read or admin.".to_owned())?;
        let expires = match self.expires.trim() {
            "" => None,
            date => {
                let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
                    return Err(format!("The expiry {date:?} is not a date (YYYY-MM-DD)."));
                };
                let end_of_day = date.and_time(NaiveTime::MIN).and_utc() + chrono::Duration::days(1);
                if end_of_day <= now {
                    return Err(format!(
                        "The expiry {date} is in the past. Choose today or a later date."
                    ));
                }
                Some(prost_types::Timestamp {
                    seconds: end_of_day.timestamp() - 1,
                    nanos: 0,
                })
            }
        };
        Ok(CreateTokenRequest {
            scope: scope as i32,
            label: label.to_owned(),
            expires,
            tenant_id: None,
        })
    }
}

/// The form, holding `sent` (empty for a fresh form) and `problem` when it was refused.
pub(crate) fn render(signed: &Signed, sent: &NewToken, problem: Option<&str>) -> Markup {
    let chosen = if sent.scope.is_empty() {
        "scim"
    } else {
        sent.scope.as_str()
    };
    html! {
        section aria-labelledby="add-token-heading" {
            h2 #add-token-heading { "Add New Token" }
            @if let Some(problem) = problem {
                p.error role="alert" data-testid="token-error" { (problem) }
            }
            form #add-token method="post" action="/admin/settings/tokens" {
                (page::csrf_field(signed))
                label for="label" { "Label" }
                input #label type="text" name="label" value=(sent.label) required
                    aria-describedby="label-hint";
                p.hint #label-hint { "Who or what uses the token, e.g. “Entra provisioning”." }
                label for="scope" { "Scope" }
                select #scope name="scope" aria-describedby="scope-hint" {
                    @for (name, _, _) in SCOPES {
                        option value=(name) selected[name == chosen] { (name) }
                    }
                }
                ul.hint #scope-hint {
                    @for (name, _, what) in SCOPES {
                        li { strong { (name) } ": " (what) }
                    }
                }
                label for="expires" { "Expires (optional)" }
                input #expires type="date" name="expires" value=(sent.expires) aria-describedby="expires-warning";
                p.warning #expires-warning {
                    strong { "Leave this empty for Entra's token." }
                    " Entra needs a token that never expires: when it expires, provisioning stops without any alert. "
                    "A date means the token works until the end of that day (UTC)."
                }
                div.actions {
                    button type="submit" data-testid="add-token" { "Add token" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(label: &str, scope: &str, expires: &str) -> NewToken {
        NewToken {
            label: label.to_owned(),
            scope: scope.to_owned(),
            expires: expires.to_owned(),
        }
    }

    fn noon(date: &str) -> DateTime<Utc> {
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn a_token_without_expiry_is_asked_for_with_its_trimmed_label_and_scope() {
        let request = sent("  Entra  ", "read", "").to_request(noon("2030-01-01")).unwrap();
        assert_eq!(request.label, "Entra");
        assert_eq!(request.scope, TokenScope::Read as i32);
        assert_eq!(request.expires, None);
    }

    #[test]
    fn an_expiry_date_lasts_to_the_end_of_that_day_utc_and_today_is_allowed() {
        let request = sent("x", "scim", "2030-01-01").to_request(noon("2030-01-01")).unwrap();
        let expires = request.expires.unwrap();
        assert_eq!(expires.seconds, noon("2030-01-01").timestamp() + 12 * 3600 - 1);
    }

    #[test]
    fn a_past_or_unreadable_expiry_an_unknown_scope_or_no_label_is_refused() {
        let now = noon("2030-01-02");
        assert!(
            sent("x", "scim", "2030-01-01")
                .to_request(now)
                .unwrap_err()
                .contains("in the past")
        );
        assert!(
            sent("x", "scim", "01/03/2030")
                .to_request(now)
                .unwrap_err()
                .contains("not a date")
        );
        assert!(sent("x", "root", "").to_request(now).is_err());
        assert!(sent(" ", "scim", "").to_request(now).is_err());
    }

    #[test]
    fn a_missing_field_reads_as_empty() {
        let form: NewToken = serde_urlencoded_form("label=a");
        assert_eq!(
            (form.label.as_str(), form.scope.as_str(), form.expires.as_str()),
            ("a", "", "")
        );
    }

    fn serde_urlencoded_form(body: &str) -> NewToken {
        use serde::de::value::{Error, MapDeserializer};
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        NewToken::deserialize(MapDeserializer::<_, Error>::new(pairs.into_iter())).unwrap()
    }
}
