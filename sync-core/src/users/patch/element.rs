//! One element of a multi-valued attribute: reading and writing its sub-attributes by
//! stored column, and deciding whether it matches a value filter (`emails[type eq
//! "work"]`) with the same semantics the storage layer uses in SQL.

use idsync_proto::v1::{Address, MultiValue};
use idsync_storage::query::ChildColumn;

use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::{AttrType, MultiDef, SubDef};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;

/// One element of a multi-valued attribute, accessed by its stored column.
pub(super) trait Element: Default + Clone + PartialEq {
    /// A text sub-attribute (`None` when unset or not one of this element's).
    fn text(&self, col: ChildColumn) -> Option<&str>;
    /// Sets a text sub-attribute; false when the element has no such sub-attribute.
    fn set_text(&mut self, col: ChildColumn, value: Option<String>) -> bool;
    /// The `primary` flag as the client sent it (`None`: not sent).
    fn primary(&self) -> Option<bool>;
    /// Sets or clears the `primary` flag.
    fn set_primary(&mut self, primary: Option<bool>);
    /// Whether this is the primary value.
    fn is_primary(&self) -> bool {
        self.primary() == Some(true)
    }
    /// Makes a primary value no longer primary (another value became primary); a flag
    /// that was absent or false stays as it was.
    fn demote(&mut self) {
        if self.is_primary() {
            self.set_primary(Some(false));
        }
    }
}

impl Element for MultiValue {
    fn text(&self, col: ChildColumn) -> Option<&str> {
        match col {
            ChildColumn::Value => self.value.as_deref(),
            ChildColumn::Display => self.display.as_deref(),
            ChildColumn::Type => self.r#type.as_deref(),
            ChildColumn::Ref => self.r#ref.as_deref(),
            _ => None,
        }
    }
    fn set_text(&mut self, col: ChildColumn, value: Option<String>) -> bool {
        let slot = match col {
            ChildColumn::Value => &mut self.value,
            ChildColumn::Display => &mut self.display,
            ChildColumn::Type => &mut self.r#type,
            ChildColumn::Ref => &mut self.r#ref,
            _ => return false,
        };
        *slot = value;
        true
    }
    fn primary(&self) -> Option<bool> {
        self.primary
    }
    fn set_primary(&mut self, primary: Option<bool>) {
        self.primary = primary;
    }
}

impl Element for Address {
    fn text(&self, col: ChildColumn) -> Option<&str> {
        match col {
            ChildColumn::Formatted => self.formatted.as_deref(),
            ChildColumn::StreetAddress => self.street_address.as_deref(),
            ChildColumn::Locality => self.locality.as_deref(),
            ChildColumn::Region => self.region.as_deref(),
            ChildColumn::PostalCode => self.postal_code.as_deref(),
            ChildColumn::Country => self.country.as_deref(),
            ChildColumn::Type => self.r#type.as_deref(),
            _ => None,
        }
    }
    fn set_text(&mut self, col: ChildColumn, value: Option<String>) -> bool {
        let slot = match col {
            ChildColumn::Formatted => &mut self.formatted,
            ChildColumn::StreetAddress => &mut self.street_address,
            ChildColumn::Locality => &mut self.locality,
            ChildColumn::Region => &mut self.region,
            ChildColumn::PostalCode => &mut self.postal_code,
            ChildColumn::Country => &mut self.country,
            ChildColumn::Type => &mut self.r#type,
            _ => return false,
        };
        *slot = value;
        true
    }
    fn primary(&self) -> Option<bool> {
        self.primary
    }
    fn set_primary(&mut self, primary: Option<bool>) {
        self.primary = primary;
    }
}

/// The sub-attribute a value-filter path names; paths inside `[…]` are relative to one
/// element, so a URN or a further `.sub` cannot name one.
pub(super) fn filter_sub<'a>(multi: &'a MultiDef, path: &AttrPath) -> CoreResult<&'a SubDef> {
    if path.urn.is_some() || path.sub_attr.is_some() {
        return Err(CoreError::invalid(
            ScimType::InvalidPath,
            format!("{path} is not a sub-attribute of {}", multi.name),
        ));
    }
    sub_def(multi, &path.attr)
}

pub(super) fn sub_def<'a>(multi: &'a MultiDef, name: &str) -> CoreResult<&'a SubDef> {
    multi.sub(name).ok_or_else(|| {
        CoreError::invalid(
            ScimType::InvalidPath,
            format!("{} has no sub-attribute {name:?}", multi.name),
        )
    })
}

/// Evaluates a value filter on one element, with the SQL semantics of the storage layer.
pub(super) fn matches<E: Element>(e: &E, multi: &MultiDef, filter: &Filter) -> CoreResult<bool> {
    Ok(match filter {
        Filter::And(a, b) => matches(e, multi, a)? && matches(e, multi, b)?,
        Filter::Or(a, b) => matches(e, multi, a)? || matches(e, multi, b)?,
        Filter::Not(a) => !matches(e, multi, a)?,
        Filter::Present(path) => {
            let sub = filter_sub(multi, path)?;
            match sub.ty {
                AttrType::Boolean => e.primary().is_some(),
                _ => e.text(sub.column).is_some_and(|t| !t.is_empty()),
            }
        }
        Filter::Compare { path, op, value } => {
            let sub = filter_sub(multi, path)?;
            match (sub.ty, value) {
                (AttrType::Boolean, CompValue::Bool(b)) => match op {
                    CompareOp::Eq => e.primary() == Some(*b),
                    CompareOp::Ne => e.primary() != Some(*b),
                    _ => return Err(bad_filter(multi, filter)),
                },
                (_, CompValue::Str(want)) => compare_text(e.text(sub.column), *op, want, sub.case_exact),
                (_, CompValue::Null) => match op {
                    CompareOp::Eq => e.text(sub.column).is_none(),
                    CompareOp::Ne => e.text(sub.column).is_some(),
                    _ => return Err(bad_filter(multi, filter)),
                },
                _ => return Err(bad_filter(multi, filter)),
            }
        }
        Filter::ValuePath { .. } => return Err(bad_filter(multi, filter)),
    })
}

fn bad_filter(multi: &MultiDef, filter: &Filter) -> CoreError {
    CoreError::invalid(
        ScimType::InvalidPath,
        format!("[{filter}] is not a valid filter on {}", multi.name),
    )
}

fn compare_text(have: Option<&str>, op: CompareOp, want: &str, case_exact: bool) -> bool {
    let Some(have) = have else {
        return op == CompareOp::Ne;
    };
    let (have, want) = if case_exact {
        (have.to_string(), want.to_string())
    } else {
        (have.to_lowercase(), want.to_lowercase())
    };
    match op {
        CompareOp::Eq => have == want,
        CompareOp::Ne => have != want,
        CompareOp::Co => have.contains(&want),
        CompareOp::Sw => have.starts_with(&want),
        CompareOp::Ew => have.ends_with(&want),
        CompareOp::Gt => have > want,
        CompareOp::Ge => have >= want,
        CompareOp::Lt => have < want,
        CompareOp::Le => have <= want,
    }
}
