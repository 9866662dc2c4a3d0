"""Names that read as what they are: no invisible or direction-changing characters, no lookalikes.

A configured name (a neighbourhood) is shown in every report: two entries that read alike
("Beaulieu" in Latin letters, and with a Cyrillic Ve, U+0412, for its "B") would split one
place's counts over two rows that look the same. Unicode's security mechanisms (UTS #39)
are applied in a small form here: NFKC normalisation, no format or control characters,
one script per name (Japanese, Chinese and Korean mixes with Latin allowed), and no two
names with the same confusable skeleton.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Characters that change how text around them is laid out or hide themselves: controls,
# format characters (zero-width spaces, soft hyphens, direction overrides...), line and
# paragraph separators, private-use and unassigned code points, lone surrogates.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# Explicit direction embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069):
# they reorder what follows them on a line.
_DIRECTION_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): what renders as
# nothing (joiners, marks, variation selectors, fillers, tags), and the blank Braille cell.
_IGNORABLE = frozenset(
    chr(point)
    for first, last in (
        (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
        (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
        (0x2060, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
    )
    for point in range(first, last + 1)
)  # fmt: skip
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")  # read as "-"
# Scripts that may share a name with Latin letters (UTS #39, "highly restrictive").
_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
# Cyrillic and Greek letters that look like Latin ones (after case folding): a small
# subset of Unicode's confusables.txt, enough for the names a service configures.
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("авеѐёікмнорсѕтухүһјӏԁԛԝ", "abeeeikmhopcstyxyhjldqw", strict=True)),
        **dict(zip("αβεηικνορστυχωϲς", "abenikvopotuxwcc", strict=True)),
        **dict(zip("ɑıɡɩǀȷɪʏᴏᴄ", "aigiljiyoc", strict=True)),  # Latin, yet lookalikes
    }
)


def direction_controls(text: str) -> bool:
    """True when `text` holds a direction embedding, override or isolate."""
    return not _DIRECTION_CONTROLS.isdisjoint(text)


def hidden_characters(text: str) -> bool:
    """True when `text` holds a control, a format character or one that renders as nothing.

    For names that identify (a configured place, a user): the marks that right-to-left
    personal text may need are refused here too, as they make two names read alike.
    """
    return any(c in _IGNORABLE or unicodedata.category(c) in _HIDDEN_CATEGORIES for c in text)


def dashes_as_hyphens(text: str) -> str:
    """Every dash (non-breaking hyphen, en dash, minus sign...) as the ASCII hyphen."""
    return _DASHES.sub("-", text)


def scripts(text: str) -> frozenset[str]:
    """The scripts of the letters of `text` (digits, punctuation and marks have none)."""
    found = set()
    for character in text:
        if unicodedata.category(character).startswith("L"):
            name = unicodedata.name(character, "")
            found.add("CJK" if name.startswith("CJK") else name.partition(" ")[0])
    return frozenset(found)


def mixed_scripts(text: str) -> bool:
    """True when `text` mixes scripts that a real name does not (Latin with Cyrillic...)."""
    found = scripts(text)
    return len(found) > 1 and not any(found <= allowed for allowed in _MIXES)


def skeleton(folded: str) -> str:
    """A folded name with Cyrillic and Greek lookalikes read as the Latin letters they mimic."""
    return folded.translate(_LOOKALIKES)


def lookalike_pairs(folded: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Pairs of (name, folded name) entries whose skeletons are the same."""
    seen: dict[str, str] = {}
    pairs = []
    for name, fold in folded:
        key = skeleton(fold)
        if key in seen:
            pairs.append((seen[key], name))
        else:
            seen[key] = name
    return pairs
