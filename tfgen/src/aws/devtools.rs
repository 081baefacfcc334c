//! Delivery: CodeConnections, CodePipeline, CodeBuild, CodeStar Notifications.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CodeconnectionsConnection {
    pub name: String,
    pub provider_type: String,
}
resource!(CodeconnectionsConnection = "aws_codeconnections_connection" { arn });

#[derive(Debug, Clone, Serialize)]
pub struct Codepipeline {
    pub name: String,
    pub pipeline_type: String,
    pub execution_mode: String,
    pub role_arn: String,
    pub artifact_store: Vec<ArtifactStore>,
    pub stage: Vec<PipelineStage>,
    pub trigger: Vec<PipelineTrigger>,
}
resource!(Codepipeline = "aws_codepipeline" { arn, name });

#[derive(Debug, Clone, Serialize)]
pub struct ArtifactStore {
    pub location: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub encryption_key: ArtifactEncryptionKey,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArtifactEncryptionKey {
    pub id: String,
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineStage {
    pub name: String,
    pub action: Vec<PipelineAction>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct PipelineAction {
    pub name: String,
    pub category: String,
    pub owner: String,
    pub provider: String,
    pub version: String,
    pub run_order: Option<u32>,
    /// Where the action's output variables are published
    /// (`#{namespace.VARIABLE}` in later actions' configuration).
    pub namespace: Option<String>,
    pub input_artifacts: Option<Vec<String>>,
    pub output_artifacts: Option<Vec<String>>,
    pub configuration: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineTrigger {
    pub provider_type: String,
    pub git_configuration: GitConfiguration,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitConfiguration {
    pub source_action_name: String,
    pub push: Vec<GitPushFilter>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GitPushFilter {
    pub branches: BranchFilter,
}

#[derive(Debug, Clone, Serialize)]
pub struct BranchFilter {
    pub includes: Vec<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct CodebuildProject {
    pub name: String,
    pub description: String,
    pub service_role: String,
    pub build_timeout: u32,
    pub encryption_key: String,
    pub artifacts: CodebuildArtifacts,
    pub environment: CodebuildEnvironment,
    pub source: CodebuildSource,
    pub logs_config: CodebuildLogsConfig,
    pub cache: Option<CodebuildCache>,
}
resource!(CodebuildProject = "aws_codebuild_project" { arn, name });

/// Build-host cache: the buildspec's `cache.paths` survive between builds.
#[derive(Debug, Clone, Serialize)]
pub struct CodebuildCache {
    #[serde(rename = "type")]
    pub type_: String,
    pub modes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodebuildArtifacts {
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodebuildEnvironment {
    pub compute_type: String,
    pub image: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub image_pull_credentials_type: String,
    pub environment_variable: Vec<EnvironmentVariable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentVariable {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodebuildSource {
    #[serde(rename = "type")]
    pub type_: String,
    pub buildspec: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodebuildLogsConfig {
    pub cloudwatch_logs: CloudwatchLogsConfig,
}

#[derive(Debug, Clone, Serialize)]
pub struct CloudwatchLogsConfig {
    pub group_name: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodestarnotificationsNotificationRule {
    pub name: String,
    pub detail_type: String,
    pub event_type_ids: Vec<String>,
    pub resource: String,
    pub target: Vec<NotificationTarget>,
}
resource!(CodestarnotificationsNotificationRule = "aws_codestarnotifications_notification_rule" { arn });

#[derive(Debug, Clone, Serialize)]
pub struct NotificationTarget {
    pub address: String,
    #[serde(rename = "type")]
    pub type_: String,
}
