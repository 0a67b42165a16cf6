"""The optional compiled fast path of the SLA calendar; everything else is in pyproject.toml.

Without a C compiler the build skips the extension and `sladesk.sla.calendar` answers in
pure Python, with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "sladesk.sla._calendar_fast",
            sources=["src/sladesk/sla/_calendar_fast.c"],
            optional=True,
        )
    ]
)
