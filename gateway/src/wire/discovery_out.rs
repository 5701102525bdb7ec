//! Proto `ServiceProviderConfig` and `ResourceType` → SCIM JSON (RFC 7643 §5, §6, §8.5,
//! §8.6), and the `meta` every discovery resource carries.

use idsync_proto::v1::{
    AuthenticationScheme, BulkSupport, FeatureSupport, FilterSupport, Pagination, ResourceType, SchemaExtension,
    ServiceProviderConfig,
};
use serde::Serialize;

use super::render::text;
use super::{RESOURCE_TYPE_URN, SERVICE_PROVIDER_CONFIG_URN};

/// `meta` of a discovery resource: its resource type and where it is served. These
/// resources have no version or timestamps of their own.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscoveryMeta {
    resource_type: &'static str,
    location: String,
}

impl DiscoveryMeta {
    pub(crate) fn new(resource_type: &'static str, location: String) -> Self {
        DiscoveryMeta {
            resource_type,
            location,
        }
    }
}

/// A borrowed SCIM view of the service provider configuration.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceProviderConfigOut<'a> {
    schemas: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    documentation_uri: Option<&'a str>,
    patch: Supported,
    bulk: BulkOut,
    filter: FilterOut,
    change_password: Supported,
    sort: Supported,
    etag: Supported,
    authentication_schemes: Vec<AuthenticationSchemeOut<'a>>,
    /// RFC 9865 §4; left out when the core does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pagination: Option<PaginationOut<'a>>,
    meta: DiscoveryMeta,
}

impl<'a> ServiceProviderConfigOut<'a> {
    /// Renders `config`; a feature the core leaves out is rendered as unsupported.
    pub(crate) fn new(config: &'a ServiceProviderConfig, base_url: &str) -> Self {
        let ServiceProviderConfig {
            documentation_uri,
            patch,
            bulk,
            filter,
            change_password,
            sort,
            etag,
            authentication_schemes,
            pagination,
        } = config;
        let BulkSupport {
            supported: bulk_supported,
            max_operations,
            max_payload_size,
        } = bulk.unwrap_or_default();
        let FilterSupport { supported, max_results } = filter.unwrap_or_default();
        ServiceProviderConfigOut {
            schemas: [SERVICE_PROVIDER_CONFIG_URN],
            documentation_uri: text(documentation_uri),
            patch: Supported::from(patch),
            bulk: BulkOut {
                supported: bulk_supported,
                max_operations,
                max_payload_size,
            },
            filter: FilterOut { supported, max_results },
            change_password: Supported::from(change_password),
            sort: Supported::from(sort),
            etag: Supported::from(etag),
            authentication_schemes: authentication_schemes
                .iter()
                .map(AuthenticationSchemeOut::new)
                .collect(),
            pagination: pagination.as_ref().map(PaginationOut::new),
            meta: DiscoveryMeta::new("ServiceProviderConfig", format!("{base_url}/ServiceProviderConfig")),
        }
    }
}

/// RFC 9865 §4 `pagination`: `cursor` and `index` always; the optional sub-attributes
/// only when they have a value.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaginationOut<'a> {
    cursor: bool,
    index: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_pagination_method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_page_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_page_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor_timeout: Option<u32>,
}

impl<'a> PaginationOut<'a> {
    fn new(pagination: &'a Pagination) -> Self {
        let Pagination {
            cursor,
            index,
            default_pagination_method,
            default_page_size,
            max_page_size,
            cursor_timeout,
        } = pagination;
        // The RFC's integers are positive: 0 means the core left the value out.
        let positive = |n: u32| (n > 0).then_some(n);
        PaginationOut {
            cursor: *cursor,
            index: *index,
            default_pagination_method: Some(default_pagination_method.as_str()).filter(|m| !m.is_empty()),
            default_page_size: positive(*default_page_size),
            max_page_size: positive(*max_page_size),
            cursor_timeout: cursor_timeout.and_then(positive),
        }
    }
}

#[derive(Serialize)]
struct Supported {
    supported: bool,
}

impl From<&Option<FeatureSupport>> for Supported {
    fn from(feature: &Option<FeatureSupport>) -> Self {
        Supported {
            supported: feature.is_some_and(|FeatureSupport { supported }| supported),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkOut {
    supported: bool,
    max_operations: u32,
    max_payload_size: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FilterOut {
    supported: bool,
    max_results: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationSchemeOut<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    spec_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    documentation_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    primary: bool,
}

impl<'a> AuthenticationSchemeOut<'a> {
    fn new(scheme: &'a AuthenticationScheme) -> Self {
        let AuthenticationScheme {
            r#type,
            name,
            description,
            spec_uri,
            documentation_uri,
            primary,
        } = scheme;
        AuthenticationSchemeOut {
            kind: r#type,
            name,
            description,
            spec_uri: text(spec_uri),
            documentation_uri: text(documentation_uri),
            primary: *primary,
        }
    }
}

/// A borrowed SCIM view of a resource type.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceTypeOut<'a> {
    schemas: [&'static str; 1],
    id: &'a str,
    name: &'a str,
    description: &'a str,
    endpoint: &'a str,
    schema: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    schema_extensions: Vec<SchemaExtensionOut<'a>>,
    meta: DiscoveryMeta,
}

impl<'a> ResourceTypeOut<'a> {
    /// Renders `resource_type`; `base_url` is the SCIM base (`<public_url>/scim/v2`).
    pub(crate) fn new(resource_type: &'a ResourceType, base_url: &str) -> Self {
        let ResourceType {
            id,
            name,
            description,
            endpoint,
            schema,
            schema_extensions,
        } = resource_type;
        ResourceTypeOut {
            schemas: [RESOURCE_TYPE_URN],
            id,
            name,
            description,
            endpoint,
            schema,
            schema_extensions: schema_extensions
                .iter()
                .map(|SchemaExtension { schema, required }| SchemaExtensionOut {
                    schema,
                    required: *required,
                })
                .collect(),
            meta: DiscoveryMeta::new("ResourceType", format!("{base_url}/ResourceTypes/{id}")),
        }
    }
}

#[derive(Serialize)]
struct SchemaExtensionOut<'a> {
    schema: &'a str,
    required: bool,
}
