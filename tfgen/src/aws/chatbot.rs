//! AWS Chatbot (Amazon Q Developer in chat applications).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ChatbotSlackChannelConfiguration {
    pub configuration_name: String,
    pub iam_role_arn: String,
    pub slack_team_id: String,
    pub slack_channel_id: String,
    pub sns_topic_arns: Vec<String>,
    pub guardrail_policy_arns: Vec<String>,
    pub logging_level: String,
    pub user_authorization_required: bool,
}
resource!(ChatbotSlackChannelConfiguration = "aws_chatbot_slack_channel_configuration" { chat_configuration_arn });
