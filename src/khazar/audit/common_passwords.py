"""Words and phrases that guessers try first, written for Khazar's password policy (not
taken from a breach corpus). :func:`khazar.audit.passwords.check_password_policy` refuses
a password whose core — lower-cased, common letter substitutions undone, leading and
trailing digits and symbols removed, one repetition collapsed — is one of these."""

from __future__ import annotations

__all__ = ["COMMON", "KEYBOARD_RUNS"]

_WORDS = """
password passwort passe contrasena parola senha haslo wachtwoord salasana
mypassword newpassword changeme changeit default secret topsecret private letmein
letmeinnow openup opensesame access accessdenied welcome welcomehome hello helloworld
admin administrator root superuser sysadmin manager operator guest user login logon
test testing tester demo sample example temp temporary
qwerty qwertz azerty qwertyuiop qwertyuiopasdfghjkl asdf asdfgh asdfghjkl zxcvbn
zxcvbnm qazwsx qazwsxedc zaqxsw zaqwsx qweasd qweasdzxc
abc abcd abcdef abcdefg abcdefgh abcdefghijkl iloveyou loveyou iloveu
monkey dragon master shadow superman batman spiderman football baseball basketball
soccer hockey sunshine princess starwars pokemon minecraft computer internet freedom
whatever trustno nothing something everything jordan michael jennifer charlie
summer winter spring autumn monday friday january december
khazar caspian baku azerbaijan maritime pipeline platform vessel harbour harbor
correcthorsebatterystaple
"""
COMMON: frozenset[str] = frozenset(_WORDS.split())

#: rows and runs a password may not be a stretch of (forwards or backwards)
KEYBOARD_RUNS: tuple[str, ...] = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
)
