"""Patterns for personal data a child should not put into a prompt: phone numbers, email addresses,
Hong Kong identity card numbers, mainland resident ID numbers and Taiwan national ID numbers.

Only the kind of data found is reported, never the value, so the audit log does not store it either.
"""

from __future__ import annotations

import re

# Dates such as 2024-11-22, 2024.11.22, 2024年11月22日 or 22/11/2024 would look like 8-digit phone numbers
# once digit groups are joined, so they are blanked first.
_DATES = re.compile(
    r"(?<!\d)(?:(?:19|20)\d{2}\s?[-./年]\s?\d{1,2}\s?[-./月]\s?\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d{2})(?!\d)"
)
# "9123 4567", "9123-4567", "9 1 2 3 4 5 6 7": join digits split by one space or hyphen.
_DIGIT_GAP = re.compile(r"(?<=\d)[ \-](?=\d)")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Bounded parts keep the search linear on long runs of letters (RFC 5321 limits: 64 and 63).
    (
        "email",
        re.compile(
            r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){0,8}\.[A-Za-z]{2,24}"
        ),
    ),
    ("hkid", re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d{6}\s?(?:\([0-9Aa]\)|[0-9Aa])(?![0-9])")),
    ("national_id", re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")),
    # Taiwan: a letter, 1 or 2, eight digits ("A123456789").
    ("national_id", re.compile(r"(?<![A-Za-z0-9])[A-Za-z][12]\d{8}(?![0-9])")),
)
_PHONES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Hong Kong: 8 digits starting 2-9, optionally +852 / 852.
    ("phone_number", re.compile(r"(?<![\d+])(?:\+?852)?[2-9]\d{7}(?!\d)")),
    # Mainland China mobile: 11 digits starting 13-19, optionally +86.
    ("phone_number", re.compile(r"(?<![\d+])(?:\+?86)?1[3-9]\d{9}(?!\d)")),
    # Any international number written with a leading +.
    ("phone_number", re.compile(r"\+\d{8,15}(?!\d)")),
)
_ROUND_NUMBER = re.compile(r"0{5}$")  # 20000000 is an amount, not a phone number


def find_personal_data(basic_text: str) -> list[str]:
    """Kinds of personal data in an already `basic`-normalised text ("email", "phone_number", ...)."""
    found: list[str] = []
    for kind, pattern in _PATTERNS:
        if pattern.search(basic_text):
            found.append(kind)
    digits = _DIGIT_GAP.sub("", _DATES.sub(" ", basic_text))
    for kind, pattern in _PHONES:
        if kind in found:
            break
        if any(not _ROUND_NUMBER.search(match.group(0)) for match in pattern.finditer(digits)):
            found.append(kind)
    return found
