//! Alerts: one KMS-encrypted SNS topic receives every pipeline alert and
//! alarm; Chatbot forwards it to Slack with a narrow read-only guardrail.
//! Where there is no Slack (the local cloud), an SQS queue subscribes
//! instead, so alerts can be read and tested.

use crate::aws::chatbot::ChatbotSlackChannelConfiguration;
use crate::aws::iam::IamPolicy;
use crate::aws::messaging::*;
use crate::core::{Handle, Output, TfFile};
use crate::env::REGION;
use crate::policy::{PolicyDocument, Principal, Statement};

use super::Context;
use super::blocks::service_role;

pub fn build(ctx: &Context, file: &mut TfFile) -> Handle<SnsTopic> {
    let topic = file.resource(
        "alerts",
        SnsTopic {
            name: ctx.name("alerts"),
            display_name: Some("Auction platform alerts".into()),
            kms_master_key_id: ctx.key.arn().into(),
        },
    );
    // Alarms publish here; delivery notifications have their own topic in
    // `terraform/delivery/`.
    let publishers = vec!["cloudwatch.amazonaws.com".to_string()];
    file.resource(
        "alerts",
        SnsTopicPolicy {
            arn: topic.arn().into(),
            policy: PolicyDocument::new([
                Statement::allow("AlarmsAndNotificationsPublish", ["sns:Publish"])
                    .principal(Principal::Service(publishers))
                    .on([topic.arn()])
                    .when("StringEquals", "aws:SourceAccount", [ctx.account_id.to_string()]),
                Statement::allow(
                    "AccountManagesTopic",
                    [
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:Subscribe",
                        "sns:Publish",
                        "sns:ListSubscriptionsByTopic",
                    ],
                )
                .principal(Principal::Aws(vec![format!("arn:aws:iam::{}:root", ctx.account_id)]))
                .on([topic.arn()]),
            ])
            .to_json(),
        },
    );
    if ctx.env.alert_queue {
        subscribe_inbox(ctx, file, &topic);
    }
    if let Some(slack) = &ctx.env.slack {
        let read_only = chatbot_read_only(ctx);
        let guardrail = file.resource(
            "chatbot_guardrail",
            IamPolicy {
                name: ctx.name("chatbot-guardrail"),
                description: "The most anyone may do from the alerts Slack channel: read alarms and pipeline runs"
                    .into(),
                policy: PolicyDocument::new(read_only.clone()).to_json(),
            },
        );
        let role = service_role(ctx, file, "chatbot", "chatbot", "chatbot.amazonaws.com", read_only);
        file.resource(
            "alerts",
            ChatbotSlackChannelConfiguration {
                configuration_name: ctx.name("alerts"),
                iam_role_arn: role.arn().into(),
                slack_team_id: slack.team_id.into(),
                slack_channel_id: slack.channel_id.into(),
                sns_topic_arns: vec![topic.arn().into()],
                guardrail_policy_arns: vec![guardrail.arn().into()],
                logging_level: "ERROR".into(),
                user_authorization_required: true,
            },
        );
    }
    file.output(
        "alert_topic_arn",
        Output::new(topic.arn(), "SNS topic of every alert and alarm"),
    );
    topic
}

/// Reading alarms and the pipeline's runs; nothing else, nothing written.
fn chatbot_read_only(ctx: &Context) -> Vec<Statement> {
    vec![
        // This environment's alarms (their names carry it).
        Statement::allow("ReadAlarms", ["cloudwatch:DescribeAlarms"]).on([format!(
            "arn:aws:cloudwatch:{REGION}:{}:alarm:{}",
            ctx.account_id,
            ctx.name("*")
        )]),
        // Metric reads take no resource ARN ("*" only); they expose no stored data.
        Statement::allow(
            "ReadMetrics",
            ["cloudwatch:GetMetricData", "cloudwatch:GetMetricWidgetImage"],
        )
        .on(["*"]),
        Statement::allow(
            "ReadPipelineRuns",
            ["states:DescribeExecution", "states:GetExecutionHistory"],
        )
        .on([format!(
            "arn:aws:states:{REGION}:{}:execution:{}:*",
            ctx.account_id,
            ctx.name("pipeline")
        )]),
    ]
}

/// An encrypted queue that receives every alert as its raw message.
fn subscribe_inbox(ctx: &Context, file: &mut TfFile, topic: &Handle<SnsTopic>) {
    let inbox = file.resource(
        "alerts_inbox",
        SqsQueue {
            name: ctx.name("alerts-inbox"),
            kms_master_key_id: ctx.key.arn().into(),
            message_retention_seconds: 86_400,
            visibility_timeout_seconds: None,
        },
    );
    file.resource(
        "alerts_inbox",
        SqsQueuePolicy {
            queue_url: inbox.url().into(),
            policy: PolicyDocument::new([Statement::allow("AlertTopicDelivers", ["sqs:SendMessage"])
                .principal(Principal::Service(vec!["sns.amazonaws.com".into()]))
                .on([inbox.arn()])
                .when("ArnEquals", "aws:SourceArn", [topic.arn()])])
            .to_json(),
        },
    );
    file.resource(
        "alerts_inbox",
        SnsTopicSubscription {
            topic_arn: topic.arn().into(),
            protocol: "sqs".into(),
            endpoint: inbox.arn().into(),
            raw_message_delivery: true,
        },
    );
    file.output(
        "alert_queue_url",
        Output::new(inbox.url(), "SQS queue receiving every alert (local only)"),
    );
}
