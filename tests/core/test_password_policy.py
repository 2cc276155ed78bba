"""The rule for passwords chosen by people (NIST SP 800-63B): length, common passwords,
repetitions, sequences and the words of the account."""

from __future__ import annotations

import pytest

from core.password_policy import common_passwords, password_problem


@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("court", "au moins 10 caractères"),
        ("éééééééééé", "répète"),
        ("ababababab", "répète"),
        ("bonjourbonjour", "répète"),
        ("4444477777", "répète"),
        ("1234567890", "plus courants"),
        ("3456789012", "suite"),
        ("abcdefghijkl", "suite"),
        ("8765432109", "suite"),
        ("zyxwvutsrqp", "suite"),
        ("azertyuiop", "plus courants"),
        ("Motdepasse", "plus courants"),
        ("password123", "plus courants"),
        ("Soleil2024!!", "plus courants"),
        ("qsdfghjklm", "suite"),
        ("claire.martin-1984", "identifiant"),
        ("xx-Dupont.Jeanne-xx", "adresse électronique"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, said):
    if said in ("répète", "suite"):
        assert password.lower() not in common_passwords()  # the rule itself is what refuses it
    problem = password_problem(password, login="claire.martin", email="dupont.jeanne@example.fr")
    assert problem is not None and said in problem and problem.startswith(("Le ", "Ce "))


@pytest.mark.parametrize(
    "password", ["un mot de passe long", "le chat de la voisine", "Tr0mbone-Vert-Lundi"]
)
def test_unpredictable_passwords_pass(password):
    assert password_problem(password, login="claire.martin", email="claire@example.fr") is None


def test_the_shipped_list_is_read_and_lowercased():
    passwords = common_passwords()
    assert len(passwords) > 5000 and "motdepasse" in passwords and "123456" in passwords
    assert all(p == p.lower() for p in passwords)
    assert password_problem("aaaaaaaaaa") is not None
