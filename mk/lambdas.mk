# Lambda functions: build, package, sizes. (Owned by the lambdas work.)
