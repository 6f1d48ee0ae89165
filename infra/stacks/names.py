"""Names of the resources that need one, unique to each creation of the stack.

prod retains its secrets and log groups when the stack is deleted, and a deleted secret
keeps its name for its recovery window (7 to 30 days) even in dev: a fixed name would
make the next create fail with "already exists". Every such name therefore carries the
first block of the stack's own id (`arn:...:stack/<name>/<uuid>`), which CloudFormation
draws anew each time the stack is created and keeps across updates:
`serverless-auth/prod-8c3e0a10/jwt`. Find them with the stack outputs, or
`aws secretsmanager list-secrets --filters Key=name,Values=serverless-auth/prod-`.
"""

from __future__ import annotations

from aws_cdk import Aws, Fn

PROJECT = "serverless-auth"


class Names:
    def __init__(self, stage: str) -> None:
        self.stage = stage
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
        # `<stage>-<8 hex digits>`, e.g. prod-8c3e0a10.
        self.instance = f"{stage}-{Fn.select(0, Fn.split('-', stack_uuid))}"

    def secret(self, purpose: str) -> str:
        return f"{PROJECT}/{self.instance}/{purpose}"

    @property
    def log_group_prefix(self) -> str:
        """Every log group of the stack but two lives under this prefix."""
        return f"/{PROJECT}/{self.instance}/"

    def log_group(self, purpose: str) -> str:
        return f"{self.log_group_prefix}{purpose}"

    @property
    def waf_log_group(self) -> str:
        """WAF delivers only to log groups named `aws-waf-logs-...`."""
        return f"aws-waf-logs-{PROJECT}-{self.instance}"

    @staticmethod
    def execution_log_group(rest_api_id: str, stage_name: str) -> str:
        """The name API Gateway writes a REST API stage's execution logs to."""
        return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage_name}"
