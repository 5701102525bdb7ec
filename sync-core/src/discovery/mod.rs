//! Discovery (RFC 7644 §4): the service provider configuration, resource types and
//! schemas the core publishes, the same for every tenant.
//!
//! The schemas are built once from the tables the rest of the core works from (see
//! [`crate::schema`]), so `/Schemas` tells a client exactly what is stored, filterable and
//! writable. The service provider configuration advertises only what works, with limits
//! from [`CoreSettings`](crate::CoreSettings).
//!
//! Layout: `spec` is the attribute description and its proto form, `notes` the
//! descriptions and discovery-only characteristics of User and Group attributes, `derive`
//! how a table row and its note become a published attribute, `user` and `group` the
//! schemas, [`service`] the tonic service.

mod derive;
mod group;
mod notes;
pub mod service;
mod spec;
mod user;

#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use idsync_proto::v1::{
    AuthenticationScheme, BulkSupport, FeatureSupport, FilterSupport, Pagination, ResourceType, Schema,
    SchemaExtension, ServiceProviderConfig,
};

pub use crate::groups::schema::GROUP_URN;

use crate::Core;
use crate::error::{CoreError, CoreResult};
use crate::schema::{ENTERPRISE_URN, USER_URN};

/// Bulk operations (RFC 7644 §3.7) as advertised and enforced. Not implemented yet:
/// the default says so, and turning Bulk on is a change of these settings alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSettings {
    /// Whether `/Bulk` is served.
    pub supported: bool,
    /// Most operations in one request.
    pub max_operations: u32,
    /// Largest request body in bytes.
    pub max_payload_size: u64,
}

/// Every schema, built once: the User schema, its enterprise extension, and Group.
static SCHEMAS: LazyLock<Vec<Schema>> =
    LazyLock::new(|| vec![user::core_schema(), user::enterprise_schema(), group::schema()]);

impl Core {
    /// What this service supports (RFC 7643 §5).
    ///
    /// `changePassword` is true: `password` is writable by POST, PUT and PATCH and a new
    /// value replaces the stored hash. `filter.maxResults` is the largest page a list
    /// returns; `etag` is the weak version tag on every resource and `If-Match` checks.
    pub fn service_provider_config(&self) -> ServiceProviderConfig {
        let bulk = self.settings.bulk;
        let supported = FeatureSupport { supported: true };
        ServiceProviderConfig {
            documentation_uri: None,
            patch: Some(supported),
            bulk: Some(BulkSupport {
                supported: bulk.supported,
                max_operations: bulk.max_operations,
                max_payload_size: bulk.max_payload_size,
            }),
            filter: Some(FilterSupport {
                supported: true,
                max_results: self.settings.max_page_size,
            }),
            change_password: Some(supported),
            sort: Some(supported),
            etag: Some(supported),
            authentication_schemes: vec![AuthenticationScheme {
                r#type: "oauthbearertoken".to_string(),
                name: "OAuth Bearer Token".to_string(),
                description: "The tenant's Secret Token, sent as 'Authorization: Bearer <token>'.".to_string(),
                spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".to_string()),
                documentation_uri: None,
                primary: true,
            }],
            pagination: Some(self.pagination()),
        }
    }

    /// Paging as RFC 9865 §4 describes it: both methods; index paging stays the default,
    /// as §2.4 asks of a server that offered only index paging before, so that clients
    /// that send neither parameter see no change.
    fn pagination(&self) -> Pagination {
        Pagination {
            cursor: true,
            index: true,
            default_pagination_method: "index".to_owned(),
            default_page_size: self.settings.default_page_size,
            max_page_size: self.settings.max_page_size,
            cursor_timeout: Some(u32::try_from(self.settings.cursor_timeout.as_secs()).unwrap_or(u32::MAX)),
        }
    }

    /// Every resource type (RFC 7643 §6).
    pub fn resource_types(&self) -> Vec<ResourceType> {
        vec![user_resource_type(), group::resource_type()]
    }

    /// The resource type `id`, compared ignoring case.
    pub fn resource_type(&self, id: &str) -> CoreResult<ResourceType> {
        self.resource_types()
            .into_iter()
            .find(|t| t.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| CoreError::NotFound(format!("no resource type {id:?}")))
    }

    /// Every schema (RFC 7643 §7).
    pub fn schemas(&self) -> &'static [Schema] {
        &SCHEMAS
    }

    /// The schema with URN `id`, compared ignoring case (RFC 7643 §2.1).
    pub fn schema(&self, id: &str) -> CoreResult<Schema> {
        self.schemas()
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(id))
            .cloned()
            .ok_or_else(|| CoreError::NotFound(format!("no schema {id:?}")))
    }
}

/// Users carry the enterprise extension when any of its attributes has a value.
fn user_resource_type() -> ResourceType {
    ResourceType {
        id: "User".to_string(),
        name: "User".to_string(),
        description: "User Account".to_string(),
        endpoint: "/Users".to_string(),
        schema: USER_URN.to_string(),
        schema_extensions: vec![SchemaExtension {
            schema: ENTERPRISE_URN.to_string(),
            required: false,
        }],
    }
}
