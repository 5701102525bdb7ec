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
    /// The field that holds the text sub-attribute `col`, or `None` when `col` is not a
    /// text sub-attribute of this element. Reading and writing both go through it, so
    /// they cannot disagree about where a column lives.
    fn text_field(col: ChildColumn) -> Option<TextField<Self>>;
    /// The `primary` flag as the client sent it (`None`: not sent).
    fn primary(&self) -> Option<bool>;
    /// Sets or clears the `primary` flag.
    fn set_primary(&mut self, primary: Option<bool>);
    /// A text sub-attribute (`None` when unset or not one of this element's).
    fn text(&self, col: ChildColumn) -> Option<&str> {
        Self::text_field(col).and_then(|field| (field.get)(self).as_deref())
    }
    /// Sets a text sub-attribute; false when the element has no such sub-attribute.
    fn set_text(&mut self, col: ChildColumn, value: Option<String>) -> bool {
        let Some(field) = Self::text_field(col) else {
            return false;
        };
        *(field.get_mut)(self) = value;
        true
    }
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

/// The two accessors of one text field of an element.
pub(super) struct TextField<E> {
    get: fn(&E) -> &Option<String>,
    get_mut: fn(&mut E) -> &mut Option<String>,
}

/// A [`TextField`], from its two accessors.
fn field<E>(get: fn(&E) -> &Option<String>, get_mut: fn(&mut E) -> &mut Option<String>) -> Option<TextField<E>> {
    Some(TextField { get, get_mut })
}

impl Element for MultiValue {
    fn text_field(col: ChildColumn) -> Option<TextField<Self>> {
        match col {
            ChildColumn::Value => field(|e| &e.value, |e| &mut e.value),
            ChildColumn::Display => field(|e| &e.display, |e| &mut e.display),
            ChildColumn::Type => field(|e| &e.r#type, |e| &mut e.r#type),
            ChildColumn::Ref => field(|e| &e.r#ref, |e| &mut e.r#ref),
            // `primary` is a flag (`primary()`); the rest are address sub-attributes.
            ChildColumn::Primary
            | ChildColumn::Formatted
            | ChildColumn::StreetAddress
            | ChildColumn::Locality
            | ChildColumn::Region
            | ChildColumn::PostalCode
            | ChildColumn::Country => None,
        }
    }
    fn primary(&self) -> Option<bool> {
        self.primary
    }
    fn set_primary(&mut self, primary: Option<bool>) {
        self.primary = primary;
    }
}

impl Element for Address {
    fn text_field(col: ChildColumn) -> Option<TextField<Self>> {
        match col {
            ChildColumn::Formatted => field(|e| &e.formatted, |e| &mut e.formatted),
            ChildColumn::StreetAddress => field(|e| &e.street_address, |e| &mut e.street_address),
            ChildColumn::Locality => field(|e| &e.locality, |e| &mut e.locality),
            ChildColumn::Region => field(|e| &e.region, |e| &mut e.region),
            ChildColumn::PostalCode => field(|e| &e.postal_code, |e| &mut e.postal_code),
            ChildColumn::Country => field(|e| &e.country, |e| &mut e.country),
            ChildColumn::Type => field(|e| &e.r#type, |e| &mut e.r#type),
            // `primary` is a flag (`primary()`); an address has no value, display or $ref.
            ChildColumn::Primary | ChildColumn::Value | ChildColumn::Display | ChildColumn::Ref => None,
        }
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
                AttrType::String | AttrType::DateTime | AttrType::Reference | AttrType::Binary => {
                    e.text(sub.column).is_some_and(|t| !t.is_empty())
                }
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

pub(super) fn compare_text(have: Option<&str>, op: CompareOp, want: &str, case_exact: bool) -> bool {
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

#[cfg(test)]
mod tests {
    use idsync_storage::query::MultiValuedAttr;

    use super::*;
    use crate::schema::USER_MULTI;

    /// Sets every text sub-attribute `multi` publishes to its own name, then reads each back.
    fn round_trip<E: Element>(multi: &MultiDef) {
        let texts: Vec<&SubDef> = multi.subs.iter().filter(|s| s.ty != AttrType::Boolean).collect();
        let mut e = E::default();
        for sub in &texts {
            assert!(
                e.set_text(sub.column, Some(sub.name.into())),
                "{}.{}",
                multi.name,
                sub.name
            );
        }
        for sub in &texts {
            assert_eq!(e.text(sub.column), Some(sub.name), "{}.{}", multi.name, sub.name);
        }
    }

    #[test]
    fn every_text_sub_attribute_of_the_schema_has_a_field_of_its_own() {
        for multi in USER_MULTI {
            match multi.attr {
                MultiValuedAttr::Addresses => round_trip::<Address>(multi),
                MultiValuedAttr::Emails
                | MultiValuedAttr::PhoneNumbers
                | MultiValuedAttr::Ims
                | MultiValuedAttr::Photos
                | MultiValuedAttr::Entitlements
                | MultiValuedAttr::Roles
                | MultiValuedAttr::X509Certificates => round_trip::<MultiValue>(multi),
            }
        }
    }

    #[test]
    fn a_column_an_element_does_not_have_is_refused_and_nothing_is_written() {
        for col in [ChildColumn::Primary, ChildColumn::Locality, ChildColumn::Country] {
            let mut value = MultiValue::default();
            assert!(!value.set_text(col, Some("x".into())), "{col:?}");
            assert_eq!(value, MultiValue::default(), "{col:?}");
        }
        for col in [ChildColumn::Primary, ChildColumn::Value, ChildColumn::Ref] {
            let mut address = Address::default();
            assert!(!address.set_text(col, Some("x".into())), "{col:?}");
            assert_eq!(address, Address::default(), "{col:?}");
        }
    }
}
