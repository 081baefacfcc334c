//! The orders audit table: every record for exactly 24 hours (DynamoDB TTL
//! on the attribute post_lambda writes), point-in-time recovery, encrypted
//! with the platform key.

use crate::aws::Enabled;
use crate::aws::dynamodb::*;
use crate::core::{Handle, Meta, Output, TfFile};

use super::Context;

// The key post_lambda requires and the TTL attribute it writes.
use orders_domain::{PARTITION_KEY as KEY_ATTRIBUTE, TTL_ATTRIBUTE};

pub fn build(ctx: &Context, file: &mut TfFile) -> Handle<DynamodbTable> {
    let table = file.resource_with(
        "orders",
        DynamodbTable {
            name: ctx.name("orders"),
            billing_mode: "PAY_PER_REQUEST".into(),
            hash_key: KEY_ATTRIBUTE.into(),
            attribute: vec![Attribute {
                name: KEY_ATTRIBUTE.into(),
                type_: "S".into(),
            }],
            ttl: Some(Ttl {
                attribute_name: TTL_ATTRIBUTE.into(),
                enabled: true,
            }),
            point_in_time_recovery: Some(Enabled { enabled: true }),
            server_side_encryption: Some(ServerSideEncryption {
                enabled: true,
                kms_key_arn: Some(ctx.key.arn().into()),
            }),
            deletion_protection_enabled: Some(ctx.env.protect_data),
        },
        Meta {
            prevent_destroy: ctx.env.protect_data,
            ..Meta::default()
        },
    );
    file.output(
        "orders_table_name",
        Output::new(table.name(), "DynamoDB table holding posted orders for 24 hours"),
    );
    table
}
