"""The CloudWatch Embedded Metric Format specification, as a checker for test output.

`EMF_SCHEMA` transcribes the JSON schema of the specification's structure (root node,
metadata, metric directives, metric definitions, units); `assert_valid_emf` adds the
rules the schema cannot state: every dimension and metric a directive names is a member
of the root node, dimension values are strings, and metric values are numbers (or
arrays of at most 100 numbers).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema

UNITS = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
    "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
    "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
    "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
    "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]  # fmt: skip

EMF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Root Node",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "title": "Metadata",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "LogGroupName": {"type": "string", "minLength": 1},
                "CloudWatchMetrics": {
                    "type": "array",
                    "title": "MetricDirectives",
                    "items": {
                        "type": "object",
                        "title": "MetricDirective",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024},
                            "Dimensions": {
                                "type": "array",
                                "items": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 30,
                                    "items": {"type": "string", "minLength": 1, "maxLength": 250},
                                },
                            },
                            "Metrics": {
                                "type": "array",
                                "maxItems": 100,
                                "items": {
                                    "type": "object",
                                    "required": ["Name"],
                                    "properties": {
                                        "Name": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 1024,
                                        },
                                        "Unit": {"type": "string", "enum": UNITS},
                                        "StorageResolution": {"type": "integer", "enum": [1, 60]},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        }
    },
}


def assert_valid_emf(line: str) -> dict[str, Any]:
    document = json.loads(line)
    jsonschema.validate(document, EMF_SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for name in dimension_set:
                value = document.get(name)
                assert isinstance(value, str), f"dimension {name} must be a root string member"
                assert 0 < len(value) <= 1024
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            values = value if isinstance(value, list) else [value]
            assert 0 < len(values) <= 100, metric["Name"]
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return document


def emf_lines(text: str) -> list[dict[str, Any]]:
    """Every EMF document among the lines of captured stdout, validated."""
    return [assert_valid_emf(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def metric_names(documents: list[dict[str, Any]]) -> set[str]:
    return {
        metric["Name"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
