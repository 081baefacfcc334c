//! The promotion path as values: which stages run in which order, which
//! artifact each one reads and writes, and how they render as CodePipeline
//! stages.
//!
//! `Source → Build → Plan-dev → Apply-dev → Plan-prod → Approve-prod →
//! Apply-prod`: one push starts one run; the zips are built and tested
//! once; each environment is planned from the same `built` artifact only
//! after the one before it was applied; an environment that requires
//! approval waits for a person between its plan and its apply.

use std::collections::BTreeMap;

use crate::aws::devtools::{CodebuildProject, PipelineAction, PipelineStage};
use crate::core::Handle;
use crate::env::{EnvName, Environment};

use super::PIPELINE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Source,
    Build,
    Plan(EnvName),
    Approve(EnvName),
    Apply(EnvName),
}

impl Stage {
    /// The stage's name in CodePipeline (`Plan-prod`).
    pub fn name(self) -> String {
        match self {
            Stage::Source => "Source".into(),
            Stage::Build => "Build".into(),
            Stage::Plan(env) => format!("Plan-{env}"),
            Stage::Approve(env) => format!("Approve-{env}"),
            Stage::Apply(env) => format!("Apply-{env}"),
        }
    }

    /// Namespace of the stage's output variables (`#{plan_prod.PLAN_SHA256}`).
    pub fn namespace(self) -> String {
        self.name().to_lowercase().replace('-', "_")
    }
}

/// The stages in order, derived from the deployed environments in order.
pub fn promotion_path(deployed: &[Environment]) -> Vec<Stage> {
    let mut path = vec![Stage::Source, Stage::Build];
    for env in deployed {
        path.push(Stage::Plan(env.name));
        if env.delivery.as_ref().is_some_and(|d| d.requires_approval) {
            path.push(Stage::Approve(env.name));
        }
        path.push(Stage::Apply(env.name));
    }
    path
}

/// What flows between stages, stored in the artifact bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// The commit, as CodePipeline fetched it through the connection.
    Source,
    /// The tested arm64 zips (nothing else: scripts and configurations are
    /// always taken from `Source`).
    Built,
    /// One environment's saved plan and the zips it uploads.
    Plan(EnvName),
}

impl Artifact {
    pub fn name(self) -> String {
        match self {
            Artifact::Source => "source".into(),
            Artifact::Built => "built".into(),
            Artifact::Plan(env) => format!("plan_{env}"),
        }
    }

    /// Objects of this artifact in the bucket: CodePipeline keys them
    /// `<first 20 characters of the pipeline>/<first 10 of the artifact>/…`.
    pub fn objects(self) -> String {
        let pipeline: String = PIPELINE.chars().take(20).collect();
        let artifact: String = self.name().chars().take(10).collect();
        format!("{pipeline}/{artifact}*")
    }
}

/// The output variable that carries a plan's digest from Plan to Approve
/// and Apply. It lives in the pipeline's execution, not in the bucket, so
/// whoever can write artifacts cannot change it.
pub const PLAN_DIGEST: &str = "PLAN_SHA256";

/// The CodeBuild projects the stages run.
pub struct Projects {
    pub build: Handle<CodebuildProject>,
    pub plan: BTreeMap<EnvName, Handle<CodebuildProject>>,
    pub apply: BTreeMap<EnvName, Handle<CodebuildProject>>,
}

/// Renders the path as CodePipeline stages, one action each.
pub fn render(path: &[Stage], projects: &Projects, source: PipelineAction) -> Vec<PipelineStage> {
    path.iter()
        .map(|stage| PipelineStage {
            name: stage.name(),
            action: vec![match *stage {
                Stage::Source => source.clone(),
                Stage::Build => codebuild(*stage, &projects.build, &[Artifact::Source], Some(Artifact::Built)),
                Stage::Plan(env) => PipelineAction {
                    namespace: Some(stage.namespace()),
                    ..codebuild(
                        *stage,
                        &projects.plan[&env],
                        &[Artifact::Source, Artifact::Built],
                        Some(Artifact::Plan(env)),
                    )
                },
                Stage::Approve(env) => approval(*stage, env),
                Stage::Apply(env) => {
                    let mut apply = codebuild(
                        *stage,
                        &projects.apply[&env],
                        &[Artifact::Source, Artifact::Plan(env)],
                        None,
                    );
                    apply.configuration.insert(
                        "EnvironmentVariables".into(),
                        serde_json::json!([{
                            "name": "EXPECTED_PLAN_SHA256",
                            "type": "PLAINTEXT",
                            "value": digest_of(env),
                        }])
                        .to_string(),
                    );
                    apply
                }
            }],
        })
        .collect()
}

/// `#{plan_<env>.PLAN_SHA256}`: the digest the Plan stage of `env` exported.
pub fn digest_of(env: EnvName) -> String {
    format!("#{{{}.{PLAN_DIGEST}}}", Stage::Plan(env).namespace())
}

pub fn action(name: &str, category: &str, provider: &str, configuration: BTreeMap<String, String>) -> PipelineAction {
    PipelineAction {
        name: name.into(),
        category: category.into(),
        owner: "AWS".into(),
        provider: provider.into(),
        version: "1".into(),
        run_order: None,
        namespace: None,
        input_artifacts: None,
        output_artifacts: None,
        configuration,
    }
}

/// A CodeBuild action. With more than one input, the first is the primary
/// source: the buildspec and every script are read from it.
fn codebuild(
    stage: Stage,
    project: &Handle<CodebuildProject>,
    inputs: &[Artifact],
    output: Option<Artifact>,
) -> PipelineAction {
    let mut configuration = BTreeMap::from([("ProjectName".into(), project.name().into())]);
    if let [primary, _, ..] = inputs {
        configuration.insert("PrimarySource".into(), primary.name());
    }
    PipelineAction {
        input_artifacts: Some(inputs.iter().map(|a| a.name()).collect()),
        output_artifacts: output.map(|o| vec![o.name()]),
        ..action(&stage.name(), "Build", "CodeBuild", configuration)
    }
}

/// A person approves exactly one saved plan: its digest is in the request,
/// and Apply refuses any other. The request reaches Slack through the
/// notification rule (`codepipeline-pipeline-manual-approval-needed`).
fn approval(stage: Stage, env: EnvName) -> PipelineAction {
    action(
        &stage.name(),
        "Approval",
        "Manual",
        BTreeMap::from([(
            "CustomData".into(),
            format!(
                "Apply the saved plan to {env}? Plan sha256 (plan and zips): {}. \
                 Read the plan in the log of stage {} (and {env}.plan.txt in its artifact); \
                 Apply refuses a plan with any other digest.",
                digest_of(env),
                Stage::Plan(env).name(),
            ),
        )]),
    )
}

/// The promotion path of the environments in `env.rs`, as a Mermaid
/// flowchart (`make graph`, README).
pub fn promotion_picture() -> String {
    mermaid(&promotion_path(&Environment::deployed()))
}

fn mermaid(path: &[Stage]) -> String {
    let mut out = String::from("flowchart LR\n");
    let ids: Vec<String> = path.iter().map(|s| s.namespace()).collect();
    for (stage, id) in path.iter().zip(&ids) {
        let label = match stage {
            Stage::Source => format!("Source<br/>push to {}", crate::env::DELIVERY.branch),
            Stage::Build => "Build<br/>tests, arm64 zips (once)".into(),
            Stage::Plan(env) => format!("Plan {env}<br/>saved plan + sha256"),
            Stage::Approve(env) => format!("Approve {env}<br/>shows the sha256"),
            Stage::Apply(env) => format!("Apply {env}<br/>only that sha256"),
        };
        out.push_str(&format!("    {id}[\"{label}\"]\n"));
    }
    for pair in ids.windows(2) {
        out.push_str(&format!("    {} --> {}\n", pair[0], pair[1]));
    }
    out
}
