"""Words of a question: tokens with their positions, normal forms, numbers with units."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words (hyphenated words split: "mid-market" is "mid market"), numbers with their unit, quoted
# phrases, comparison signs, and , ; ? (they end clauses). Other punctuation is dropped.
TOKEN = re.compile(r"(?<![\w-])-?\$?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s?(?:k|mm|m|bn|b)\b|%|x\b)?|[A-Za-z][A-Za-z0-9_'#]*|\"[^\"]*\"|"
                   r"(?<![A-Za-z])'[^']+'(?![A-Za-z])|[<>]=?|=|[,;?+%]", re.IGNORECASE)
QUOTED = re.compile(r"^[\"'](.*)[\"']$", re.S)


@dataclass(frozen=True)
class Token:
    text: str  # as written
    start: int
    end: int
    norm: str  # lower case, singular, possessive removed
    lower: str  # lower case, possessive removed ("tanaka's" -> "tanaka")
    number: float | None = None
    quoted: str | None = None  # the phrase inside quotes


IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman", "analyses": "analysis",
             "statuses": "status", "indices": "index", "data": "data", "news": "news", "series": "series",
             "sales": "sales", "less": "less", "business": "business", "analytics": "analytics", "this": "this",
             "has": "has", "was": "was", "is": "is", "its": "its", "us": "us", "plus": "plus", "bus": "bus",
             "process": "process", "access": "access", "address": "address", "class": "class", "across": "across",
             "success": "success", "status": "status", "days": "day", "gas": "gas", "yes": "yes", "always": "always"}


def singular(word: str) -> str:
    w = word.lower()
    if w in IRREGULAR:
        return IRREGULAR[w]
    if len(w) <= 3 or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ches", "shes", "xes", "zes", "sses")):
        return w[:-2]
    if w.endswith("s"):
        return w[:-1]
    return w


# inflection -> the endings its base may have ('cancelling' -> 'cancel', 'queries' -> 'query')
_INFLECTIONS = (("ies", ("y",)), ("ied", ("y",)), ("ing", ("", "e")), ("ed", ("", "e")), ("es", ("", "e")),
                ("ers", ("", "e")), ("er", ("", "e")), ("ly", ("",)), ("s", ("",)))


def base_forms(word: str) -> set[str]:
    """The word and the bases it may inflect ('dashboards', 'cancelling', 'closed', 'queries'), by its
    ending only: a word that does not end like an inflection has no other form ('hubspot')."""
    w = word.lower()
    forms = {w}
    for ending, bases in _INFLECTIONS:
        if w.endswith(ending) and len(w) - len(ending) >= 3:
            stem = w[: -len(ending)]
            forms |= {stem + b for b in bases}
            if len(stem) >= 4 and stem[-1] == stem[-2]:  # a doubled consonant: 'cancelling', 'shipped'
                forms.add(stem[:-1])
    return forms


MULTIPLIERS = {"k": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "%": 1.0, "x": 1.0}


def parse_number(text: str) -> float | None:
    m = re.fullmatch(r"(-?)\$?(\d[\d,]*(?:\.\d+)?)\s?(k|m|mm|bn|b|%|x)?", text.strip(), re.IGNORECASE)
    if not m:
        return None
    value = float(m.group(2).replace(",", ""))
    unit = (m.group(3) or "").lower()
    return (-1 if m.group(1) else 1) * value * MULTIPLIERS.get(unit, 1.0)


WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "fifty": 50, "hundred": 100,
                "dozen": 12}


# Words that scale the number before them: "1 million people", "2.5 billion", "300 thousand".
SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}


def tokenize(question: str) -> list[Token]:
    return _scaled(_tokens(question))


def _scaled(tokens: list[Token]) -> list[Token]:
    """A number and the scale word after it as one number ('1 million' is 1000000)."""
    out: list[Token] = []
    for token in tokens:
        previous = out[-1] if out else None
        if token.lower in SCALE_WORDS and previous is not None and previous.number is not None and \
                previous.quoted is None and token.number is None:
            text = f"{previous.text} {token.text}"
            out[-1] = Token(text, previous.start, token.end, text.lower(), text.lower(),
                            number=previous.number * SCALE_WORDS[token.lower])
        else:
            out.append(token)
    return out


def _tokens(question: str) -> list[Token]:
    tokens = []
    for m in TOKEN.finditer(question):
        text = m.group(0)
        quoted = QUOTED.match(text)
        if quoted and len(text) >= 2:
            phrase = quoted.group(1)
            tokens.append(Token(text, m.start(), m.end(), phrase.lower(), phrase.lower(), quoted=phrase))
            continue
        number = parse_number(text)
        if number is None and text.lower() in WORD_NUMBERS:
            number = float(WORD_NUMBERS[text.lower()])
        if number is not None:
            tokens.append(Token(text, m.start(), m.end(), text.lower(), text.lower(), number=number))
            continue
        word = text.strip("'")
        if word.lower().endswith("'s"):  # possessive: "Hiro Tanaka's accounts", "last quarter's tickets"
            word = word[:-2]
        tokens.append(Token(text, m.start(), m.end(), singular(word), word.lower()))
    return tokens


def normalize_phrase(phrase: str) -> tuple[str, ...]:
    """The normal form of a catalog phrase: singular lower-case words (underscores split)."""
    # a possessive is read as its noun in questions ("Joe's" -> joe), so also in the names they match
    phrase = re.sub(r"(?<=\w)['\u2019]s\b", "", phrase)
    words = re.findall(r"[A-Za-z0-9#]+", phrase.replace("_", " ").replace("-", " "))
    return tuple(singular(w) for w in words)
