//! Delivery: a CodePipeline (V2) per deployed environment, triggered by
//! pushes to `master` through a CodeConnections GitHub connection:
//!
//! Source → Build (tests, arm64 zips, synth check) → Plan (saved plan) →
//! [Approve, where the environment requires it] → Apply (exactly that plan).
//!
//! CodeBuild builds natively on arm64. Each stage has its own role: the
//! build role touches only artifacts and logs, the plan role only reads the
//! stack, the apply role manages exactly what the stack manages. A failed
//! run notifies the alert topic, which Chatbot forwards to Slack.

pub mod permissions;

use std::collections::BTreeMap;

use crate::aws::cloudwatch::CloudwatchLogGroup;
use crate::aws::devtools::*;
use crate::aws::iam::IamRole;
use crate::aws::messaging::SnsTopic;
use crate::core::{Handle, Output, TfFile};
use crate::env::DeliverySettings;
use crate::policy::Statement;

use super::Context;
use super::blocks::{BucketSettings, log_group, secure_bucket, service_role};

/// Buildspecs in the repository, one per CodeBuild project.
pub const BUILDSPECS: [(&str, &str); 3] = [
    ("build", ".codebuild/build.yml"),
    ("plan", ".codebuild/plan.yml"),
    ("apply", ".codebuild/apply.yml"),
];

/// Native arm64 builds: the Lambda zips are arm64, and no cross toolchain
/// is needed on an arm64 host.
const BUILD_IMAGE: &str = "aws/codebuild/amazonlinux-aarch64-standard:3.0";

pub fn build(ctx: &Context, file: &mut TfFile, delivery: &DeliverySettings, alerts: &Handle<SnsTopic>) {
    let artifacts = secure_bucket(
        file,
        "pipeline_artifacts",
        BucketSettings {
            name: ctx.global_name("pipeline-artifacts"),
            key_arn: ctx.key.arn(),
            noncurrent_days: 7,
            protect: false,
        },
    );
    let connection = file.resource(
        "github",
        CodeconnectionsConnection {
            name: ctx.name("github"),
            provider_type: "GitHub".into(),
        },
    );
    let logs = log_group(
        ctx,
        file,
        "delivery",
        format!("/aws/codebuild/{}", ctx.name("delivery")),
    );

    // What every CodeBuild project needs: its logs, the artifacts, the key.
    let project_basics = || {
        vec![
            Statement::allow("WriteBuildLogs", ["logs:CreateLogStream", "logs:PutLogEvents"])
                .on([format!("{}:*", logs.arn())]),
            Statement::allow(
                "ReadWriteArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            )
            .on([format!("{}/*", artifacts.arn())]),
            Statement::allow("LocateArtifacts", ["s3:GetBucketLocation", "s3:ListBucket"]).on([artifacts.arn()]),
            Statement::allow("UseArtifactKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
                .on([ctx.key.arn()]),
        ]
    };
    let with_basics = |more: Vec<Statement>| project_basics().into_iter().chain(more).collect::<Vec<_>>();
    let roles: [(&str, Handle<IamRole>); 3] = [
        (
            "build",
            service_role(
                ctx,
                file,
                "delivery_build",
                "delivery-build",
                "codebuild.amazonaws.com",
                project_basics(),
            ),
        ),
        (
            "plan",
            service_role(
                ctx,
                file,
                "delivery_plan",
                "delivery-plan",
                "codebuild.amazonaws.com",
                with_basics(permissions::plan(ctx)),
            ),
        ),
        (
            "apply",
            service_role(
                ctx,
                file,
                "delivery_apply",
                "delivery-apply",
                "codebuild.amazonaws.com",
                with_basics(permissions::apply(ctx)),
            ),
        ),
    ];
    let mut projects = BTreeMap::new();
    for ((stage, role), (_, buildspec)) in roles.iter().zip(BUILDSPECS) {
        let project = codebuild_project(ctx, file, stage, role, buildspec, &logs);
        projects.insert(*stage, project);
    }

    let pipeline_role = service_role(
        ctx,
        file,
        "delivery_pipeline",
        "delivery-pipeline",
        "codepipeline.amazonaws.com",
        vec![
            Statement::allow(
                "UseGitHubConnection",
                ["codeconnections:UseConnection", "codestar-connections:UseConnection"],
            )
            .on([connection.arn()]),
            Statement::allow("RunBuilds", ["codebuild:StartBuild", "codebuild:BatchGetBuilds"])
                .on(projects.values().map(|p| p.arn())),
            Statement::allow(
                "ReadWriteArtifacts",
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl"],
            )
            .on([format!("{}/*", artifacts.arn())]),
            Statement::allow(
                "LocateArtifacts",
                ["s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"],
            )
            .on([artifacts.arn()]),
            Statement::allow("UseArtifactKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
                .on([ctx.key.arn()]),
            Statement::allow("AnnounceApprovals", ["sns:Publish"]).on([alerts.arn()]),
        ],
    );

    let pipeline = file.resource(
        "delivery",
        Codepipeline {
            name: ctx.name("delivery"),
            pipeline_type: "V2".into(),
            // One run at a time, in order: two applies never race.
            execution_mode: "QUEUED".into(),
            role_arn: pipeline_role.arn().into(),
            artifact_store: vec![ArtifactStore {
                location: artifacts.bucket().into(),
                type_: "S3".into(),
                encryption_key: ArtifactEncryptionKey {
                    id: ctx.key.arn().into(),
                    type_: "KMS".into(),
                },
            }],
            stage: stages(ctx, delivery, &connection, &projects, alerts),
            trigger: vec![PipelineTrigger {
                provider_type: "CodeStarSourceConnection".into(),
                git_configuration: GitConfiguration {
                    source_action_name: "Source".into(),
                    push: vec![GitPushFilter {
                        branches: BranchFilter {
                            includes: vec![delivery.branch.into()],
                        },
                    }],
                },
            }],
        },
    );
    file.resource(
        "delivery_failed",
        CodestarnotificationsNotificationRule {
            name: ctx.name("delivery-failed"),
            detail_type: "FULL".into(),
            // Approvals are announced by the approval action itself.
            event_type_ids: vec!["codepipeline-pipeline-pipeline-execution-failed".into()],
            resource: pipeline.arn().into(),
            // Chatbot subscribes to this topic, so Slack hears it exactly once.
            target: vec![NotificationTarget {
                address: alerts.arn().into(),
                type_: "SNS".into(),
            }],
        },
    );
    file.output(
        "delivery_pipeline",
        Output::new(pipeline.name(), "CodePipeline that deploys this environment"),
    );
    file.output(
        "github_connection_arn",
        Output::new(
            connection.arn(),
            "Approve this connection once in the console (Developer Tools → Connections)",
        ),
    );
}

fn codebuild_project(
    ctx: &Context,
    file: &mut TfFile,
    stage: &str,
    role: &Handle<IamRole>,
    buildspec: &str,
    logs: &Handle<CloudwatchLogGroup>,
) -> Handle<CodebuildProject> {
    let variables = [
        ("ENV", ctx.env.name.to_string()),
        ("TF_IN_AUTOMATION", "1".into()),
        ("TF_INPUT", "0".into()),
    ];
    file.resource(
        &format!("delivery_{stage}"),
        CodebuildProject {
            name: ctx.name(&format!("delivery-{stage}")),
            description: format!("{stage} stage of {}", ctx.name("delivery")),
            service_role: role.arn().into(),
            build_timeout: 60,
            encryption_key: ctx.key.arn().into(),
            artifacts: CodebuildArtifacts {
                type_: "CODEPIPELINE".into(),
            },
            environment: CodebuildEnvironment {
                compute_type: "BUILD_GENERAL1_LARGE".into(),
                image: BUILD_IMAGE.into(),
                type_: "ARM_CONTAINER".into(),
                image_pull_credentials_type: "CODEBUILD".into(),
                environment_variable: variables
                    .into_iter()
                    .map(|(name, value)| EnvironmentVariable {
                        name: name.into(),
                        value,
                    })
                    .collect(),
            },
            source: CodebuildSource {
                type_: "CODEPIPELINE".into(),
                buildspec: buildspec.into(),
            },
            logs_config: CodebuildLogsConfig {
                cloudwatch_logs: CloudwatchLogsConfig {
                    group_name: logs.name().into(),
                    status: "ENABLED".into(),
                },
            },
            // The Rust build reuses its registry and target dir between runs.
            cache: (stage == "build").then(|| CodebuildCache {
                type_: "LOCAL".into(),
                modes: vec!["LOCAL_CUSTOM_CACHE".into(), "LOCAL_SOURCE_CACHE".into()],
            }),
        },
    )
}

fn action(name: &str, category: &str, provider: &str, configuration: BTreeMap<String, String>) -> PipelineAction {
    PipelineAction {
        name: name.into(),
        category: category.into(),
        owner: "AWS".into(),
        provider: provider.into(),
        version: "1".into(),
        run_order: None,
        input_artifacts: None,
        output_artifacts: None,
        configuration,
    }
}

fn build_action(name: &str, project: &Handle<CodebuildProject>, input: &str, output: Option<&str>) -> PipelineAction {
    PipelineAction {
        input_artifacts: Some(vec![input.into()]),
        output_artifacts: output.map(|o| vec![o.into()]),
        ..action(
            name,
            "Build",
            "CodeBuild",
            BTreeMap::from([("ProjectName".into(), project.name().into())]),
        )
    }
}

fn stages(
    ctx: &Context,
    delivery: &DeliverySettings,
    connection: &Handle<CodeconnectionsConnection>,
    projects: &BTreeMap<&str, Handle<CodebuildProject>>,
    alerts: &Handle<SnsTopic>,
) -> Vec<PipelineStage> {
    let source = PipelineAction {
        output_artifacts: Some(vec!["source".into()]),
        ..action(
            "Source",
            "Source",
            "CodeStarSourceConnection",
            BTreeMap::from([
                ("ConnectionArn".into(), connection.arn().into()),
                ("FullRepositoryId".into(), delivery.repository.into()),
                ("BranchName".into(), delivery.branch.into()),
                ("OutputArtifactFormat".into(), "CODE_ZIP".into()),
            ]),
        )
    };
    let mut stages = vec![
        PipelineStage {
            name: "Source".into(),
            action: vec![source],
        },
        PipelineStage {
            name: "Build".into(),
            action: vec![build_action(
                "BuildAndTest",
                &projects["build"],
                "source",
                Some("built"),
            )],
        },
        PipelineStage {
            name: "Plan".into(),
            action: vec![build_action("Plan", &projects["plan"], "built", Some("plan"))],
        },
    ];
    if delivery.requires_approval {
        let approve = action(
            "ApprovePlan",
            "Approval",
            "Manual",
            BTreeMap::from([
                ("NotificationArn".into(), alerts.arn().into()),
                (
                    "CustomData".into(),
                    format!(
                        "Review the saved plan in the Plan action's log before {} changes.",
                        ctx.env.name
                    ),
                ),
            ]),
        );
        stages.push(PipelineStage {
            name: "Approve".into(),
            action: vec![approve],
        });
    }
    stages.push(PipelineStage {
        name: "Apply".into(),
        action: vec![build_action("Apply", &projects["apply"], "plan", None)],
    });
    stages
}
