"""One error type for everything a user can fix: it names the problem and the fix."""

from __future__ import annotations


class StudyError(Exception):
    """A problem the user can act on. `str(err)` is one line: "<problem>: <fix>".

    >>> str(StudyError("guide not found at x.md", "pass --guide PATH"))
    'guide not found at x.md: pass --guide PATH'
    """

    def __init__(self, problem: str, fix: str):
        super().__init__(f"{problem}: {fix}")
        self.problem = problem
        self.fix = fix


def missing_package(package: str, extra_hint: str = "") -> StudyError:
    """Error for an optional dependency that is not installed."""
    hint = f"install it with `pip install {package}`" + (f" ({extra_hint})" if extra_hint else "")
    return StudyError(f"the Python package {package!r} is not installed", hint)
