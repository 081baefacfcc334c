//! Resources whose ARNs carry generated ids, not names: the Cognito pool,
//! the HTTP API and the platform KMS key. An ARN pattern cannot tell dev's
//! from prod's, so the environment is told by the `Environment` tag every
//! resource carries (the provider's `default_tags`): existing resources by
//! `aws:ResourceTag/Environment`, new ones by `aws:RequestTag/Environment`,
//! and an explicit deny on anything tagged for another environment.

use crate::env::{EnvName, REGION};
use crate::policy::Statement;

use super::permissions::Scope;

/// One family of id-named resources.
struct Family {
    sid: &'static str,
    /// ARNs of existing resources (and their children).
    resources: Vec<String>,
    read: &'static [&'static str],
    change: &'static [&'static str],
    /// Creating one: these actions name no existing resource, so the tag
    /// the request carries decides.
    create: &'static [&'static str],
    create_on: Vec<String>,
}

fn families(scope: &Scope) -> Vec<Family> {
    vec![
        Family {
            sid: "ClientPool",
            resources: vec![scope.arn("cognito-idp", "userpool/*")],
            read: &[
                "cognito-idp:DescribeUserPool",
                "cognito-idp:DescribeUserPoolClient",
                "cognito-idp:DescribeResourceServer",
                "cognito-idp:GetUserPoolMfaConfig",
                "cognito-idp:ListTagsForResource",
            ],
            change: &[
                "cognito-idp:UpdateUserPool",
                "cognito-idp:DeleteUserPool",
                "cognito-idp:CreateUserPoolClient",
                "cognito-idp:UpdateUserPoolClient",
                "cognito-idp:DeleteUserPoolClient",
                "cognito-idp:CreateUserPoolDomain",
                "cognito-idp:DeleteUserPoolDomain",
                "cognito-idp:CreateResourceServer",
                "cognito-idp:UpdateResourceServer",
                "cognito-idp:DeleteResourceServer",
                "cognito-idp:TagResource",
                "cognito-idp:UntagResource",
            ],
            // CreateUserPool takes only `*`.
            create: &["cognito-idp:CreateUserPool"],
            create_on: vec!["*".into()],
        },
        Family {
            sid: "HttpApi",
            // API Gateway evaluates a child's (route, stage, integration)
            // tag condition against its API's tags.
            resources: vec![format!("arn:aws:apigateway:{REGION}::/apis/*")],
            read: &["apigateway:GET"],
            change: &[
                "apigateway:POST",
                "apigateway:PATCH",
                "apigateway:PUT",
                "apigateway:DELETE",
            ],
            // CreateApi carries its tags; tagging an existing API
            // (`/tags/*`) is not granted: its tag condition cannot be
            // tied to the API, and re-tagging could move prod's API to dev.
            create: &["apigateway:POST"],
            create_on: vec![format!("arn:aws:apigateway:{REGION}::/apis")],
        },
        Family {
            sid: "PlatformKey",
            resources: vec![scope.arn("kms", "key/*")],
            read: &[
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
            ],
            change: &[
                "kms:CreateAlias",
                "kms:UpdateAlias",
                "kms:DeleteAlias",
                "kms:PutKeyPolicy",
                "kms:EnableKeyRotation",
                "kms:ScheduleKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
                "kms:CreateGrant",
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:GenerateDataKey",
            ],
            // CreateKey takes only `*`; it tags the key in the same call
            // (kms:TagResource) and sets its policy (kms:PutKeyPolicy).
            create: &["kms:CreateKey", "kms:TagResource", "kms:PutKeyPolicy"],
            create_on: vec!["*".into()],
        },
    ]
}

fn this_env(statement: Statement, scope: &Scope, key: &str) -> Statement {
    statement.when("StringEquals", key, [scope.tag()])
}

/// What `terraform plan` reads: this environment's tagged resources.
pub fn read(scope: &Scope) -> Vec<Statement> {
    families(scope)
        .into_iter()
        .map(|f| {
            this_env(
                Statement::allow(&format!("Read{}", f.sid), f.read.iter().copied()).on(f.resources),
                scope,
                "aws:ResourceTag/Environment",
            )
        })
        .collect()
}

/// What `terraform apply` changes: this environment's tagged resources,
/// new ones only with this environment's tag, and never one tagged for
/// another environment. Key aliases carry the name, so they are scoped
/// by name.
pub fn manage(scope: &Scope) -> Vec<Statement> {
    let mut statements = Vec::new();
    let mut everything_by_id = Vec::new();
    for f in families(scope) {
        statements.push(this_env(
            Statement::allow(&format!("Manage{}", f.sid), f.read.iter().chain(f.change).copied())
                .on(f.resources.clone()),
            scope,
            "aws:ResourceTag/Environment",
        ));
        statements.push(this_env(
            Statement::allow(&format!("Create{}", f.sid), f.create.iter().copied()).on(f.create_on),
            scope,
            "aws:RequestTag/Environment",
        ));
        everything_by_id.extend(f.resources);
    }
    statements.push(
        Statement::allow(
            "ManagePlatformKeyAlias",
            ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
        )
        .on([scope.arn("kms", &format!("alias/{}*", scope.prefix()))]),
    );
    statements.push(other_environments_denied(scope, everything_by_id));
    statements
}

/// An explicit deny: whatever else allows it, nothing tagged for another
/// environment is read or changed (a key, a pool, an API of prod from dev).
/// Named environments, not "anything but mine": the state key (`shared`)
/// and the artifact key (`delivery`) stay usable.
fn other_environments_denied(scope: &Scope, resources: Vec<String>) -> Statement {
    let others = EnvName::ALL
        .into_iter()
        .filter(|name| *name != scope.env.name)
        .map(|name| name.to_string());
    Statement::deny(
        "NothingOfAnotherEnvironment",
        ["cognito-idp:*", "apigateway:*", "kms:*"],
    )
    .on(resources)
    .when("StringEquals", "aws:ResourceTag/Environment", others)
}
