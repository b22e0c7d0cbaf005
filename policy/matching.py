"""Does a text name a prohibited activity, however it is spelled?

Text is normalised before matching: case, accents and Unicode forms folded; look-alike digits and
symbols read as letters (``l0tt3ry``); letters split by dots, dashes or spaces joined again
(``l.o.t.t.e.r.y``, ``L O T T E R Y``); Devanagari vowel-sign and nasal variants unified
(``लॉटरी`` / ``लाटरी``), the nukta and zero-width joiners dropped. A term then matches:

- *exactly*: as a whole word in the normal text, or, for terms of five letters or more, inside one
  word (``superlottery``) or spelled across whole words (``lot tery``); not where two neighbouring
  words merely meet (``...hopoke rayaruku`` names no "poker");
- *nearly*: a word within one edit of a term of six letters or more (``lotery``, ``lottary``,
  ``gambleing``): a doubtful match, which a rule turns into *restricted* for a person to decide.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l"})
_DEVANAGARI_FOLD = str.maketrans({
    "ॉ": "ा", "ॅ": "े", "ँ": "ं", "़": None, "\u200c": None, "\u200d": None, "ऑ": "आ", "ॲ": "ए",
})
_SEPARATED = re.compile(r"\b(?:[a-z](?:[\s.\-_*·•/]+)){3,}[a-z]\b")


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not (unicodedata.combining(c) and ord(c) < 0x0900))


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Lowercase words, look-alikes read as letters, split letters joined, Hindi variants folded."""
    text = unicodedata.normalize("NFC", text or "").casefold()
    text = text.translate(_DEVANAGARI_FOLD)
    text = _ascii_fold(text)
    text = re.sub(r"(?<=[a-z])[0-9@$!|]+(?=[a-z])|(?<=[a-z])[0-9@$!|]+\b|\b[0-9@$!|]+(?=[a-z])",
                  lambda m: m.group(0).translate(_LEET), text)
    text = _SEPARATED.sub(lambda m: re.sub(r"[^a-z]", "", m.group(0)), text)
    return re.sub(r"[^\w\u0900-\u097f]+", " ", text).strip()


def words(text: str) -> list[str]:
    return normalise(text).split()


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1:] == short:
            return True
    return False


def _near(token: str, term: str) -> bool:
    """Within one edit of ``term``, whole or in its start (``lotterywala``, ``gambleing``)."""
    return _within_one_edit(token, term) or (len(token) > len(term) and _within_one_edit(token[: len(term) + 1], term))


@lru_cache(maxsize=4096)
def _inflections(term: str) -> frozenset[str]:
    """Plural and -ing/-ed forms of an English term (not other words that merely begin with it)."""
    if not term.isascii():
        return frozenset()
    forms = {term + "s", term + "es", term + "ing", term + "ed"}
    if term.endswith("e"):
        forms |= {term[:-1] + "ing", term + "d", term + "r", term + "rs"}
    if term.endswith("y"):
        forms.add(term[:-1] + "ies")
    if len(term) <= 4 and term[-1] not in "aeiouy":
        forms |= {term + term[-1] + "ing", term + term[-1] + "ed", term + term[-1] + "or", term + term[-1] + "ors"}
    return frozenset(forms)


@dataclass(frozen=True)
class Hit:
    term: str
    found: str  # the word or text that matched
    exact: bool


@dataclass(frozen=True)
class _Compiled:
    """A list of terms prepared once: normal forms, inflections, and an index for near spellings."""

    entries: tuple[tuple[str, str, str, frozenset[str]], ...]  # (as written, normal form, without spaces, inflections)
    near: dict[str, tuple[int, ...]]  # a term or the term less one letter -> the terms (by position) it may be near
    near_lengths: frozenset[int]
    #: a word -> the terms (by position) it is near: texts repeat their words, and every service's
    #: form is checked against every rule at each start, so each word is worked out once
    seen: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, hash=False)
    union: bool = False  # the terms of every list compiled (:func:`_union`)

    def near_terms(self, token: str) -> tuple[int, ...]:
        """The terms (by position) ``token``, or its start one letter longer than the term, is within one edit of.

        A word within one edit of a term always shares the term or one of its one-letter deletions
        with the word or one of the word's (SymSpell), so only those candidates are compared."""
        hits = self.seen.get(token)
        if hits is None:
            hits = ()
            if self.near_lengths and len(token) >= min(self.near_lengths) - 1 and (self.union or _union().near_terms(token)):
                # (a word near no term of any list compiled is near none of this one's: every rule's
                # lists ask the union first, so a long form's words are worked out once, not once a list)
                probes = [token] + [token[: length + 1] for length in self.near_lengths if len(token) > length + 1]
                candidates = {i for probe in probes for key in _keys(probe) & self.near.keys() for i in self.near[key]}
                hits = tuple(i for i in sorted(candidates) if _near(token, self.entries[i][1]))
            if len(self.seen) < 65536:
                self.seen[token] = hits
        return hits


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@lru_cache(maxsize=65536)
def _keys(word: str) -> frozenset[str]:
    """The word and its one-letter deletions: the keys under which a near term may be indexed."""
    return frozenset(_deletions(word) | {word})


#: every term of every list compiled so far, in order, and their union compiled (decision 104)
_ALL_TERMS: dict[str, None] = {}
_UNION: list[_Compiled] = []


def _union() -> _Compiled:
    """The terms of every list compiled, as one list: a word near none of them is near no term of
    any list, found once for all the rules (each rule's terms and doubtful words are a list)."""
    if not _UNION:
        _UNION.append(_build(tuple(_ALL_TERMS), union=True))
    return _UNION[0]


@lru_cache(maxsize=1024)
def _compile(terms: tuple[str, ...]) -> _Compiled:
    compiled = _build(terms)
    new = [t for t in terms if t not in _ALL_TERMS]
    if new:
        _ALL_TERMS.update(dict.fromkeys(new))
        _UNION.clear()  # built again with these when next asked
    return compiled


def prepare(lists: list[list[str] | tuple[str, ...]]) -> None:
    """Compile every one of ``lists`` (the rules in force: their terms and doubtful words) before
    any is asked, so that the union all of them ask first is built once, not again for each list
    compiled later (its words worked out anew each time)."""
    for terms in lists:
        _compile(tuple(terms))


def _build(terms: tuple[str, ...], union: bool = False) -> _Compiled:
    entries = []
    near: dict[str, list[int]] = {}
    for raw in terms:
        term = normalise(raw)
        if not term:
            continue
        index = len(entries)
        entries.append((raw, term, term.replace(" ", ""), _inflections(term) if " " not in term else frozenset()))
        if " " not in term and len(term) >= 6:
            for key in _deletions(term) | {term}:
                near.setdefault(key, []).append(index)
    return _Compiled(tuple(entries), {k: tuple(v) for k, v in near.items()},
                     frozenset(len(e[1]) for e in entries if " " not in e[1] and len(e[1]) >= 6), union=union)


def _near_hit(compiled: _Compiled, tokens: list[str]) -> tuple[int, str] | None:
    """The first term (by position) that some word is within one edit of, and the first such word."""
    found: dict[int, str] = {}
    for token in tokens:
        for index in compiled.near_terms(token):
            found.setdefault(index, token)
    if not found:
        return None
    first = min(found)
    return first, found[first]


def _bounds(tokens: list[str]) -> list[int]:
    """Where the words begin and end in the joined-up text (the offsets between them, 0 and its end)."""
    out, at = [0], 0
    for token in tokens:
        at += len(token)
        out.append(at)
    return out


def _joined_in_words(squashed: str, joined: str, tokens: list[str]) -> bool:
    """Is ``squashed`` (a term of five letters or more, its spaces taken out) in the joined-up text
    as words hold it: inside one word (``superlottery``), or spelled across whole words (``lot
    tery``, ``satta matka``)? Not a run that begins inside one word and ends inside the next,
    which is only two neighbours meeting: a village list's ``... Duhahopoke (Rayaruku ...`` joins
    to ``...pokerayaruku...``, and named no "poker" (decision 97)."""
    start = joined.find(squashed)
    if start < 0:
        return False
    bounds = _bounds(tokens)
    edges = set(bounds)
    while start >= 0:
        end = start + len(squashed)
        after = bounds[bisect_right(bounds, start)] if bisect_right(bounds, start) < len(bounds) else end
        if after >= end or (start in edges and end in edges):  # within one word, or whole words
            return True
        start = joined.find(squashed, start + 1)
    return False


def _exact_hit(compiled: _Compiled, norm: str, tokens: list[str]) -> Hit | None:
    """The first term ``norm`` (normal text, its words ``tokens``) names exactly, or None."""
    joined = norm.replace(" ", "")
    padded = f" {norm} "
    token_set = set(tokens)
    for raw, term, squashed, forms in compiled.entries:
        if f" {term} " in padded or (len(squashed) >= 5 and squashed in joined and _joined_in_words(squashed, joined, tokens)):
            return Hit(raw, term, True)
        # inflections: "bets", "betting", "gambling", "lotteries" name "bet", "gamble", "lottery"
        if forms and not forms.isdisjoint(token_set):
            return Hit(raw, next(t for t in tokens if t in forms), True)
    return None


def find(terms: list[str] | tuple[str, ...], text: str) -> Hit | None:
    """The first term named in ``text`` (exact before near), or None."""
    norm = normalise(text)
    if not norm:
        return None
    compiled = _compile(tuple(terms))
    tokens = norm.split()
    exact = _exact_hit(compiled, norm, tokens)
    if exact is not None:
        return exact
    near = _near_hit(compiled, tokens)
    if near is None:
        return None
    index, token = near
    return Hit(compiled.entries[index][0], token, False)


class Texts:
    """A service's texts prepared once for every rule asked of them: each normalised, all joined
    (by a word that normal text and terms never hold, ``\x00``, neither a letter nor a space, so a
    term is named in the joined text exactly when it is named in one of the texts), and their
    distinct words; and, for the union of every list compiled (:func:`_union`), the words near one
    of its terms: the only words any list's near look-up needs to see."""

    def __init__(self, texts: list[str]):
        self.norms = [normalise(t) for t in texts]
        kept = [n for n in self.norms if n]
        self.together = " \x00 ".join(kept)
        self.tokens = self.together.split()
        self.distinct = set(self.tokens)
        self._suspects: tuple[_Compiled, list[str]] | None = None

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def suspects(self) -> list[str]:
        union = _union()
        if self._suspects is None or self._suspects[0] is not union:
            self._suspects = (union, [t for t in self.distinct if union.near_terms(t)])
        return self._suspects[1]


def may_name(terms: list[str] | tuple[str, ...], texts: "list[str] | Texts") -> bool:
    """Whether :func:`find` could find one of ``terms`` in any of ``texts``, asked of them all at once.

    A service shows a hundred texts and names none of most rules' terms: clearing it in one pass
    over all its words, instead of one :func:`find` per text, is what keeps the check of every
    service against every rule at start-up short; near spellings are looked up word by word, only
    for the words near a term of some list (:meth:`Texts.suspects`)."""
    compiled = _compile(tuple(terms))
    prepared = texts if isinstance(texts, Texts) else Texts(texts)
    if not (prepared and compiled.entries):
        return False
    return (_exact_hit(compiled, prepared.together, prepared.tokens) is not None
            or any(compiled.near_terms(t) for t in prepared.suspects()))


def _may(compiled: _Compiled, norms: list[str]) -> bool:
    together = " \x00 ".join(norms)
    tokens = together.split()
    return _exact_hit(compiled, together, tokens) is not None or any(compiled.near_terms(t) for t in set(tokens))


#: texts asked of one by one once :func:`candidates` has narrowed them down to so few
_FEW = 8


def candidates(terms: list[str] | tuple[str, ...], texts: "list[str] | Texts") -> list[int]:
    """The positions (in order) of the ``texts`` in which :func:`find` could find one of ``terms``:
    every other text names none of them, exactly or nearly.

    :func:`may_name` asked of all the texts at once, then of each half that may, and so on down to
    a few texts: a form listing a district's 20,000 villages, one of whose names is near a term,
    is cleared in a few passes over its words instead of 20,000 calls of :func:`find` (decision 97)."""
    compiled = _compile(tuple(terms))
    if not compiled.entries:
        return []
    norms = texts.norms if isinstance(texts, Texts) else [normalise(t) for t in texts]
    out: list[int] = []

    def narrow(lo: int, hi: int) -> None:
        part = [n for n in norms[lo:hi] if n]
        if not part or not _may(compiled, part):
            return
        if hi - lo <= _FEW:
            out.extend(i for i in range(lo, hi) if norms[i])
            return
        mid = (lo + hi) // 2
        narrow(lo, mid)
        narrow(mid, hi)

    narrow(0, len(norms))
    return out
