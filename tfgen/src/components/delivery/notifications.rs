//! What people hear from the pipeline: a CodeStar Notifications rule sends
//! approval requests and failed runs, as events Chatbot knows how to show,
//! to the delivery topic; Chatbot forwards the topic to Slack once the
//! workspace is authorized (`DELIVERY.slack`). CodePipeline's own approval
//! message (the approval action's `NotificationArn`) is not used: Chatbot
//! drops messages that are neither a supported event nor its custom schema.

use crate::aws::chatbot::ChatbotSlackChannelConfiguration;
use crate::aws::devtools::{Codepipeline, CodestarnotificationsNotificationRule, NotificationTarget};
use crate::aws::iam::IamPolicy;
use crate::aws::kms::KmsKey;
use crate::aws::messaging::{SnsTopic, SnsTopicPolicy};
use crate::core::{Handle, Output, Ref, TfFile};
use crate::env::{REGION, SlackChannel};
use crate::policy::{PolicyDocument, Principal, Statement};

use super::roles::role;
use super::{PIPELINE, delivery_name};

/// The events people must hear about: a plan waits for approval, a run failed.
pub const EVENTS: [&str; 2] = [
    "codepipeline-pipeline-manual-approval-needed",
    "codepipeline-pipeline-pipeline-execution-failed",
];

pub fn build(
    file: &mut TfFile,
    account_id: &Ref,
    key: &Handle<KmsKey>,
    pipeline: &Handle<Codepipeline>,
    slack: Option<&SlackChannel>,
) -> Handle<SnsTopic> {
    let topic = file.resource(
        "notifications",
        SnsTopic {
            name: delivery_name("notifications"),
            display_name: Some("Auction delivery pipeline".into()),
            kms_master_key_id: key.arn().into(),
        },
    );
    file.resource(
        "notifications",
        SnsTopicPolicy {
            arn: topic.arn().into(),
            policy: PolicyDocument::new([
                Statement::allow("NotificationsPublish", ["sns:Publish"])
                    .principal(Principal::Service(vec!["codestar-notifications.amazonaws.com".into()]))
                    .on([topic.arn()])
                    .when("StringEquals", "aws:SourceAccount", [account_id.to_string()]),
                Statement::allow(
                    "AccountManagesTopic",
                    [
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                    ],
                )
                .principal(Principal::Aws(vec![format!("arn:aws:iam::{account_id}:root")]))
                .on([topic.arn()]),
            ])
            .to_json(),
        },
    );
    file.resource(
        "delivery",
        CodestarnotificationsNotificationRule {
            name: delivery_name("approvals-and-failures"),
            detail_type: "FULL".into(),
            event_type_ids: EVENTS.iter().map(|e| e.to_string()).collect(),
            resource: pipeline.arn().into(),
            target: vec![NotificationTarget {
                address: topic.arn().into(),
                type_: "SNS".into(),
            }],
        },
    );
    if let Some(slack) = slack {
        to_slack(file, account_id, &topic, slack);
    }
    file.output(
        "notification_topic_arn",
        Output::new(topic.arn(), "SNS topic of approval requests and failed runs"),
    );
    topic
}

/// A Chatbot channel for the topic; from Slack, people may only read the
/// pipeline's state.
fn to_slack(file: &mut TfFile, account_id: &Ref, topic: &Handle<SnsTopic>, slack: &SlackChannel) {
    let read_only = vec![
        Statement::allow(
            "ReadPipeline",
            [
                "codepipeline:GetPipeline",
                "codepipeline:GetPipelineState",
                "codepipeline:GetPipelineExecution",
                "codepipeline:ListPipelineExecutions",
            ],
        )
        .on([format!("arn:aws:codepipeline:{REGION}:{account_id}:{PIPELINE}")]),
    ];
    let guardrail = file.resource(
        "chatbot_guardrail",
        IamPolicy {
            name: delivery_name("chatbot-guardrail"),
            description: "The most anyone may do from the delivery Slack channel: read the pipeline".into(),
            policy: PolicyDocument::new(read_only.clone()).to_json(),
        },
    );
    let chatbot = role(
        file,
        "chatbot",
        delivery_name("chatbot"),
        "chatbot.amazonaws.com",
        account_id,
        read_only,
    );
    file.resource(
        "delivery",
        ChatbotSlackChannelConfiguration {
            configuration_name: PIPELINE.into(),
            iam_role_arn: chatbot.arn().into(),
            slack_team_id: slack.team_id.into(),
            slack_channel_id: slack.channel_id.into(),
            sns_topic_arns: vec![topic.arn().into()],
            guardrail_policy_arns: vec![guardrail.arn().into()],
            logging_level: "ERROR".into(),
            user_authorization_required: true,
        },
    );
}
