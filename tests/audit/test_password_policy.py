"""The password policy refuses what guessers try first (issue 18, finding 6)."""

from __future__ import annotations

import pytest

from khazar.audit.passwords import check_password_policy
from khazar.errors import InputError


@pytest.mark.parametrize("weak", [
    "aaaaaaaaaaaa",             # one character (the example)
    "password1234",             # a common word with digits (the example)
    "P@ssw0rd2024!",            # substitutions undone
    "passwordpassword",         # a common word repeated
    "abababababab",             # too few different characters
    "123456789012", "zyxwvutsrqpon", "qwertyuiop12", "1q2w3e4r5t6y",  # runs
    "Welcome12345", "khazar2026!!",
    "omar12345678!",            # the user name with digits
])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(InputError) as err:
        check_password_policy(weak, "omar")
    assert weak not in str(err.value)  # never quoted back


@pytest.mark.parametrize("good", [
    "correct horse battery", "blue ferry under rain", "Tr0ub4dor&3xyz",
    "grey gulls over neft daslari",
])
def test_passphrases_pass(good: str) -> None:
    check_password_policy(good, "omar")
