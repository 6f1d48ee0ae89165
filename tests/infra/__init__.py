"""Tests of the CDK app, its synthesized templates and the Lambda bundle."""
