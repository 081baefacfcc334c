use serde::Serialize;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
pub struct IamRole {
    pub name: String,
    pub description: Option<String>,
    pub assume_role_policy: String,
    pub max_session_duration: Option<u32>,
    /// The managed policy that caps what the role may ever do, whatever its
    /// own policies say.
    pub permissions_boundary: Option<String>,
}
resource!(IamRole = "aws_iam_role" { arn, name, id });

/// An inline policy of a role: it lives and dies with the role.
#[derive(Debug, Clone, Serialize)]
pub struct IamRolePolicy {
    pub name: String,
    pub role: String,
    pub policy: String,
}
resource!(IamRolePolicy = "aws_iam_role_policy" { id });

/// A customer-managed policy (Chatbot guardrails must be managed policies).
#[derive(Debug, Clone, Serialize)]
pub struct IamPolicy {
    pub name: String,
    pub description: String,
    pub policy: String,
}
resource!(IamPolicy = "aws_iam_policy" { arn, name });
