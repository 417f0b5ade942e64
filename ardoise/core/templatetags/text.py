from django import template

from ardoise.core.text import starts_with_vowel

register = template.Library()

register.filter("starts_with_vowel", starts_with_vowel)
