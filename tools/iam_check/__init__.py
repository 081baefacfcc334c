"""Static checks of every IAM policy tfgen generates (`make iam-check`)."""
