//! The permissions boundary of an environment, and how its apply role may
//! touch IAM at all.
//!
//! Every role of an environment's stack carries the boundary
//! `auction-<env>-boundary`: whatever its own policy says, it can never do
//! more than use that environment's resources. The apply role creates and
//! changes roles only with that boundary attached, passes them only to the
//! services that run them, and is explicitly denied the delivery roles
//! (its own included), the boundary policies and removing a boundary: one
//! commit on `master` cannot make it, or a role it creates, administrator.

use crate::env::Environment;
use crate::policy::{LOG_DELIVERY_ACTIONS, PolicyDocument, Statement};

use super::permissions::Scope;

/// `auction-<env>-boundary`: the customer-managed policy's name.
pub fn name(env: &Environment) -> String {
    env.resource_name("boundary")
}

/// `arn:aws:iam::<account>:policy/auction-<env>-boundary`: what every role
/// of the environment's stack carries as `permissions_boundary` (pass that
/// stack's account reference).
pub fn arn_in(env: &Environment, account_id: &impl std::fmt::Display) -> String {
    format!("arn:aws:iam::{account_id}:policy/{}", name(env))
}

fn arn(scope: &Scope) -> String {
    arn_in(scope.env, scope.account_id)
}

/// Services an environment's roles are passed to (functions, the state
/// machine, the schedule, the Chatbot channel).
pub const ROLE_USERS: [&str; 4] = [
    "lambda.amazonaws.com",
    "states.amazonaws.com",
    "scheduler.amazonaws.com",
    "chatbot.amazonaws.com",
];

/// The boundary: the most any role of the environment may ever do. Whole
/// services, but only on the environment's own resources (by name, or by
/// tag for keys), plus the few calls that take no resource ARN. IAM itself
/// is out of reach.
pub fn policy(scope: &Scope) -> PolicyDocument {
    let prefix = scope.prefix();
    let named = vec![
        scope.arn("dynamodb", &format!("table/{prefix}*")),
        format!("arn:aws:s3:::{prefix}*"),
        scope.arn("lambda", &format!("function:{prefix}*")),
        scope.arn("sns", &format!("{prefix}*")),
        scope.arn("sqs", &format!("{prefix}*")),
        scope.arn("states", &format!("stateMachine:{prefix}*")),
        scope.arn("states", &format!("execution:{prefix}*")),
        scope.arn("logs", &format!("log-group:/aws/*/{prefix}*")),
        scope.arn("scheduler", &format!("schedule/*/{prefix}*")),
        scope.arn("cloudwatch", &format!("alarm:{prefix}*")),
    ];
    PolicyDocument::new([
        Statement::allow(
            "ThisEnvironmentsResources",
            [
                "dynamodb:*",
                "s3:*",
                "lambda:*",
                "sns:*",
                "sqs:*",
                "states:*",
                "logs:*",
                "scheduler:*",
                "cloudwatch:*",
            ],
        )
        .on(named),
        Statement::allow(
            "ThisEnvironmentsKey",
            [
                "kms:Decrypt",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
                "kms:DescribeKey",
            ],
        )
        .on([scope.arn("kms", "key/*")])
        .when("StringEquals", "aws:ResourceTag/Environment", [scope.tag()]),
        Statement::allow(
            "CallsWithoutResource",
            [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:GetMetricData",
                "cloudwatch:GetMetricWidgetImage",
            ]
            .into_iter()
            .chain(LOG_DELIVERY_ACTIONS),
        )
        .on(["*"]),
        Statement::deny("NeverIam", ["iam:*"]).on(["*"]),
    ])
}

/// Reading the environment's roles and managed policies (`plan` and `apply`).
pub fn read_roles(scope: &Scope) -> Statement {
    Statement::allow(
        "ReadRolesAndPolicies",
        [
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:GetPolicy",
            "iam:GetPolicyVersion",
            "iam:ListPolicyVersions",
        ],
    )
    .on(own_roles_and_policies(scope))
}

fn own_roles_and_policies(scope: &Scope) -> Vec<String> {
    vec![
        scope.iam_arn(&format!("role/{}*", scope.prefix())),
        scope.iam_arn(&format!("policy/{}*", scope.prefix())),
    ]
}

/// What `apply` may do in IAM (see the module comment).
pub fn manage_roles(scope: &Scope) -> Vec<Statement> {
    let boundary = arn(scope);
    let roles = scope.iam_arn(&format!("role/{}*", scope.prefix()));
    let policies = scope.iam_arn(&format!("policy/{}*", scope.prefix()));
    vec![
        // These actions carry the role's boundary as iam:PermissionsBoundary.
        Statement::allow(
            "ChangeRolesOnlyWithTheBoundary",
            [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePermissionsBoundary",
            ],
        )
        .on([roles.clone()])
        .when("StringEquals", "iam:PermissionsBoundary", [boundary.clone()]),
        Statement::allow(
            "ChangeRolesOfThisEnvironment",
            [
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
            ],
        )
        .on([roles.clone()]),
        Statement::allow(
            "ManagePoliciesOfThisEnvironment",
            [
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
        )
        .on([policies]),
        Statement::allow("PassRolesToTheirServices", ["iam:PassRole"])
            .on([roles])
            .when("StringEquals", "iam:PassedToService", ROLE_USERS),
        // Explicit denies win over any allow, including one a later change
        // adds by mistake.
        Statement::deny("NeverTheDeliveryRoles", ["iam:*"]).on([
            scope.iam_arn("role/auction-*-deploy-*"),
            scope.iam_arn("role/auction-delivery-*"),
        ]),
        Statement::deny(
            "NeverTheBoundaries",
            [
                "iam:CreatePolicy",
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
        )
        .on([scope.iam_arn("policy/auction-*-boundary")]),
        Statement::deny("NeverRemoveABoundary", ["iam:DeleteRolePermissionsBoundary"]).on(["*"]),
        // Absent or different boundary: StringNotEquals also matches a
        // request that carries none.
        Statement::deny(
            "NeverARoleWithoutThisBoundary",
            ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
        )
        .on(["*"])
        .when("StringNotEquals", "iam:PermissionsBoundary", [boundary]),
    ]
}
