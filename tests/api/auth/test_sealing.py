from __future__ import annotations

import pytest

from api.auth.sealing import SealBroken, Sealer

KEY = "k" * 40


def test_a_sealed_value_opens_only_with_its_key_and_purpose():
    sealed = Sealer(KEY, "totp").seal("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert Sealer(KEY, "totp").open(sealed) == "JBSWY3DPEHPK3PXP"
    for other in (Sealer("z" * 40, "totp"), Sealer(KEY, "signing-keys")):
        with pytest.raises(SealBroken):
            other.open(sealed)
    with pytest.raises(SealBroken):
        Sealer(KEY, "totp").open(sealed[:-4] + "AAAA")
