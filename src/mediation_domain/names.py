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
# What reads as a hyphen, and as an apostrophe (after Unicode's confusables.txt).
_DASHES = re.compile(
    "[\u02d7\u058a\u05be\u06d4\u1400\u1806\u2010-\u2015\u2043\u207b\u208b\u2212\u23af"
    "\u2500\u2501\u2796\u2cba\u2e3a\u2e3b\u2e40\u30fc\u4e00\ufe58\ufe63\uff0d\uff70]"
)
_APOSTROPHES = re.compile(
    "[\u0060\u00b4\u02b9\u02bb\u02bc\u02bd\u02c8\u02ca\u02cb\u2018\u2019\u201b\u2032\u2035\uff07]"
)
# Scripts that may share a name with Latin letters (UTS #39, "highly restrictive").
_MIXES = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
)
# The first word of a character's name when it names a script: a hyphen or a stop of
# another script (ARMENIAN HYPHEN, ARABIC FULL STOP) mixes scripts as a letter does.
_SCRIPTS = frozenset(
    [
        "LATIN",
        "GREEK",
        "CYRILLIC",
        "ARMENIAN",
        "HEBREW",
        "ARABIC",
        "SYRIAC",
        "THAANA",
        "NKO",
        "SAMARITAN",
        "MANDAIC",
        "DEVANAGARI",
        "BENGALI",
        "GURMUKHI",
        "GUJARATI",
        "ORIYA",
        "TAMIL",
        "TELUGU",
        "KANNADA",
        "MALAYALAM",
        "SINHALA",
        "THAI",
        "LAO",
        "TIBETAN",
        "MYANMAR",
        "GEORGIAN",
        "HANGUL",
        "ETHIOPIC",
        "CHEROKEE",
        "CANADIAN",
        "OGHAM",
        "RUNIC",
        "TAGALOG",
        "KHMER",
        "MONGOLIAN",
        "LIMBU",
        "TAI",
        "BUGINESE",
        "BALINESE",
        "SUNDANESE",
        "OL",
        "GLAGOLITIC",
        "COPTIC",
        "TIFINAGH",
        "HIRAGANA",
        "KATAKANA",
        "BOPOMOFO",
        "CJK",
        "YI",
        "LISU",
        "VAI",
        "BAMUM",
        "JAVANESE",
        "CHAM",
    ]
)
# Letters that look like others: Cyrillic and Greek ones like Latin letters, Latin ones
# like other Latin letters (a subset of confusables.txt, enough for the names a service
# configures). Before case folding: the capital I reads as l, digits as letters.
_CASED_LOOKALIKES = str.maketrans({"I": "l", "1": "l", "|": "l", "0": "O"})
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("авеѐёікмнорсѕтухүһјӏԁԛԝ", "abeeeikmhopcstyxyhjldqw", strict=True)),
        **dict(zip("αβεηικνορστυχωϲς", "abenikvopotuxwcc", strict=True)),
        **dict(zip("ɑıɡɩǀȷɪʏᴏᴄ", "aigiljiyoc", strict=True)),
        **dict(zip("ᴀʙᴅᴇꜰɢʜᴊᴋʟᴍɴᴘʀꜱᴛᴜᴠᴡᴢ", "abdefghjklmnprstuvwz", strict=True)),  # small capitals
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
    """Every character that reads as a hyphen (en dash, minus sign...) as the ASCII one."""
    return _DASHES.sub("-", text)


def scripts(text: str) -> frozenset[str]:
    """The scripts `text` is written in: of its letters, and of signs named by a script."""
    found = set()
    for character in text:
        name = unicodedata.name(character, "")
        first = "CJK" if name.startswith("CJK") else name.partition(" ")[0]
        if first in _SCRIPTS:
            found.add(first)
    return frozenset(found)


def mixed_scripts(text: str) -> bool:
    """True when `text` mixes scripts that a real name does not (Latin with Cyrillic...)."""
    found = scripts(text)
    return len(found) > 1 and not any(found <= allowed for allowed in _MIXES)


def skeleton(name: str) -> str:
    """What `name` looks like: lookalike letters, dashes and apostrophes read as one.

    Two names with the same skeleton read alike, whatever their code points (UTS #39).
    """
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    text = text.translate(_CASED_LOOKALIKES).casefold().replace("rn", "m")
    text = _APOSTROPHES.sub("'", _DASHES.sub("-", text.translate(_LOOKALIKES)))
    return re.sub(r"[\s_-]+", "-", text.strip())


def lookalike_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of names that read alike (the same skeleton)."""
    seen: dict[str, str] = {}
    pairs = []
    for name in names:
        key = skeleton(name)
        if key in seen:
            pairs.append((seen[key], name))
        else:
            seen[key] = name
    return pairs
