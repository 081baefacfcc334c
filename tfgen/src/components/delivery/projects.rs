//! The CodeBuild projects the stages run: one build, and a plan and an
//! apply project per deployed environment, each with its own role.
//! CodeBuild builds natively on arm64 (the functions' architecture).

use crate::aws::cloudwatch::CloudwatchLogGroup;
use crate::aws::devtools::*;
use crate::aws::iam::IamRole;
use crate::aws::kms::KmsKey;
use crate::core::{Handle, TfFile};
use crate::env::EnvName;

/// The buildspecs, in `.codebuild/`. CodeBuild reads them from the primary
/// source of each action, which is always the commit (`source` artifact),
/// never an artifact a previous stage wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buildspec {
    Build,
    Plan,
    Apply,
}

impl Buildspec {
    pub const ALL: [Buildspec; 3] = [Buildspec::Build, Buildspec::Plan, Buildspec::Apply];

    pub fn path(self) -> &'static str {
        match self {
            Buildspec::Build => ".codebuild/build.yml",
            Buildspec::Plan => ".codebuild/plan.yml",
            Buildspec::Apply => ".codebuild/apply.yml",
        }
    }
}

/// Native arm64 builds: the Lambda zips are arm64, and no cross toolchain
/// is needed on an arm64 host.
pub const BUILD_IMAGE: &str = "aws/codebuild/amazonlinux-aarch64-standard:3.0";

/// What differs between the projects.
pub struct ProjectSpec<'a> {
    pub logical: &'a str,
    pub name: String,
    pub buildspec: Buildspec,
    pub role: &'a Handle<IamRole>,
    /// The environment a plan or apply project deploys.
    pub env: Option<EnvName>,
}

pub fn project(
    file: &mut TfFile,
    spec: ProjectSpec,
    logs: &Handle<CloudwatchLogGroup>,
    key: &Handle<KmsKey>,
) -> Handle<CodebuildProject> {
    let mut variables = vec![("TF_IN_AUTOMATION", "1".to_string()), ("TF_INPUT", "0".into())];
    if let Some(env) = spec.env {
        variables.push(("ENV", env.to_string()));
    }
    file.resource(
        spec.logical,
        CodebuildProject {
            description: format!("{} of the delivery pipeline", spec.buildspec.path()),
            name: spec.name,
            service_role: spec.role.arn().into(),
            build_timeout: 60,
            encryption_key: key.arn().into(),
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
                buildspec: spec.buildspec.path().into(),
            },
            logs_config: CodebuildLogsConfig {
                cloudwatch_logs: CloudwatchLogsConfig {
                    group_name: logs.name().into(),
                    status: "ENABLED".into(),
                },
            },
            // The Rust build reuses its registry and target dir between runs.
            cache: (spec.buildspec == Buildspec::Build).then(|| CodebuildCache {
                type_: "LOCAL".into(),
                modes: vec!["LOCAL_CUSTOM_CACHE".into(), "LOCAL_SOURCE_CACHE".into()],
            }),
        },
    )
}
