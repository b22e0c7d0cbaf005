"""A person's name in the two forms the platform matches by: its key and its sound (decision 56).

``name_key`` is the name as typed, for matching in the same script: case, punctuation and titles
(Shri, Smt, श्री, श्रीमती ...) removed, each word whole. A word keeps its combining marks: the vowel
signs, virama and anusvara of a Devanagari word are part of it (``"रमेश कुमार"``, not the
``"रम श क म र"`` that splitting at every mark gave before migration 0024).

``name_sound`` is a phonetic key in Latin letters that a name has in either script, so that
"रमेश कुमार" and "Ramesh Kumar", or "सुनीता देवी" and "Suneeta Devi", have the same one:

1. a Devanagari word is spelt in Latin letters: the inherent vowel a word does not pronounce is
   dropped first (Hindi schwa deletion: the last one, unless it follows a conjunct ending in a
   semivowel or a nasal as in चंद्र, आदित्य, कृष्ण; a middle one between a vowel-consonant and a
   consonant-vowel, as in कमला), then each letter is written as Indian names are in Latin letters
   (श sh, च ch, ऋ ri, ज्ञ gy, anusvara n or m, ड़ r ...: the table below);
2. the usual variants of a Latin spelling are made one: aa/a, ee/i, oo/u, au/ou/o, a last y/i
   (Choudhary), er/ar before a consonant (Verma, वर्मा), v/w, ph/f, z/j, q/k, x/ks, a consonant's h (sh/s, bh/b ...), singh/sinh, doubled
   letters;
3. an a between two consonants is dropped (the schwa a Latin spelling may or may not write:
   Omprakash / Omaprakash, Kamlesh / Kamalesh); a first or last a stays (Amit / Amita differ).

A word in any other script is kept as it is in the key. The sounds are compared word by word
(:func:`sound_similarity`): likely duplicates have the same sounds, or one name's sounds within the
other's (a surname left out). Both forms are stored on the citizen (``name_key``, ``name_sound``)
and recomputed from the name on every save (core/models.Citizen.save).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_LENGTH = 200  # the columns' length
# Titles, not names (Kumari is a name as often as a title: it stays).
HONORIFICS = {"shri", "sri", "shree", "smt", "km", "mr", "mrs", "ms", "dr", "श्री", "श्रीमती", "सुश्री", "श्रीमान", "कु", "डॉ"}

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_VIRAMA, _NUKTA = "\u094d", "\u093c"
_ANUSVARA, _CANDRABINDU = "\u0902", "\u0901"
# A last a after a conjunct is said when the conjunct ends in one of these (chandra, aditya, krishna).
_SAID_AFTER_CONJUNCT = set("यरलवनणम")
# Devanagari in the Latin letters Indian names are written with: consonants (with a nukta: क़ q, ज़ z,
# फ़ f, ड़ r ...; ज्ञ gy), independent vowels and vowel signs (the candra ones of English loans, डॉक्टर,
# as the plain ones), digits. The anusvara is n, or m before p, b and m; visarga and avagraha are
# not written.
_LETTERS = dict(zip("कखगघङचछजझञटठडढणतथदधनऩपफबभमयरऱलळऴवशषसह",
                    "k kh g gh n ch chh j jh n t th d dh n t th d dh n n p ph b bh m y r r l l l v sh sh s h".split()))
_LETTERS.update({"क़": "q", "ख़": "kh", "ग़": "gh", "ज़": "z", "ड़": "r", "ढ़": "rh", "फ़": "f", "य़": "y", "ज्ञ": "gy"})
_LETTERS.update(dict(zip("अआइईउऊऋॠऌएऐओऔऑऍऎऒ", "a a i i u u ri ri li e ai o au o e e o".split())))
_SIGNS = dict(zip("ािीुूृॄॢेैोौॉॅॆॊ", "a i i u u ri ri li e ai o au o e e o".split()))
_SIGNS.update({"a": "a", "": "", "virama": ""})  # the inherent a said, dropped, or a half letter
_OTHERS = {"ॐ": "om", **{chr(0x0966 + n): str(n) for n in range(10)}}
_CONSONANT = "bcdfghjklmnpqrstvwxyz"
_LATIN_VARIANTS = [(r"ngh", "nh"), (r"x", "ks"), (r"q", "k"), (r"ck", "k"), (r"z", "j"), (r"w", "v"), (r"f", "p"),
                   (rf"(?<=[{_CONSONANT}])h", ""), (r"ee", "i"), (r"oo", "u"), (r"au|ou", "o"),
                   (rf"er(?=[{_CONSONANT}])", "ar"), (rf"(?<=[{_CONSONANT}])y$", "i"), (r"(.)\1+", r"\1"),
                   (rf"(?<=[{_CONSONANT}])a(?=[{_CONSONANT}])", "")]


def name_key(name: str) -> str:
    """Case, punctuation and titles removed; each word whole (with its vowel signs), in order."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    # Letters, combining marks and digits make words; joiners (ZWJ, ZWNJ) go; anything else parts them.
    text = "".join(c if unicodedata.category(c)[0] in "LMN" or c.isspace() else "" if unicodedata.category(c) == "Cf" else " "
                   for c in text)
    words = [w for w in text.split() if w not in HONORIFICS]
    return " ".join(words)[:MAX_LENGTH]


def _is_consonant(letter: str) -> bool:
    return letter[:1] in _LETTERS and letter[:1] not in "अआइईउऊऋॠऌएऐओऔऑऍऎऒ"


def _syllables(word: str) -> list[list[str]]:
    """The Devanagari word as [letter, vowel, modifiers]: a consonant (with its nukta) and "a" (its
    inherent vowel), "virama" (a half letter) or its vowel sign; or any other character and ""."""
    units: list[list[str]] = []
    for c in word:
        if c == _NUKTA and units and units[-1][1] == "a":
            units[-1][0] += c
        elif c == _VIRAMA and units and units[-1][1] == "a":
            units[-1][1] = "virama"
        elif c == "ञ" and units and units[-1][:2] == ["ज", "virama"]:
            units[-1][:2] = ["ज्ञ", "a"]
        elif _is_consonant(c):
            units.append([c, "a", ""])
        elif c in _SIGNS and units and units[-1][1] == "a" and _is_consonant(units[-1][0]):
            units[-1][1] = c
        elif c in (_ANUSVARA, _CANDRABINDU, "\u0900", "\u0903") and units:
            units[-1][2] += c
        else:
            units.append([c, "", ""])
    return units


def _drop_unspoken_schwas(units: list[list[str]]) -> None:
    """Hindi schwa deletion: the inherent a a word does not say becomes "" (in place)."""
    def schwa(i: int) -> bool:
        return _is_consonant(units[i][0]) and units[i][1] == "a" and not units[i][2]

    def voiced(i: int) -> bool:  # the unit says a vowel (not a half letter, not a dropped a)
        return units[i][1] != "virama" and (units[i][1] != "" or not _is_consonant(units[i][0]))

    last = len(units) - 1
    if (sum(map(voiced, range(len(units)))) > 1 and schwa(last)
            and not (last >= 1 and units[last - 1][1] == "virama" and units[last][0] in _SAID_AFTER_CONJUNCT)):
        units[last][1] = ""  # राम: ram, सिद्धार्थ: siddharth, आनन्द: anand; कृष्ण, चंद्र, आदित्य keep it
    for i in range(last - 1, 0, -1):  # right to left: a dropped a leaves its neighbours theirs
        if schwa(i) and voiced(i - 1) and _is_consonant(units[i + 1][0]) and units[i + 1][1] not in ("", "virama"):
            units[i][1] = ""  # कमला: kamla (VC_CV)


@lru_cache(maxsize=4096)
def romanised(word: str) -> str:
    """A Devanagari word in the Latin letters Indian names are usually written with (रमेश: ramesh,
    सुनीता: sunita, सिंह: sinh, लक्ष्मी: lakshmi); a word of no Devanagari as it is."""
    if not _DEVANAGARI.search(word):
        return word
    units = _syllables(unicodedata.normalize("NFC", word))
    _drop_unspoken_schwas(units)
    pieces = [(_LETTERS.get(letter) or _LETTERS.get(letter[:1]) or _OTHERS.get(letter, "" if _DEVANAGARI.match(letter) else letter))
              + _SIGNS.get(vowel, "") for letter, vowel, _ in units]
    latin = ""
    for n, (piece, (_, _, modifiers)) in enumerate(zip(pieces, units)):
        following = pieces[n + 1][:1] if n + 1 < len(pieces) else ""
        nasal = "m" if _ANUSVARA in modifiers and following in ("p", "b", "m") else "n" if set(modifiers) & {_ANUSVARA, _CANDRABINDU, "\u0900"} else ""
        latin += piece + nasal
    return latin


def _sound_of_word(word: str) -> str:
    latin = romanised(word)
    plain = "".join(c for c in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(c))
    if not plain.isascii():
        return word  # another script: as typed
    sound = re.sub(r"[^a-z0-9]", "", plain)
    for pattern, replacement in _LATIN_VARIANTS:
        sound = re.sub(pattern, replacement, sound)
    return sound


def name_sound(name: str) -> str:
    """The phonetic key of a name, the same for its Devanagari and Latin spellings (see the module)."""
    return " ".join(s for s in (_sound_of_word(w) for w in name_key(name).split()) if s)[:MAX_LENGTH]


def sound_similarity(a: str, b: str) -> float:
    """1.0 when two names sound the same (the same words in any order, or the same letters with the
    words run together: Om Prakash, ओमप्रकाश); 0.9 when one name's words are all within the other's
    (a surname left out); 0 otherwise."""
    wa, wb = name_sound(a).split(), name_sound(b).split()
    if not wa or not wb:
        return 0.0
    if set(wa) == set(wb) or "".join(wa) == "".join(wb):
        return 1.0
    if set(wa) <= set(wb) or set(wb) <= set(wa):
        return 0.9
    return 0.0
