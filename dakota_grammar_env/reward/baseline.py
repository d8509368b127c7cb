"""The prompt baseline: what a reply could say from the prompt alone, and what is left.

Partial credit pays only for progress beyond what the prompt hands over. A task's
*baseline candidates* are the answers a reader of the prompt could give without knowing
the grammar: the forms the prompt shows (the base form, the form to segment or analyse,
the word to translate) and the construction every task of its family carries or its
instruction names, applied blindly (``kaġa ṡni``, ``kaġapi``, the form with ``-pi``
split off). The empty answer is always one.

Against each reference answer, the *baseline* is the candidate closest to it (edit
distance on the letter skeleton), and the *novel units* are the edits that turn the
baseline into the reference: each maximal run of inserted or replaced letters, and each
place where letters must go. Units are all or nothing: ``wa-`` for ``ya-`` shares a
letter with it but realises nothing. Where the task says which morphemes its answer is
made of, a run is also cut where two morphemes meet (``ma`` and ``ya`` in mayakaġa are
two units). A reply realises a unit when the alignment of the
reply with the reference matches the unit's letters contiguously and in place: the
letters on either side of it matched right next to it (a hyphen one letter off, or an
affix with a wrong one stuck to it, realises nothing).

The novel units apply only where the reference is *built on* its baseline (at least
half the baseline's letters sit, in order, in the reference): a gloss does not build on
the word it translates, so there the whole answer is new.

Everything here works on skeletons (`orthography.skeleton`): diacritics are judged by
the orthography component alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from itertools import pairwise

from rapidfuzz.distance import OSA, Levenshtein

from dakota_grammar_env.reward.affix import label_parts

BUILDS_ON_MIN_SHARE = 0.5
"""The share of a baseline's letters that must sit in the reference, in order, for the
reference to count as built on it (and the novel units to apply)."""


@dataclass(frozen=True)
class NovelUnit:
    """One edit from the baseline to a reference: reference letters ``start:end`` (on
    the skeleton), or, where ``start == end``, a place where baseline letters must go."""

    start: int
    end: int
    text: str

    def realised(self, matched: dict[int, int], reply_length: int, reference_length: int) -> bool:
        """Whether an alignment (reference index -> reply index, matched letters only)
        realises this unit: its letters matched contiguously, and anchored on the letters
        around it (or on the reply's edge where the unit is at the reference's edge)."""
        before = matched.get(self.start - 1) if self.start > 0 else -1
        after = matched.get(self.end) if self.end < reference_length else reply_length
        if before is None or after is None:
            return False
        inside = [matched.get(index) for index in range(self.start, self.end)]
        return inside == list(range(before + 1, before + 1 + len(inside))) and after == before + 1 + len(inside)


@dataclass(frozen=True)
class Baseline:
    """The candidate closest to one reference (its text, with diacritics), its skeleton
    similarity to the reference, and what the reference adds to it."""

    text: str
    similarity: float
    units: tuple[NovelUnit, ...]

    @property
    def novel_applies(self) -> bool:
        return bool(self.units)


def similarity(a: str, b: str) -> float:
    """1 - edit distance / the longer length: 1 for equal strings, 0 for nothing shared."""
    return Levenshtein.normalized_similarity(a, b)


def letter_similarity(a: str, b: str) -> float:
    """`similarity` with two swapped neighbouring letters counted as one slip, not two
    (optimal string alignment): how a reply's letters are judged."""
    return OSA.normalized_similarity(a, b)


def matched_positions(reply: str, reference: str) -> dict[int, int]:
    """reference index -> reply index for every letter an optimal alignment matches."""
    matched: dict[int, int] = {}
    for tag, src_start, src_end, dest_start, _ in Levenshtein.opcodes(reply, reference):
        if tag == "equal":
            for offset in range(src_end - src_start):
                matched[dest_start + offset] = src_start + offset
    return matched


def novel_units(baseline: str, reference: str, display: str = "") -> tuple[NovelUnit, ...]:
    """The edits from `baseline` to `reference` (both skeletons), merged into units; none
    unless the reference builds on the baseline. Units are named by their letters in
    `display` (the reference with its diacritics) where it aligns with the skeleton."""
    if not baseline or baseline == reference:
        return ()
    opcodes = Levenshtein.opcodes(baseline, reference)
    kept = sum(src_end - src_start for tag, src_start, src_end, _, _ in opcodes if tag == "equal")
    if kept < BUILDS_ON_MIN_SHARE * len(baseline):
        return ()
    shown = display if len(display) == len(reference) else reference
    units: list[NovelUnit] = []
    run: tuple[int, int, str] | None = None  # reference start, end, removed baseline text
    for tag, src_start, src_end, dest_start, dest_end in opcodes:
        if tag == "equal":
            if run is not None:
                units.append(_unit(shown, *run))
                run = None
            continue
        removed = baseline[src_start:src_end] if tag in ("delete", "replace") else ""
        run = (dest_start, dest_end, removed) if run is None else (run[0], dest_end, run[2] + removed)
    if run is not None:
        units.append(_unit(shown, *run))
    return tuple(units)


def _unit(shown: str, start: int, end: int, removed: str) -> NovelUnit:
    return NovelUnit(start, end, shown[start:end] if end > start else f"-{removed}")


def closest_baseline(reference: str, candidates: Mapping[str, str], display: str = "") -> Baseline:
    """The candidate closest to `reference` (a skeleton): `candidates` maps each
    candidate's skeleton to its text; the empty answer is implied."""
    best, best_similarity = "", 0.0
    for candidate in candidates:
        score = similarity(candidate, reference)
        if score > best_similarity:
            best, best_similarity = candidate, score
    return Baseline(candidates.get(best, ""), best_similarity, novel_units(best, reference, display))


def split_units(baseline: Baseline, cuts: frozenset[int], display: str) -> Baseline:
    """`baseline` with each unit of inserted or replaced letters cut at `cuts` (where
    the reference's morphemes meet), so that each morpheme is its own unit."""
    if not cuts or not baseline.units:
        return baseline
    shown = display if len(display) >= max(unit.end for unit in baseline.units) else ""
    units: list[NovelUnit] = []
    for unit in baseline.units:
        inner = sorted(cut for cut in cuts if unit.start < cut < unit.end)
        if not inner:
            units.append(unit)
            continue
        bounds = [unit.start, *inner, unit.end]
        units += [NovelUnit(a, b, shown[a:b] if shown else unit.text) for a, b in pairwise(bounds)]
    return replace(baseline, units=tuple(units))


def units_realised(units: Sequence[NovelUnit], reply: str, reference: str) -> list[bool]:
    """For each unit, whether `reply` realises it against `reference` (skeletons)."""
    if not units:
        return []
    matched = matched_positions(reply, reference)
    return [unit.realised(matched, len(reply), len(reference)) for unit in units]


_LABEL = re.compile(r"^[A-Za-z][\w ()'-]{0,30}:\s*(.+)$")
_QUOTED = re.compile(r"'([^'\n]{2,80})'|\"([^\"\n]{2,80})\"")
_EDGE = "\"'“”‘’.,;:!?()[]{}<>*_`"


def prompt_candidates(prompt: str) -> list[str]:
    """Every text a prompt hands over, as a reply could copy it: each line (without a
    short ``Label:`` in front), each quoted phrase, each word."""
    found: list[str] = []
    for line in prompt.splitlines():
        line = line.strip()
        if not line:
            continue
        found.append(line)
        if match := _LABEL.match(line):
            found.append(match.group(1).strip())
        for match in _QUOTED.finditer(line):
            found.append(match.group(1) or match.group(2))
        found.extend(word.strip(_EDGE) for word in line.split())
    return list(dict.fromkeys(text for text in found if len(text) >= 2))


def candidates_for_prompt(prompt: str, forms: Iterable[str] = (), affix_labels: Iterable[str] = ()) -> list[str]:
    """The baseline candidates of a task whose data lists none: its given `forms`, what
    `prompt_candidates` finds in the prompt, and each form with every affix label that
    the prompt names applied to it."""
    forms = [form for form in forms if form]
    named = [label for label in affix_labels if label.strip("-") and label in prompt]
    built = [text for form in forms for text in with_affixes(form, named)]
    return list(dict.fromkeys([*forms, *prompt_candidates(prompt), *built]))


COMMON_PREFIXES = ("wa", "ya", "uŋk", "uŋ", "ma", "ni", "mi", "o", "wo", "ki", "i", "a", "e", "ta", "t")
"""Syllables many Dakota words begin with, most of them prefixes: splitting one off a
form blindly is what a reader can do without knowing the word."""


def blind_splits(form: str) -> list[str]:
    """`form` with -pi split off, and with each common prefix it starts with split off
    (and -pi too): the segmentations a reader makes without knowing the word."""
    rest_pi = (form[:-2], "-pi") if form.endswith("pi") and len(form) > 3 else (form, "")
    splits = [f"{rest_pi[0]}{rest_pi[1]}"] if rest_pi[1] else []
    for prefix in COMMON_PREFIXES:
        if form.startswith(prefix) and len(form) > len(prefix) + 1:
            splits.append(f"{prefix}-{rest_pi[0][len(prefix) :]}{rest_pi[1]}")
    return splits


def split_where_changed(form: str, lemma: str) -> str:
    """`form` with a hyphen wherever it passes between the longest runs it shares with
    `lemma` and letters it does not: the segmentation a reader gets by setting a given
    form beside its given lemma (``oyakihipi`` beside ``okihi``: ``o-ya-kihi-pi``). An
    insertion that could sit one letter further right (``m-aw-ani``) is moved there
    (``ma-wa-ni``), so that the split does not depend on which equal alignment won."""
    shared: list[bool] = []
    texts: list[str] = []
    position = 0
    for _, start, size in SequenceMatcher(None, lemma, form, autojunk=False).get_matching_blocks():
        for is_shared, text in ((False, form[position:start]), (True, form[start : start + size])):
            if text:
                shared.append(is_shared)
                texts.append(text)
        position = start + size
    for i in range(1, len(texts) - 1):
        if shared[i - 1] and shared[i + 1] and not shared[i]:
            while len(texts[i + 1]) > 1 and texts[i][0] == texts[i + 1][0]:
                texts[i - 1] += texts[i][0]
                texts[i] = texts[i][1:] + texts[i + 1][0]
                texts[i + 1] = texts[i + 1][1:]
    return "-".join(texts)


def with_affixes(form: str, labels: Iterable[str]) -> list[str]:
    """`form` with each affix label (``wa-``, ``-pi``) applied blindly: what an
    instruction that names the affix hands over."""
    built = []
    for label in labels:
        parts = label_parts(label)
        if len(parts) == 1 and parts[0][0] == "prefix":
            built.append(parts[0][1] + form)
        elif len(parts) == 1 and parts[0][0] == "suffix":
            built.append(form + parts[0][1])
    return built
