"""A check's result: its cases, each case's steps, and the report in text and HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

PASS, FAIL, SKIP = "pass", "fail", "skip"
MARKS = {PASS: "✓", FAIL: "✗", SKIP: "–"}
COLOURS = {PASS: "#1a7f37", FAIL: "#cf222e", SKIP: "#6e7781"}


@dataclass
class Step:
    """One comparison of a case: its verdict, a short summary and, on failure, the explanation."""

    name: str
    status: str
    summary: str
    explanation: str = ""
    note: str = ""  # something worth knowing that is not a failure (shown in the report either way)


@dataclass
class Case:
    """The comparisons made for one configuration (for example one set of constructor arguments)."""

    label: str
    steps: list[Step] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(step.status != FAIL for step in self.steps)


@dataclass
class CheckResult:
    """The verdict of a check: ``passed``, the cases, and the first difference in words.

    Prints as a text report and shows as a table in a notebook; ``assert_passed()`` raises
    ``AssertionError`` with the report (for autograders).
    """

    subject: str
    cases: list[Case]

    @property
    def passed(self) -> bool:
        return all(case.passed for case in self.cases)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def first_failure(self) -> tuple[Case, Step] | None:
        """The first failing step, in case order and then step order."""
        for case in self.cases:
            for step in case.steps:
                if step.status == FAIL:
                    return case, step
        return None

    @property
    def explanation(self) -> str:
        """The first difference, in words ("" when the check passed)."""
        failure = self.first_failure
        return "" if failure is None else failure[1].explanation

    @property
    def notes(self) -> list[tuple[str, str]]:
        """The distinct notes, each as (where: a case and step, or how many cases; the note)."""
        found: dict[str, list[tuple[Case, Step]]] = {}
        for case in self.cases:
            for step in case.steps:
                if step.note:
                    found.setdefault(step.note, []).append((case, step))
        notes = []
        for text, places in found.items():
            case, step = places[0]
            where = case.label if len(places) == 1 else f"{len(places)} of {len(self.cases)} cases"
            notes.append((f"{where}, {step.name}", text))
        return notes

    def verdict(self) -> str:
        failed = sum(not case.passed for case in self.cases)
        count = len(self.notes)
        noted = "" if not count else f"; {count} note{'s' if count > 1 else ''} below"
        if not failed:
            return f"PASSED ({len(self.cases)} of {len(self.cases)} cases{noted})"
        return f"FAILED ({failed} of {len(self.cases)} cases{noted})"

    def report(self) -> str:
        """The plain-text report."""
        lines = [f"durn_teach.check · {self.subject}: {self.verdict()}"]
        for case in self.cases:
            lines.append(f"  {case.label}")
            for step in case.steps:
                lines.append(f"    {MARKS[step.status]} {step.name:<15s} {step.summary}")
        failure = self.first_failure
        if failure is not None:
            case, step = failure
            lines += ["", f"First difference ({case.label}, {step.name}):"]
            lines += [f"  {line}" for line in step.explanation.splitlines()]
        for where, text in self.notes:
            lines += ["", f"Note ({where}):"]
            lines += [f"  {line}" for line in text.splitlines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def __repr__(self) -> str:
        return self.report()

    def _repr_html_(self) -> str:
        colour = COLOURS[PASS if self.passed else FAIL]
        parts = [
            '<div style="font-family: sans-serif; font-size: 0.9em">',
            f'<p><b>durn_teach.check · {html.escape(self.subject)}</b>: '
            f'<b style="color: {colour}">{html.escape(self.verdict())}</b></p>',
            '<table style="border-collapse: collapse">',
        ]
        for case in self.cases:
            parts.append(f'<tr><td colspan="3" style="text-align: left; padding-top: 0.4em">'
                         f"<code>{html.escape(case.label)}</code></td></tr>")
            for step in case.steps:
                parts.append(
                    f'<tr><td style="color: {COLOURS[step.status]}; padding: 0 0.6em">'
                    f"{MARKS[step.status]}</td>"
                    f'<td style="text-align: left; padding-right: 1em">{html.escape(step.name)}</td>'
                    f'<td style="text-align: left">{html.escape(step.summary)}</td></tr>'
                )
        parts.append("</table>")
        failure = self.first_failure
        if failure is not None:
            case, step = failure
            parts.append(
                f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em; margin-top: 0.6em">'
                f"<b>First difference</b> ({html.escape(case.label)}, {html.escape(step.name)}):"
                f'<pre style="white-space: pre-wrap; margin: 0.3em 0">{html.escape(step.explanation)}</pre>'
                "</div>"
            )
        for where, text in self.notes:
            parts.append(
                f'<div style="border-left: 4px solid {COLOURS[SKIP]}; padding: 0.3em 0.8em; '
                'margin-top: 0.6em">'
                f"<b>Note</b> ({html.escape(where)}):"
                f'<pre style="white-space: pre-wrap; margin: 0.3em 0">{html.escape(text)}</pre>'
                "</div>"
            )
        parts.append("</div>")
        return "".join(parts)

    def assert_passed(self) -> None:
        """Raise ``AssertionError`` with the report unless the check passed."""
        if not self.passed:
            raise AssertionError(self.report())

