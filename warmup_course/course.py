"""The course map, read from the notebooks themselves so that it cannot drift from them.

Each notebook opens with ``# NN · Title`` and states its time as a line ``**Time:** N min``; the topics are the
notebook's ``##`` section headings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NOTEBOOKS_DIR", "Lesson", "course_map", "course_map_markdown"]

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
_SKIP_SECTIONS = {"what you will learn", "setup", "exercises", "key takeaways", "further reading"}


@dataclass(frozen=True)
class Lesson:
    number: str
    title: str
    file: str
    minutes: int | None
    topics: tuple[str, ...]


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def course_map(notebooks_dir: str | Path = NOTEBOOKS_DIR) -> list[Lesson]:
    """One :class:`Lesson` per ``NN_slug.ipynb`` in ``notebooks_dir``, in teaching order."""
    if not isinstance(notebooks_dir, (str, Path)):
        raise TypeError(f"notebooks_dir must be a str or a Path, got {type(notebooks_dir).__name__}")
    if not Path(notebooks_dir).is_dir():  # a typo would otherwise give an empty course map, silently
        raise ValueError(f"notebooks_dir must be an existing folder, got {str(notebooks_dir)!r}")
    lessons = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"notebook {path} is not a valid notebook (JSON with a 'cells' list): {exc!r}") from None
        markdown = "\n".join(_source(c) for c in cells if c.get("cell_type") == "markdown")
        head = re.search(r"^# (\d\d) · (.+)$", markdown, re.MULTILINE)
        minutes = re.search(r"\*\*Time:\*\*\s*(?:about\s*)?(\d+)\s*min", markdown)
        topics = tuple(
            re.sub(r"^\d+(\.\d+)*\.?\s*", "", h).strip()
            for h in re.findall(r"^## (.+)$", markdown, re.MULTILINE)
            if re.sub(r"^\d+(\.\d+)*\.?\s*", "", h).strip().lower() not in _SKIP_SECTIONS
        )
        lessons.append(Lesson(
            number=head.group(1) if head else path.name[:2],
            title=head.group(2).strip() if head else path.stem,
            file=path.name,
            minutes=int(minutes.group(1)) if minutes else None,
            topics=topics,
        ))
    return lessons


def course_map_markdown(notebooks_dir: str | Path = NOTEBOOKS_DIR) -> str:
    """The course map as a Markdown table (what the start-here notebook displays)."""
    rows = ["| # | Notebook | Topics | Minutes |", "|---|---|---|---|"]
    for lesson in course_map(notebooks_dir):
        rows.append(f"| {lesson.number} | [{lesson.title}]({lesson.file}) | {'; '.join(lesson.topics)} | "
                    f"{lesson.minutes if lesson.minutes is not None else '?'} |")
    return "\n".join(rows)
