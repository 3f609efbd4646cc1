"""Run one command and report its own peak memory and CPU seconds, free of its launcher's memory.

Scope: ``python benchmarks/launch.py OUT.json -- CMD ARGS...`` forks and execs ``CMD`` from this
small process, waits for it (``os.wait4``) and writes ``{"returncode", "max_rss_kb", "cpu_s"}``
to ``OUT.json``; it exits with the command's status. Why: Linux keeps a process's peak resident set
across ``execve`` and starts a forked child with its parent's, so a command started directly from
a benchmark process that holds a large corpus in memory reports the benchmark's peak as its own
(``ru_maxrss``). Started from this launcher, the command's peak is its own (plus this
interpreter's few MB). It must not do anything else.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: launch.py OUT.json -- CMD [ARGS...]", file=sys.stderr)
        return 2
    out, cmd = argv[0], argv[2:]
    pid = os.fork()
    if pid == 0:  # the command
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"returncode": code, "max_rss_kb": usage.ru_maxrss, "cpu_s": usage.ru_utime + usage.ru_stime}, fh)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
