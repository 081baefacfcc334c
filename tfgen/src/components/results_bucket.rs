//! The results bucket: lambda_b archives accepted orders here.

use crate::aws::s3::S3Bucket;
use crate::core::{Handle, Output, TfFile};

use super::Context;
use super::blocks::{BucketSettings, secure_bucket};

pub fn build(ctx: &Context, file: &mut TfFile) -> Handle<S3Bucket> {
    let bucket = secure_bucket(
        file,
        "results",
        BucketSettings {
            name: ctx.global_name("results"),
            key_arn: ctx.key.arn(),
            noncurrent_days: 30,
            current_days: None,
            protect: ctx.env.protect_data,
        },
    );
    file.output(
        "results_bucket_name",
        Output::new(bucket.bucket(), "S3 bucket with archived accepted orders"),
    );
    bucket
}
