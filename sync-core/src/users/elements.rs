//! PATCH on multi-valued attributes: whole lists, and elements chosen by a value filter.
//!
//! Lists are short (a user has a handful of emails), so a value filter such as
//! `phoneNumbers[type eq "work"]` is evaluated here in memory with the same semantics the
//! storage layer uses in SQL. A filtered `add`/`replace` that matches nothing creates the
//! element the filter describes (`{type: "work", value: …}`), which is how Entra sets a
//! work phone on a user that has none; later operations of the same request then match
//! that element, so several sub-attributes land in ONE element.

use idsync_proto::v1::{Address, MultiValue, User};
use idsync_storage::query::{ChildColumn, MultiValuedAttr};
use prost_types::value::Kind;
use prost_types::{Struct, Value};

use super::patch::{is_clear, kind};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::{AttrType, MultiDef, SubDef};
use crate::scim::filter::{CompValue, CompareOp, Filter};
use crate::scim::path::AttrPath;

/// The operation, as far as lists care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementOp {
    /// Append (whole list) or set (filtered).
    Add,
    /// Replace the list (whole) or merge into matches (filtered).
    Replace,
    /// Remove the list, the matches, or a sub-attribute of the matches.
    Remove,
}

/// One element of a multi-valued attribute, accessed by its stored column.
pub trait Element: Default + Clone + PartialEq {
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

/// A mutable view of one multi-valued attribute of a user.
pub enum ListMut<'a> {
    /// Any attribute with the standard sub-attributes.
    Values(&'a mut Vec<MultiValue>),
    /// `addresses`.
    Addresses(&'a mut Vec<Address>),
}

/// The list behind `attr`.
pub fn list_mut(user: &mut User, attr: MultiValuedAttr) -> ListMut<'_> {
    match attr {
        MultiValuedAttr::Emails => ListMut::Values(&mut user.emails),
        MultiValuedAttr::PhoneNumbers => ListMut::Values(&mut user.phone_numbers),
        MultiValuedAttr::Ims => ListMut::Values(&mut user.ims),
        MultiValuedAttr::Photos => ListMut::Values(&mut user.photos),
        MultiValuedAttr::Entitlements => ListMut::Values(&mut user.entitlements),
        MultiValuedAttr::Roles => ListMut::Values(&mut user.roles),
        MultiValuedAttr::X509Certificates => ListMut::Values(&mut user.x509_certificates),
        MultiValuedAttr::Addresses => ListMut::Addresses(&mut user.addresses),
    }
}

/// An operation on the attribute itself (`emails`) or one sub-attribute of every element
/// (`emails.type`).
pub fn apply_whole<E: Element>(
    list: &mut Vec<E>,
    multi: &MultiDef,
    op: ElementOp,
    sub: Option<&SubDef>,
    value: Option<&Value>,
) -> CoreResult<()> {
    if let Some(sub) = sub {
        if op == ElementOp::Remove || is_clear(value) {
            for e in list.iter_mut() {
                set_sub(e, multi, sub, None)?;
            }
            return Ok(());
        }
        if list.is_empty() {
            list.push(E::default());
        }
        for e in list.iter_mut() {
            set_sub(e, multi, sub, value)?;
        }
        return Ok(());
    }
    if op == ElementOp::Remove || is_clear(value) {
        list.clear();
        return Ok(());
    }
    let new: Vec<E> = match kind(value) {
        Some(Kind::ListValue(values)) => values
            .values
            .iter()
            .map(|v| element_from(multi, v))
            .collect::<CoreResult<_>>()?,
        Some(Kind::StructValue(_)) => vec![element_from(multi, value.unwrap_or(&Value::default()))?],
        _ => {
            return Err(CoreError::invalid_value(format!(
                "{} needs a list of objects",
                multi.name
            )));
        }
    };
    if op == ElementOp::Replace {
        list.clear();
    }
    // Adding a value that is already there is a no-op (RFC 7644 §3.5.2.1).
    let new: Vec<E> = new.into_iter().filter(|e| !list.contains(e)).collect();
    if new.iter().any(Element::is_primary) {
        list.iter_mut().for_each(Element::demote);
    }
    for e in new {
        if !list.contains(&e) {
            list.push(e);
        }
    }
    Ok(())
}

/// An operation on the elements that match `filter` (`emails[type eq "work"]` and
/// `emails[type eq "work"].value`).
pub fn apply_filtered<E: Element>(
    list: &mut Vec<E>,
    multi: &MultiDef,
    op: ElementOp,
    filter: &Filter,
    sub: Option<&SubDef>,
    value: Option<&Value>,
) -> CoreResult<()> {
    let mut hits = Vec::new();
    for (i, e) in list.iter().enumerate() {
        if matches(e, multi, filter)? {
            hits.push(i);
        }
    }
    if op == ElementOp::Remove {
        match sub {
            Some(sub) => {
                for &i in &hits {
                    set_sub(&mut list[i], multi, sub, None)?;
                }
            }
            None => {
                let mut i = 0;
                list.retain(|_| {
                    i += 1;
                    !hits.contains(&(i - 1))
                });
            }
        }
        return Ok(());
    }
    if hits.is_empty() {
        // Create-on-absent (Entra Q7): the element the filter describes.
        let mut e = E::default();
        seed_from_filter(&mut e, multi, filter)?;
        // `type eq "work" and type eq "home"` seeds an element the filter does not
        // select: creating it would not create "the element the filter names".
        if !matches(&e, multi, filter)? {
            return Err(no_target(multi, filter));
        }
        list.push(e);
        hits.push(list.len() - 1);
    }
    for &i in &hits {
        match sub {
            Some(sub) => set_sub(&mut list[i], multi, sub, value)?,
            None => match kind(value) {
                Some(Kind::StructValue(object)) => merge(&mut list[i], multi, object)?,
                _ => {
                    return Err(CoreError::invalid_value(format!(
                        "{}[…] needs an object value",
                        multi.name
                    )));
                }
            },
        }
    }
    if hits.iter().any(|&i| list[i].is_primary()) {
        for (i, e) in list.iter_mut().enumerate() {
            if !hits.contains(&i) {
                e.demote();
            }
        }
    }
    Ok(())
}

/// Sets the equality conditions of a filter (`type eq "work" and …`) on a new element.
fn seed_from_filter<E: Element>(e: &mut E, multi: &MultiDef, filter: &Filter) -> CoreResult<()> {
    match filter {
        Filter::And(a, b) => {
            seed_from_filter(e, multi, a)?;
            seed_from_filter(e, multi, b)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => {
            let sub = filter_sub(multi, path)?;
            let v = match value {
                CompValue::Str(s) => Value {
                    kind: Some(Kind::StringValue(s.clone())),
                },
                CompValue::Bool(b) => Value {
                    kind: Some(Kind::BoolValue(*b)),
                },
                _ => return Err(no_target(multi, filter)),
            };
            set_sub(e, multi, sub, Some(&v))
        }
        _ => Err(no_target(multi, filter)),
    }
}

fn no_target(multi: &MultiDef, filter: &Filter) -> CoreError {
    CoreError::invalid(
        ScimType::NoTarget,
        format!(
            "no value of {} matches [{filter}] and it does not describe one to create",
            multi.name
        ),
    )
}

/// The sub-attribute a value-filter path names; paths inside `[…]` are relative to one
/// element, so a URN or a further `.sub` cannot name one.
fn filter_sub<'a>(multi: &'a MultiDef, path: &AttrPath) -> CoreResult<&'a SubDef> {
    if path.urn.is_some() || path.sub_attr.is_some() {
        return Err(CoreError::invalid(
            ScimType::InvalidPath,
            format!("{path} is not a sub-attribute of {}", multi.name),
        ));
    }
    sub_def(multi, &path.attr)
}

fn sub_def<'a>(multi: &'a MultiDef, name: &str) -> CoreResult<&'a SubDef> {
    multi.sub(name).ok_or_else(|| {
        CoreError::invalid(
            ScimType::InvalidPath,
            format!("{} has no sub-attribute {name:?}", multi.name),
        )
    })
}

/// Evaluates a value filter on one element, with the SQL semantics of the storage layer.
fn matches<E: Element>(e: &E, multi: &MultiDef, filter: &Filter) -> CoreResult<bool> {
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

fn element_from<E: Element>(multi: &MultiDef, value: &Value) -> CoreResult<E> {
    match &value.kind {
        Some(Kind::StructValue(object)) => {
            let mut e = E::default();
            merge(&mut e, multi, object)?;
            Ok(e)
        }
        _ => Err(CoreError::invalid_value(format!(
            "each value of {} must be an object",
            multi.name
        ))),
    }
}

fn merge<E: Element>(e: &mut E, multi: &MultiDef, object: &Struct) -> CoreResult<()> {
    for (key, v) in &object.fields {
        let sub = sub_def(multi, key)?;
        set_sub(e, multi, sub, Some(v))?;
    }
    Ok(())
}

fn set_sub<E: Element>(e: &mut E, multi: &MultiDef, sub: &SubDef, value: Option<&Value>) -> CoreResult<()> {
    if sub.ty == AttrType::Boolean {
        let flag = match kind(value) {
            None | Some(Kind::NullValue(_)) => None,
            Some(Kind::BoolValue(b)) => Some(*b),
            Some(Kind::StringValue(s)) if s.is_empty() => None,
            Some(Kind::StringValue(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(Kind::StringValue(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => {
                return Err(CoreError::invalid_value(format!(
                    "{}.{} must be a boolean",
                    multi.name, sub.name
                )));
            }
        };
        e.set_primary(flag);
        return Ok(());
    }
    let text = match kind(value) {
        None | Some(Kind::NullValue(_)) => None,
        Some(Kind::StringValue(s)) if s.is_empty() => None,
        Some(Kind::StringValue(s)) => Some(s.clone()),
        _ => {
            return Err(CoreError::invalid_value(format!(
                "{}.{} must be a string",
                multi.name, sub.name
            )));
        }
    };
    if e.set_text(sub.column, text) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            ScimType::InvalidPath,
            format!("{} has no sub-attribute {:?}", multi.name, sub.name),
        ))
    }
}
