"""Infrastructure as code: the AWS CDK app (`infra.app`), its stacks and the Lambda bundle."""
