"""One error hierarchy for the whole library; the CLI and the API each render it in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field: where it is, and what is wrong or allowed."""

    location: tuple[str | int, ...]
    message: str

    @property
    def path(self) -> str:
        return ".".join(str(part) for part in self.location) or "(root)"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class RuleProblem:
    """One problem found while loading or linting the knowledge base."""

    file: str
    line: int
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        rule = f" rule '{self.rule_id}':" if self.rule_id else ""
        return f"{where}:{rule} {self.message}"


class AdvisorError(ValueError):
    """Base class of every error the advisor raises on purpose."""


class InputFileError(AdvisorError):
    """A file could not be read or parsed (missing, unreadable, bad YAML/JSON)."""


class ProfileError(AdvisorError):
    """A profile failed validation; carries one problem per invalid field."""

    def __init__(self, problems: list[FieldProblem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        head = f"invalid profile{f' {source}' if source else ''}"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head}: {len(self.problems)} problem(s)\n{lines}")


class HistoryError(AdvisorError):
    """A training history failed validation; one problem per bad cell (row, column) or file."""

    def __init__(self, problems: list[FieldProblem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        head = f"invalid history{f' in {source}' if source else ''}"
        if len(self.problems) == 1 and not self.problems[0].location:
            super().__init__(f"{head}: {self.problems[0].message}")
            return
        lines = "\n".join(f"  - {_cell(p)}" for p in self.problems)
        super().__init__(f"{head}: {len(self.problems)} problem(s)\n{lines}")


def _cell(problem: FieldProblem) -> str:
    loc = problem.location
    if len(loc) == 2 and isinstance(loc[0], int):
        return f"row {loc[0]}, column {loc[1]!r}: {problem.message}"
    if len(loc) == 1 and isinstance(loc[0], int):
        return f"row {loc[0]}: {problem.message}"
    return str(problem)


class KnowledgeBaseError(AdvisorError):
    """The knowledge base failed to load; nothing is loaded partially."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"knowledge base invalid: {len(self.problems)} problem(s)\n{lines}")


class UnknownRuleError(AdvisorError, LookupError):
    """A rule id that the knowledge base does not hold."""

    def __init__(self, rule_id: str, suggestions: list[str]) -> None:
        self.rule_id = rule_id
        hint = f" (did you mean {', '.join(repr(s) for s in suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown rule id {rule_id!r}{hint}")


class UnknownParameterError(AdvisorError, LookupError):
    """A hyperparameter name that is not canonical."""

    def __init__(self, name: str, allowed: list[str]) -> None:
        self.name = name
        super().__init__(f"unknown hyperparameter {name!r}; allowed: {', '.join(allowed)}")


class InternalError(AdvisorError):
    """A bug in the advisor itself, not in the input: interfaces report it as a server fault."""


class EngineError(InternalError):
    """The inference engine could not reach a fixed point (a guard tripped)."""


class ExpressionError(AdvisorError):
    """A condition that does not parse, uses a forbidden construct, or mistypes a fact."""


class ProbeError(AdvisorError):
    """A probe could not run: bad target, data, batch or loss."""


class UserModelError(ProbeError):
    """The user's own code (model, loss, data, target function) raised inside a probe: the input
    was valid, their program failed - reported apart from both bad input and advisor bugs."""


class ImportSpecError(AdvisorError):
    """A `package.module:function` / `file.py:function` spec that cannot be imported."""


class UnknownExportError(AdvisorError):
    def __init__(self, names: list[str], allowed: list[str]) -> None:
        self.names = tuple(names)
        super().__init__(f"unknown export format(s) {', '.join(names)}; allowed: {', '.join(allowed)}")


class StudyError(AdvisorError):
    """A tuning study that cannot be created, resumed or read."""


class JobStoreError(AdvisorError):
    """The job database is missing, unreadable or not writable."""


class JobNotFoundError(AdvisorError, LookupError):
    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"no probe job {job_id!r}")


class JobConflictError(AdvisorError):
    """The job is in a state that does not allow this (cancelling a finished job)."""


class IntegrationError(AdvisorError):
    """A config that cannot be applied to the user's model or framework as asked."""


class MissingDependencyError(AdvisorError, ImportError):
    """An optional dependency is needed for this feature; names the extra to install."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs {package!r}: pip install 'hparam-advisor[{extra}]'"
        )
