"""warmup-course: the helper library of a Jupyter course on learning-rate warmup.

Importing the package is cheap: it loads no torch, matplotlib or ipywidgets. Import the layer you need::

    from warmup_course import schedules            # pure math (numpy only)
    from warmup_course.scheduler import WarmupLR   # the torch adapter
    from warmup_course.training import train       # one careful training loop

Layers, each using only those above it: ``schedules`` -> ``scheduler`` -> ``data``, ``models`` -> ``training``
-> ``experiments`` -> ``plotting``, ``widgets``, ``exercises``. ``seeds`` and ``runtime`` serve them all.
"""

from __future__ import annotations

from warmup_course.seeds import seed, seed_offset, seeds

__version__ = "0.1.0"

__all__ = ["__version__", "seed", "seed_offset", "seeds"]
