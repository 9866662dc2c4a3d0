"""Console transcripts in the docs, read as tests run them.

A ```console block holds `$ command` lines, `> ` continuation lines right after a command,
and what the command prints; `...` in what it prints stands for what varies from run to
run (a whole line of `...`: any number of lines).
"""

from __future__ import annotations

import re


def console_steps(text: str) -> list[tuple[str, list[str]]]:
    """(command, the lines it prints) for each command of each ```console block, in order."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif line.startswith("> ") and steps and not steps[-1][1]:
                steps[-1] = (f"{steps[-1][0]}\n{line[2:]}", [])
            elif steps:
                steps[-1][1].append(line)
    return steps


def looks_like(shown: str) -> re.Pattern[str]:
    """What a command's output must match, `...` standing for what varies."""
    parts = []
    for line in shown.splitlines():
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append("[^\n]*?".join(map(re.escape, line.split("..."))) + "\n")
    return re.compile("".join(parts))
