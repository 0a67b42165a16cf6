"""The classification schemes of the domain's source documents, shipped as data.

`request-classes`: request classes 1-6 (seed 000). `categories-ae`: categories A-E with
severities 1-4 for C, where 4 ("not a product defect") must be reclassified to A or D
(seed 004). Texts are the data's own; translate them in the admin if needed."""

from __future__ import annotations

from typing import Any

MATRIX = {
    ("high", "high"): "critical",
    ("high", "medium"): "high",
    ("high", "low"): "medium",
    ("medium", "high"): "high",
    ("medium", "medium"): "medium",
    ("medium", "low"): "low",
    ("low", "high"): "medium",
    ("low", "medium"): "low",
    ("low", "low"): "low",
}

SCHEMES: dict[str, dict[str, Any]] = {
    "request-classes": {
        "name": "Request classes 1-6",
        "description": "Requests classified by what is affected, from hosting to questions.",
        "classes": [
            {
                "code": "1",
                "name": "Virtualisation, hardware, hosting, ISP of the server",
                "priority": "critical",
                "responsibility": "vendor",
            },
            {
                "code": "2",
                "name": "Server maintenance, unavailability, load, failover, OS",
                "priority": "critical",
                "responsibility": "vendor",
            },
            {
                "code": "3",
                "name": "Errors making the whole application unusable; stability work",
                "priority": "high",
                "responsibility": "vendor",
            },
            {
                "code": "4",
                "name": "Errors breaking key business processes; very slow application",
                "priority": "high",
                "responsibility": "vendor",
            },
            {
                "code": "5",
                "name": "Single components slow or wrong; attacks; viruses",
                "priority": "medium",
                "responsibility": "vendor",
            },
            {
                "code": "6",
                "name": "Questions, consultations of analysts and managers, documentation",
                "priority": "low",
                "responsibility": "vendor",
            },
        ],
    },
    "categories-ae": {
        "name": "Categories A-E",
        "description": "Incidents classified by where the fault lies; C carries a severity.",
        "classes": [
            {
                "code": "A",
                "name": "Environment errors (customer's hardware, resources, system software)",
                "priority": "medium",
                "responsibility": "customer",
            },
            {
                "code": "B",
                "name": "Errors of third-party software shipped inside the product",
                "priority": "high",
                "responsibility": "vendor",
            },
            {
                "code": "C",
                "name": "Defects of the product itself",
                "priority": "high",
                "responsibility": "vendor",
                "severities": [
                    {"level": 1, "name": "Critical: the system is unusable"},
                    {"level": 2, "name": "Serious, no workaround"},
                    {"level": 3, "name": "Minor, a workaround exists"},
                    {
                        "level": 4,
                        "name": "Not a product defect: reclassify to A or D",
                        "reclassify_to": ["A", "D"],
                    },
                ],
            },
            {
                "code": "D",
                "name": "Configuration, administration and usage questions",
                "priority": "low",
                "responsibility": "customer",
            },
            {
                "code": "E",
                "name": "Requests for new functionality",
                "priority": "low",
                "responsibility": "vendor",
            },
        ],
    },
}
