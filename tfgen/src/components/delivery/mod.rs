//! Delivery: its own configuration (`terraform/delivery/`), applied once by
//! an administrator like `bootstrap`, never by the pipeline it defines.
//!
//! One CodePipeline (V2) takes every push to `master` along one promotion
//! path ([`stages`]): build and test once, then plan and apply each
//! deployed environment in `env.rs` order, from the same tested artifact,
//! with an approval where the environment requires one. Apply applies only
//! the plan whose digest Plan exported (and the approver saw). The deploy
//! roles of each environment ([`permissions`]), their permissions
//! boundaries ([`boundary`]) and the notifications ([`notifications`])
//! live here too, out of reach of the environments' own apply roles.

pub mod boundary;
pub mod notifications;
pub mod permissions;
pub mod projects;
pub mod roles;
pub mod stages;
pub mod tagged;

use std::collections::BTreeMap;

use serde_json::json;

use crate::aws::cloudwatch::CloudwatchLogGroup;
use crate::aws::devtools::*;
use crate::aws::iam::IamPolicy;
use crate::aws::kms::{KmsAlias, KmsKey};
use crate::aws::meta::CallerIdentity;
use crate::aws::s3::S3Bucket;
use crate::core::{Configuration, Handle, Output, Ref, SynthError, TfFile};
use crate::env::{DELIVERY, Environment, PROJECT, REGION};
use crate::policy::{PolicyDocument, Principal, Statement};

use super::blocks::{BucketSettings, secure_bucket};
use super::encryption::key_statements;
use super::providers::AWS_PROVIDER_VERSION;
use super::state::remote_state;
use permissions::Scope;
use projects::{Buildspec, ProjectSpec, project};
use roles::{Workspace, role};
use stages::{Artifact, Projects, Stage, promotion_path};

/// The pipeline's name; also the start of every delivery-wide name.
pub const PIPELINE: &str = "auction-delivery";

/// `auction-delivery-<suffix>`.
pub fn delivery_name(suffix: &str) -> String {
    format!("{PIPELINE}-{suffix}")
}

/// Saved plans hold state (secrets included): artifacts expire, current
/// versions too.
const ARTIFACT_DAYS: u32 = 30;
const LOG_RETENTION_DAYS: u32 = 365;

pub fn configuration() -> Result<Configuration, SynthError> {
    let deployed = Environment::deployed();
    for env in &deployed {
        env.validate()?;
    }
    if let Some(slack) = &DELIVERY.slack {
        slack
            .validate()
            .map_err(|msg| SynthError::Config(format!("delivery: {msg}")))?;
    }
    let mut config = Configuration::new();
    let mut add = |stem: &str, file: TfFile| config.add(stem, file);
    let settings = terraform_settings(&deployed)?;
    add("versions", file_with(|f| f.block("terraform", settings)))?;
    let mut providers = TfFile::new();
    let account_id = provider(&mut providers);
    add("providers", providers)?;
    let mut file = TfFile::new();
    let key = encryption(&mut file, &account_id);
    add("encryption", file)?;
    let mut file = TfFile::new();
    let (bucket, logs) = storage(&mut file, &account_id, &key);
    add("artifacts", file)?;
    add("boundaries", file_with(|f| boundaries(f, &account_id, &deployed)))?;
    let workspace = Workspace {
        bucket: &bucket,
        key: &key,
        logs: &logs,
    };
    let mut file = TfFile::new();
    let projects = build_projects(&mut file, &account_id, &deployed, &workspace);
    add("deploy_roles", file)?;
    let mut file = TfFile::new();
    let pipeline = pipeline(&mut file, &account_id, &deployed, &workspace, &projects);
    add("pipeline", file)?;
    let mut file = TfFile::new();
    notifications::build(&mut file, &account_id, &key, &pipeline, DELIVERY.slack.as_ref());
    add("notifications", file)?;
    Ok(config)
}

fn file_with(build: impl FnOnce(&mut TfFile)) -> TfFile {
    let mut file = TfFile::new();
    build(&mut file);
    file
}

/// Provider pin and remote state (`auction/delivery/` in the state bucket
/// of the account the pipeline runs in: the first environment it deploys to).
fn terraform_settings(deployed: &[Environment]) -> Result<serde_json::Value, SynthError> {
    Ok(json!({
        "required_version": ">= 1.10.0",
        "required_providers": { "aws": { "source": "hashicorp/aws", "version": AWS_PROVIDER_VERSION } },
        "backend": remote_state("delivery", delivery_account(deployed)?),
    }))
}

/// The AWS provider, tagging everything `Environment = delivery`; returns
/// the account id.
fn provider(file: &mut TfFile) -> Ref {
    file.block(
        "provider",
        json!({ "aws": { "region": REGION, "default_tags": { "tags": {
            "Project": PROJECT, "Environment": "delivery", "ManagedBy": "tfgen",
        }}}}),
    );
    file.data("current", CallerIdentity {}).account_id()
}

/// The artifact bucket and the build logs.
fn storage(
    file: &mut TfFile,
    account_id: &Ref,
    key: &Handle<KmsKey>,
) -> (Handle<S3Bucket>, Handle<CloudwatchLogGroup>) {
    let bucket = secure_bucket(
        file,
        "artifacts",
        BucketSettings {
            name: format!("{}-{account_id}", delivery_name("artifacts")),
            key_arn: key.arn(),
            noncurrent_days: 7,
            current_days: Some(ARTIFACT_DAYS),
            protect: false,
        },
    );
    let logs = file.resource(
        "delivery",
        CloudwatchLogGroup {
            name: format!("/aws/codebuild/{PIPELINE}"),
            retention_in_days: LOG_RETENTION_DAYS,
            kms_key_id: Some(key.arn().into()),
        },
    );
    (bucket, logs)
}

/// One permissions boundary per deployed environment.
fn boundaries(file: &mut TfFile, account_id: &Ref, deployed: &[Environment]) {
    for env in deployed {
        let scope = Scope { env, account_id };
        file.resource(
            &format!("{}_boundary", env.name),
            IamPolicy {
                name: boundary::name(env),
                description: format!("Permissions boundary of every role of {}", env.resource_name("*")),
                policy: boundary::policy(&scope).to_json(),
            },
        );
    }
}

/// The delivery key: artifacts, build logs, the notification topic.
/// The account of the first deployed environment (see `Environment::account_id`).
/// The account the pipeline and every deploy role live in. The deploy roles
/// act in their own account only: environments in other accounts would need
/// cross-account roles, which are not generated, so they are refused here
/// rather than failing in the pipeline's first Plan.
fn delivery_account(deployed: &[Environment]) -> Result<&'static str, SynthError> {
    let account = deployed
        .first()
        .and_then(|env| env.account_id)
        .ok_or_else(|| SynthError::Config("delivery: no deployed environment with an account id".into()))?;
    match deployed.iter().find(|env| env.account_id != Some(account)) {
        Some(other) => Err(SynthError::Config(format!(
            "delivery: {} is in account {:?} but the pipeline deploys from {account} ({}): cross-account deploy \
             roles are not generated yet, so every deployed environment must name the same account_id",
            other.name, other.account_id, deployed[0].name
        ))),
        None => Ok(account),
    }
}

fn encryption(file: &mut TfFile, account_id: &Ref) -> Handle<KmsKey> {
    let key = file.resource(
        "delivery",
        KmsKey {
            description: format!("Encrypts the artifacts, logs and notifications of {PIPELINE}"),
            enable_key_rotation: true,
            deletion_window_in_days: 30,
            policy: Some(
                PolicyDocument::new(
                    key_statements(account_id, "CloudWatchLogsEncryptsBuildLogs")
                        .into_iter()
                        .chain([Statement::allow(
                            "NotificationsPublishEncrypted",
                            ["kms:Decrypt", "kms:GenerateDataKey"],
                        )
                        .principal(Principal::Service(vec!["codestar-notifications.amazonaws.com".into()]))
                        .on(["*"])]),
                )
                .to_json(),
            ),
        },
    );
    file.resource(
        "delivery",
        KmsAlias {
            name: format!("alias/{PIPELINE}"),
            target_key_id: key.key_id().into(),
        },
    );
    key
}

/// The build project, and a plan and an apply project per environment,
/// each with its role.
fn build_projects(file: &mut TfFile, account_id: &Ref, deployed: &[Environment], ws: &Workspace) -> Projects {
    let codebuild = "codebuild.amazonaws.com";
    let build_role = role(
        file,
        "delivery_build",
        delivery_name("build"),
        codebuild,
        account_id,
        ws.codebuild(&[Artifact::Source], &[Artifact::Built]),
    );
    let build = project(
        file,
        ProjectSpec {
            logical: "delivery_build",
            name: delivery_name("build"),
            buildspec: Buildspec::Build,
            role: &build_role,
            env: None,
        },
        ws.logs,
        ws.key,
    );
    let mut plan = BTreeMap::new();
    let mut apply = BTreeMap::new();
    for env in deployed {
        let scope = Scope { env, account_id };
        let plan_artifact = Artifact::Plan(env.name);
        for (buildspec, statements, map) in [
            (
                Buildspec::Plan,
                [
                    ws.codebuild(&[Artifact::Source, Artifact::Built], &[plan_artifact]),
                    permissions::plan(&scope),
                ]
                .concat(),
                &mut plan,
            ),
            (
                Buildspec::Apply,
                [
                    ws.codebuild(&[Artifact::Source, plan_artifact], &[]),
                    permissions::apply(&scope),
                ]
                .concat(),
                &mut apply,
            ),
        ] {
            let kind = match buildspec {
                Buildspec::Plan => "plan",
                _ => "apply",
            };
            let logical = format!("{}_deploy_{kind}", env.name);
            let name = env.resource_name(&format!("deploy-{kind}"));
            let deploy_role = role(file, &logical, name.clone(), codebuild, account_id, statements);
            let spec = ProjectSpec {
                logical: &logical,
                name,
                buildspec,
                role: &deploy_role,
                env: Some(env.name),
            };
            map.insert(env.name, project(file, spec, ws.logs, ws.key));
        }
    }
    Projects { build, plan, apply }
}

fn pipeline(
    file: &mut TfFile,
    account_id: &Ref,
    deployed: &[Environment],
    ws: &Workspace,
    projects: &Projects,
) -> Handle<Codepipeline> {
    let connection = file.resource(
        "github",
        CodeconnectionsConnection {
            name: delivery_name("github"),
            provider_type: "GitHub".into(),
        },
    );
    let all_projects = [&projects.build]
        .into_iter()
        .chain(projects.plan.values())
        .chain(projects.apply.values())
        .map(|p| p.arn());
    let mut statements = vec![
        Statement::allow(
            "UseGitHubConnection",
            ["codeconnections:UseConnection", "codestar-connections:UseConnection"],
        )
        .on([connection.arn()]),
        Statement::allow("RunBuilds", ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]).on(all_projects),
    ];
    statements.extend(ws.pipeline());
    let pipeline_role = role(
        file,
        "delivery_pipeline",
        delivery_name("pipeline"),
        "codepipeline.amazonaws.com",
        account_id,
        statements,
    );
    let source = PipelineAction {
        output_artifacts: Some(vec![Artifact::Source.name()]),
        ..stages::action(
            &Stage::Source.name(),
            "Source",
            "CodeStarSourceConnection",
            BTreeMap::from([
                ("ConnectionArn".into(), connection.arn().into()),
                ("FullRepositoryId".into(), DELIVERY.repository.into()),
                ("BranchName".into(), DELIVERY.branch.into()),
                ("OutputArtifactFormat".into(), "CODE_ZIP".into()),
            ]),
        )
    };
    let pipeline = file.resource(
        "delivery",
        Codepipeline {
            name: PIPELINE.into(),
            pipeline_type: "V2".into(),
            // One run at a time, in order: two applies never race, and a
            // newer commit waits behind an open approval.
            execution_mode: "QUEUED".into(),
            role_arn: pipeline_role.arn().into(),
            artifact_store: vec![ArtifactStore {
                location: ws.bucket.bucket().into(),
                type_: "S3".into(),
                encryption_key: ArtifactEncryptionKey {
                    id: ws.key.arn().into(),
                    type_: "KMS".into(),
                },
            }],
            stage: stages::render(&promotion_path(deployed), projects, source),
            // The only trigger: one push, one run along the whole path.
            trigger: vec![PipelineTrigger {
                provider_type: "CodeStarSourceConnection".into(),
                git_configuration: GitConfiguration {
                    source_action_name: Stage::Source.name(),
                    push: vec![GitPushFilter {
                        branches: BranchFilter {
                            includes: vec![DELIVERY.branch.into()],
                        },
                    }],
                },
            }],
        },
    );
    file.output(
        "delivery_pipeline",
        Output::new(pipeline.name(), "CodePipeline that deploys every environment"),
    );
    file.output(
        "github_connection_arn",
        Output::new(
            connection.arn(),
            "Approve this connection once in the console (Developer Tools → Connections)",
        ),
    );
    pipeline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::EnvName;

    #[test]
    fn environments_in_another_account_than_the_pipeline_are_refused() {
        let dev = Environment::named(EnvName::Dev);
        let mut prod = Environment::named(EnvName::Prod);
        assert_eq!(
            delivery_account(&[dev.clone(), prod.clone()]).unwrap(),
            dev.account_id.unwrap()
        );
        prod.account_id = Some("222222222222");
        let err = delivery_account(&[dev, prod]).unwrap_err().to_string();
        assert!(
            err.contains("prod is in account") && err.contains("cross-account"),
            "{err}"
        );
    }
}
