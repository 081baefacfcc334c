//! SNS topics and SQS queues.

use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct SnsTopic {
    pub name: String,
    pub display_name: Option<String>,
    pub kms_master_key_id: String,
}
resource!(SnsTopic = "aws_sns_topic" { arn, name });

#[derive(Debug, Clone, Serialize)]
pub struct SnsTopicPolicy {
    pub arn: String,
    pub policy: String,
}
resource!(SnsTopicPolicy = "aws_sns_topic_policy" { id });

#[derive(Debug, Clone, Serialize)]
pub struct SnsTopicSubscription {
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: String,
    pub raw_message_delivery: bool,
}
resource!(SnsTopicSubscription = "aws_sns_topic_subscription" { arn });

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct SqsQueue {
    pub name: String,
    pub kms_master_key_id: String,
    pub message_retention_seconds: u32,
    pub visibility_timeout_seconds: Option<u32>,
}
resource!(SqsQueue = "aws_sqs_queue" { arn, name, url });

#[derive(Debug, Clone, Serialize)]
pub struct SqsQueuePolicy {
    pub queue_url: String,
    pub policy: String,
}
resource!(SqsQueuePolicy = "aws_sqs_queue_policy" { id });
