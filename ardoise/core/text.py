"""Words around names: French elides "de" before a vowel ("d'Adam", "de Bernard").

A translated sentence that puts a name after "de" is written twice in the template, under the
message contexts "name starting with a vowel" and "name starting with a consonant", and
`{% if name|starts_with_vowel %}` picks one (`makemessages` reads only literal contexts, hence
the two blocks). English has the same text in both.
"""

import unicodedata

# "h" counts as a vowel: most names with h elide (d'Hélène, d'Hugo); the few with an aspirated h
# (Hugues, Henri in some regions) read "d'" too in everyday writing, which is the lesser error.
_VOWELS = frozenset("aeiouyh")


def starts_with_vowel(name: object) -> bool:
    stripped = str(name).lstrip(" \t\"'«“(")
    if not stripped:
        return False
    first = unicodedata.normalize("NFKD", stripped[0])[0].lower()
    return first in _VOWELS
