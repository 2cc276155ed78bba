"""UAI check letters, on real UAIs from SIECLE exports."""

from __future__ import annotations

import pytest

from db.schools import School, is_valid_uai, uai_check_letter


@pytest.mark.parametrize("uai", ["0752387M", "0750680G", "0752387m"])
def test_real_uais_are_valid(uai):
    assert is_valid_uai(uai.upper())


@pytest.mark.parametrize("uai", ["0752387N", "075238M", "07523870", "A752387M", ""])
def test_wrong_uais_are_refused(uai):
    assert not is_valid_uai(uai)


def test_check_letter_skips_look_alikes():
    letters = {uai_check_letter(f"{n:07d}") for n in range(23)}
    assert letters.isdisjoint({"I", "O", "Q"}) and len(letters) == 23


def test_a_school_cannot_hold_an_invalid_uai():
    assert School(uai=" 0752387m ").uai == "0752387M"
    with pytest.raises(ValueError, match="UAI invalide"):
        School(uai="0752387A")
