//! `idsync rules …`: a tenant's scoping and matching rules, directly on the database.
//!
//! `set` changes only what its flags name and keeps the rest; every rule is validated
//! by the core before anything is written, so a bad filter is refused with the
//! position the grammar reports.

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use idsync::node;
use idsync_core::admin;
use idsync_core::rules::admin::{TenantRules, get_rules, replace_rules};
use idsync_storage::records::{
    CreatePolicy, MatchPolicy, MatchingRuleRecord, RuleResource, ScopingRuleRecord, UpdatePolicy,
};

use super::config::Settings;

/// The resource type a scoping rule judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Resource {
    /// SCIM Users.
    User,
    /// SCIM Groups.
    Group,
}

impl From<Resource> for RuleResource {
    fn from(r: Resource) -> RuleResource {
        match r {
            Resource::User => RuleResource::User,
            Resource::Group => RuleResource::Group,
        }
    }
}

/// Rule subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print the tenant's rules.
    Show {
        /// The tenant's name.
        #[arg(long, env = "IDSYNC_TENANT")]
        tenant: String,
    },
    /// Set a scoping rule (--resource with --filter) and/or the matching rule
    /// (--matching and/or --match-policy). Rules not named are kept.
    Set {
        /// The tenant's name.
        #[arg(long, env = "IDSYNC_TENANT")]
        tenant: String,
        /// Which resource type the scoping rule judges.
        #[arg(long, value_enum, requires = "filter")]
        resource: Option<Resource>,
        /// SCIM filter a resource must satisfy, e.g. 'userName ew "@contoso.com"'.
        #[arg(long, requires = "resource")]
        filter: Option<String>,
        /// A create out of scope: refused (400) or stored disabled and marked.
        #[arg(long, default_value = "reject", value_parser = ["reject", "accept-disabled"], requires = "filter")]
        create_policy: String,
        /// An update that leaves scope: deactivate (and mark), delete, or refuse (400).
        #[arg(long, default_value = "deactivate", value_parser = ["deactivate", "delete", "reject"], requires = "filter")]
        update_policy: String,
        /// Matching attributes in order, comma-separated, e.g. 'externalId,userName'
        /// (also 'emails[primary eq true].value', 'emails[type eq "work"].value').
        #[arg(long)]
        matching: Option<String>,
        /// What a match leads to: adopt the account, or answer 409. [default: conflict]
        #[arg(long, value_parser = ["adopt", "conflict"])]
        match_policy: Option<String>,
    },
    /// Remove a scoping rule and/or the matching rule.
    Clear {
        /// The tenant's name.
        #[arg(long, env = "IDSYNC_TENANT")]
        tenant: String,
        /// Remove this resource type's scoping rule.
        #[arg(long, value_enum)]
        resource: Option<Resource>,
        /// Remove the matching rule (creates then never look for existing accounts).
        #[arg(long)]
        matching: bool,
    },
}

/// Runs a rules subcommand.
pub async fn rules(cmd: RulesCommand, settings: &Settings) -> Result<()> {
    let store = node::open_store_for_command(&settings.database_url, settings.store.clone()).await?;
    tokio::task::spawn_blocking(move || -> Result<()> {
        match cmd {
            RulesCommand::Show { tenant } => {
                let tenant = admin::tenant_by_name(&store, &tenant)?;
                print(&get_rules(&store, &tenant.id)?);
            }
            RulesCommand::Set {
                tenant,
                resource,
                filter,
                create_policy,
                update_policy,
                matching,
                match_policy,
            } => {
                if filter.is_none() && matching.is_none() && match_policy.is_none() {
                    bail!("nothing to set: name --resource and --filter, or --matching / --match-policy");
                }
                let tenant = admin::tenant_by_name(&store, &tenant)?;
                let mut rules = get_rules(&store, &tenant.id)?;
                if let (Some(resource), Some(filter)) = (resource, filter) {
                    let resource = RuleResource::from(resource);
                    rules.scoping.retain(|r| r.resource != resource);
                    rules.scoping.push(ScopingRuleRecord {
                        tenant_id: tenant.id.clone(),
                        resource,
                        filter,
                        create_policy: CreatePolicy::parse(&create_policy).unwrap_or(CreatePolicy::Reject),
                        update_policy: UpdatePolicy::parse(&update_policy).unwrap_or(UpdatePolicy::Deactivate),
                    });
                }
                if matching.is_some() || match_policy.is_some() {
                    let current = rules.matching.take();
                    let attributes = match matching {
                        Some(list) => list.split(',').map(|a| a.trim().to_string()).collect(),
                        None => current.as_ref().map(|m| m.attributes.clone()).unwrap_or_default(),
                    };
                    let policy = match match_policy.as_deref().and_then(MatchPolicy::parse) {
                        Some(policy) => policy,
                        None => current.map_or(MatchPolicy::Conflict, |m| m.policy),
                    };
                    rules.matching = Some(MatchingRuleRecord {
                        tenant_id: tenant.id.clone(),
                        attributes,
                        policy,
                    });
                }
                print(&replace_rules(&store, &tenant.id, rules)?);
            }
            RulesCommand::Clear {
                tenant,
                resource,
                matching,
            } => {
                if resource.is_none() && !matching {
                    bail!("nothing to clear: name --resource and/or --matching");
                }
                let tenant = admin::tenant_by_name(&store, &tenant)?;
                let mut rules = get_rules(&store, &tenant.id)?;
                if let Some(resource) = resource {
                    rules.scoping.retain(|r| r.resource != RuleResource::from(resource));
                }
                if matching {
                    rules.matching = None;
                }
                print(&replace_rules(&store, &tenant.id, rules)?);
            }
        }
        Ok(())
    })
    .await?
}

/// The rules as a person reads them: one line per rule.
fn print(rules: &TenantRules) {
    if rules.scoping.is_empty() {
        println!("scoping   none (every resource is in scope)");
    }
    for rule in &rules.scoping {
        println!(
            "scoping   {:<6} create={:<15} update={:<10} filter={}",
            rule.resource.as_str(),
            rule.create_policy.as_str(),
            rule.update_policy.as_str(),
            rule.filter
        );
    }
    match &rules.matching {
        Some(m) => println!(
            "matching  policy={:<8} attributes={}",
            m.policy.as_str(),
            m.attributes.join(",")
        ),
        None => println!("matching  none (a duplicate userName is a conflict)"),
    }
}
