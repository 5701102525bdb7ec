//! The log page's filter form: what the admin typed, kept as typed so that a refused
//! form comes back as it was sent, and read into a `ListLogEntries` request.

use chrono::{DateTime, NaiveDateTime, Utc};
use idsync_proto::v1::{ListLogEntriesRequest, LogOutcome};
use maud::{Markup, html};

use super::{LOG_PATH, PAGE_SIZE};

/// `value` and label of each choice of the three selects; `any` filters nothing.
const OUTCOMES: [(&str, &str); 3] = [("any", "Any"), ("success", "Success"), ("failure", "Failure")];
const OPERATIONS: [(&str, &str); 5] = [
    ("any", "Any"),
    ("create", "Create"),
    ("replace", "Replace"),
    ("patch", "Patch"),
    ("delete", "Delete"),
];
const RESOURCE_TYPES: [(&str, &str); 3] = [("any", "Any"), ("User", "User"), ("Group", "Group")];

/// The filters (and page token) of a log page, as found in its query string.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) outcome: String,
    pub(crate) operation: String,
    pub(crate) resource_type: String,
    pub(crate) resource_id: String,
    /// `datetime-local` values, read as UTC.
    pub(crate) since: String,
    pub(crate) until: String,
    pub(crate) page_token: String,
}

impl Filter {
    /// Reads the query string; unknown parameters are ignored, the last of a repeated
    /// one wins.
    pub(crate) fn from_query(query: Option<&str>) -> Filter {
        let mut filter = Filter::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match name.as_ref() {
                "outcome" => &mut filter.outcome,
                "operation" => &mut filter.operation,
                "resource_type" => &mut filter.resource_type,
                "resource_id" => &mut filter.resource_id,
                "since" => &mut filter.since,
                "until" => &mut filter.until,
                "page_token" => &mut filter.page_token,
                _ => continue,
            };
            *slot = value.trim().to_owned();
        }
        filter
    }

    /// The request for this filter, or what is wrong with it (one sentence per field).
    pub(crate) fn request(&self) -> Result<ListLogEntriesRequest, Vec<String>> {
        let mut problems = Vec::new();
        let outcome = match self.outcome.as_str() {
            "" | "any" => LogOutcome::Unspecified,
            "success" => LogOutcome::Success,
            "failure" => LogOutcome::Failure,
            _ => {
                problems.push("Outcome must be any, success or failure.".to_owned());
                LogOutcome::Unspecified
            }
        };
        let operation = choice(&self.operation, &OPERATIONS, "Operation", &mut problems);
        let resource_type = choice(&self.resource_type, &RESOURCE_TYPES, "Resource type", &mut problems);
        let since = instant(&self.since, "Since", &mut problems);
        let until = instant(&self.until, "Until", &mut problems);
        if let (Some(since), Some(until)) = (&since, &until)
            && since >= until
        {
            problems.push("Since must be before until.".to_owned());
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ListLogEntriesRequest {
            since: since.map(timestamp),
            until: until.map(timestamp),
            resource_type,
            resource_id: self.resource_id.clone(),
            outcome: outcome as i32,
            operation,
            page_size: Some(PAGE_SIZE),
            page_token: self.page_token.clone(),
        })
    }

    /// The log page with these filters and `page_token` (none: the newest entries);
    /// filters left at "any" or empty are left out.
    pub(crate) fn href(&self, page_token: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("outcome", &self.outcome),
            ("operation", &self.operation),
            ("resource_type", &self.resource_type),
            ("resource_id", &self.resource_id),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !value.is_empty() && value != "any" {
                query.append_pair(name, value);
            }
        }
        if let Some(token) = page_token.filter(|token| !token.is_empty()) {
            query.append_pair("page_token", token);
        }
        let query = query.finish();
        if query.is_empty() {
            LOG_PATH.to_owned()
        } else {
            format!("{LOG_PATH}?{query}")
        }
    }

    /// The form, showing these values (a GET: filters stay in the address).
    pub(crate) fn form(&self) -> Markup {
        html! {
            form.filters method="get" action=(LOG_PATH) role="search" aria-label="Filter the log" {
                div.fields {
                    div { label for="outcome" { "Outcome" } (select("outcome", &OUTCOMES, &self.outcome)) }
                    div { label for="operation" { "Operation" } (select("operation", &OPERATIONS, &self.operation)) }
                    div {
                        label for="resource_type" { "Resource type" }
                        (select("resource_type", &RESOURCE_TYPES, &self.resource_type))
                    }
                    div {
                        label for="resource_id" { "Resource id" }
                        input #resource_id type="text" name="resource_id" value=(self.resource_id) autocomplete="off";
                    }
                    div {
                        label for="since" { "Since (UTC)" }
                        input #since type="datetime-local" name="since" value=(self.since) step="1";
                    }
                    div {
                        label for="until" { "Until (UTC)" }
                        input #until type="datetime-local" name="until" value=(self.until) step="1";
                    }
                }
                div.actions {
                    button type="submit" { "Filter" }
                    a href=(LOG_PATH) { "Clear filters" }
                }
            }
        }
    }
}

fn select(name: &str, choices: &[(&str, &str)], current: &str) -> Markup {
    let current = if current.is_empty() { "any" } else { current };
    html! {
        select id=(name) name=(name) {
            @for (value, label) in choices {
                option value=(value) selected[*value == current] { (label) }
            }
        }
    }
}

/// A select's value as the request wants it: empty for "any".
fn choice(value: &str, choices: &[(&str, &str)], field: &str, problems: &mut Vec<String>) -> String {
    match value {
        "" | "any" => String::new(),
        value if choices.iter().any(|(known, _)| *known == value) => value.to_owned(),
        _ => {
            let known: Vec<&str> = choices.iter().map(|(value, _)| *value).collect();
            problems.push(format!("{field} must be one of {}.", known.join(", ")));
            String::new()
        }
    }
}

/// A `datetime-local` value (to the minute or second) read as UTC; empty is none.
fn instant(value: &str, field: &str, problems: &mut Vec<String>) -> Option<DateTime<Utc>> {
    if value.is_empty() {
        return None;
    }
    let parsed = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok());
    if parsed.is_none() {
        problems.push(format!("{field} is not a date and time: use YYYY-MM-DDTHH:MM, in UTC."));
    }
    parsed.map(|at| at.and_utc())
}

fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// `at` as a `datetime-local` value, to the minute (the form's inputs read it as UTC).
pub(crate) fn datetime_local(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

/// `value` percent-encoded but for RFC 3986's unreserved characters: safe in a path
/// segment and in a query value alike.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_query_asks_for_the_newest_page_of_everything() {
        let request = Filter::from_query(None).request().unwrap();
        assert_eq!(
            request,
            ListLogEntriesRequest {
                page_size: Some(PAGE_SIZE),
                ..ListLogEntriesRequest::default()
            }
        );
    }

    #[test]
    fn filters_are_read_and_times_are_utc() {
        let query = "outcome=failure&operation=create&resource_type=User&resource_id=+abc+&since=2024-05-01T10%3A30&until=2024-05-02T00%3A00%3A05&page_token=t";
        let filter = Filter::from_query(Some(query));
        let request = filter.request().unwrap();
        assert_eq!(request.outcome, LogOutcome::Failure as i32);
        assert_eq!(
            (request.operation.as_str(), request.resource_type.as_str()),
            ("create", "User")
        );
        assert_eq!(request.resource_id, "abc");
        assert_eq!(request.since.unwrap().seconds, 1_714_559_400);
        assert_eq!(request.until.unwrap().seconds, 1_714_608_005);
        assert_eq!(request.page_token, "t");
    }

    #[test]
    fn a_bad_date_or_choice_is_named_and_the_typed_values_are_kept() {
        let filter = Filter::from_query(Some("since=yesterday&outcome=maybe&resource_type=Robot"));
        let problems = filter.request().unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("Since")));
        assert!(filter.form().into_string().contains(r#"value="yesterday""#));
        let reversed = Filter::from_query(Some("since=2024-05-02T00:00&until=2024-05-01T00:00"));
        assert_eq!(reversed.request().unwrap_err(), ["Since must be before until."]);
    }

    #[test]
    fn links_carry_the_filters_and_the_token_but_not_any() {
        let filter = Filter::from_query(Some("outcome=failure&operation=any&resource_id=a b&page_token=old"));
        assert_eq!(filter.href(None), "/admin/log?outcome=failure&resource_id=a+b");
        assert_eq!(
            filter.href(Some("n/x")),
            "/admin/log?outcome=failure&resource_id=a+b&page_token=n%2Fx"
        );
        assert_eq!(Filter::default().href(None), "/admin/log");
    }

    #[test]
    fn encoding_leaves_only_unreserved_characters() {
        assert_eq!(encode("4bf92f35-AZ_~."), "4bf92f35-AZ_~.");
        assert_eq!(encode("a b/?&#"), "a%20b%2F%3F%26%23");
    }
}
