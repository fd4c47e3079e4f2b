"""``python -m warmup_course doctor``: the classroom preflight (see :mod:`warmup_course.doctor`)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m warmup_course")
    parser.add_argument("command", choices=["doctor"], help="doctor: check this machine is ready for the course")
    parser.parse_args(argv)
    from warmup_course.doctor import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
