"""Prints what scrubbing costs per line of a page, and what building the scrubber costs.

Run: .venv/bin/python bench/scrub_bench.py [--persons 100] [--lines 20000]

A Scrubber is built for N protected persons (a Latin name and a Cyrillic alias each),
then scrubs generated lines of 12-30 words mixing English, Russian and Belarusian
words, a few of them naming a protected person in some case form. "cold" is the first
pass (every word is folded and looked up once); "warm" scrubs other lines made of the
same vocabulary (the per-word memory is used); "repeat" scrubs the first lines again
(a page shown twice).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evidence.protection import Scrubber  # noqa: E402

GIVEN = ["Pavel", "Ivan", "Olga", "Tatsiana", "Aliaksandr", "Maryia", "Siarhei", "Hanna"]
GIVEN_CYRILLIC = ["Павел", "Иван", "Ольга", "Тацяна", "Аляксандр", "Марыя", "Сяргей", "Ганна"]
SURNAME_STEMS = ["Kuzmich", "Petrov", "Sidarenk", "Taraikovsk", "Lukashevich", "Novik"]
WORDS = [
    "police",
    "detained",
    "a",
    "protester",
    "near",
    "the",
    "square",
    "and",
    "beat",
    "him",
    "with",
    "batons",
    "while",
    "the",
    "crowd",
    "watched",
    "from",
    "the",
    "bus",
    "stop",
    "after",
    "midnight",
    "on",
    "the",
    "avenue",
    "милиция",
    "задержала",
    "протестующего",
    "возле",
    "площади",
    "и",
    "избила",
    "его",
    "дубинками",
    "пока",
    "люди",
    "смотрели",
    "з",
    "прыпынку",
    "аўтобуса",
    "апоўначы",
]


def _people(count: int, rng: random.Random) -> dict[str, str]:
    names: dict[str, str] = {}
    for number in range(count):
        given = rng.randrange(len(GIVEN))
        surname = f"{rng.choice(SURNAME_STEMS)}{rng.choice(['', 'a', 'ov', 'ski'])}{number}"
        pseudonym = f"W-{number}"
        names[f"{GIVEN[given]} {surname}"] = pseudonym
        names[f"{GIVEN_CYRILLIC[given]} {surname}"] = pseudonym
    return names


def _lines(count: int, names: list[str], rng: random.Random) -> list[str]:
    lines = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 30))]
        words += [f"word{rng.randrange(5000)}" for _ in range(3)]  # unseen words
        if rng.random() < 0.05:
            words.insert(rng.randrange(len(words)), rng.choice(names) + rng.choice(["", "a"]))
        lines.append(" ".join(words))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100)
    parser.add_argument("--lines", type=int, default=20000)
    options = parser.parse_args()
    rng = random.Random(7)
    names = _people(options.persons, rng)
    started = time.perf_counter()
    scrubber = Scrubber(names)
    print(f"build for {options.persons} persons: {1000 * (time.perf_counter() - started):.0f} ms")
    first = _lines(options.lines, list(names), rng)
    second = _lines(options.lines, list(names), rng)
    for label, lines in (("cold", first), ("warm", second), ("repeat", first)):
        started = time.perf_counter()
        for line in lines:
            scrubber.scrub(line)
        per_line = 1e6 * (time.perf_counter() - started) / len(lines)
        print(f"{label}: {per_line:.1f} µs per line")


if __name__ == "__main__":
    main()
